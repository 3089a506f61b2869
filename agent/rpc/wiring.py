"""Building the API from the configuration: what the daemon calls.

    dispatcher = make_dispatcher(config, store, engine=engine, sessions=sessions)  # Engine
    tcp = make_tcp_server(config.listen, dispatcher)        # None when listen.rpc_json is ""
    app.route("POST", "/jsonrpc", make_http_handler(config.listen, dispatcher))
    HttpListener(config.listen.http, app, **http_ssl_args(config.listen))
"""

from __future__ import annotations

import importlib
from typing import Any

from agent import __version__
from agent.config import Config, ListenConfig
from rating.engine import Engine
from rating.store.base import Store

from .access import AccessPolicy, Limits, tls_context
from .context import CallContext, EngineApi, NodeInfo, SessionsApi
from .dispatcher import Dispatcher
from .engine_adapter import EngineAdapter
from .http import JsonRpcHttpHandler
from .methods import build_table
from .server import RpcTcpServer


def domain_error_types() -> tuple[type[Exception], ...]:
    """rating's RatingError (its text is the CGRateS error), once the engine provides it."""
    try:
        module = importlib.import_module("rating.errors")
    except ImportError:
        return ()
    error = getattr(module, "RatingError", None)
    return (error,) if isinstance(error, type) and issubclass(error, Exception) else ()


def make_dispatcher(config: Config, store: Store, engine: Engine | EngineApi | None = None,
                    sessions: SessionsApi | None = None,
                    domain_errors: tuple[type[Exception], ...] | None = None) -> Dispatcher:
    """One dispatcher for both transports; a rating Engine is put behind an EngineAdapter."""
    if isinstance(engine, Engine):
        engine = EngineAdapter(engine)
    node = NodeInfo(version=__version__)
    if config.general.node_id:
        node.node_id = config.general.node_id
    ctx = CallContext(store=store, engine=engine, sessions=sessions, node=node,
                      auth_token=config.listen.auth_token,
                      default_tenant=config.general.default_tenant)
    errors = domain_error_types() if domain_errors is None else domain_errors
    return Dispatcher(build_table(), ctx, domain_errors=errors)


def make_tcp_server(listen: ListenConfig, dispatcher: Dispatcher) -> RpcTcpServer | None:
    """The listen.rpc_json listener (not started), or None when it is switched off."""
    if listen.rpc_json is None:
        return None
    return RpcTcpServer(listen.rpc_json, dispatcher, Limits.from_config(listen),
                        AccessPolicy.from_config(listen),
                        tls_context(listen.tls_cert, listen.tls_key))


def make_http_handler(listen: ListenConfig, dispatcher: Dispatcher) -> JsonRpcHttpHandler:
    return JsonRpcHttpHandler(dispatcher, Limits.from_config(listen),
                              AccessPolicy.from_config(listen))


def http_ssl_args(listen: ListenConfig) -> dict[str, Any]:
    """Keyword arguments for gevent's WSGIServer: TLS when listen.tls_cert/tls_key are set."""
    context = tls_context(listen.tls_cert, listen.tls_key)
    return {"ssl_context": context} if context is not None else {}
