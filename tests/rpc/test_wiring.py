"""Building the API from the configuration, as the daemon does."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from agent.config import Address, Config, ListenConfig
from agent.rpc.wiring import http_ssl_args, make_dispatcher, make_http_handler, make_tcp_server
from rating.store.memory import MemoryStore
from tests.support.net import free_port

from .transport import LineClient, self_signed_cert


def test_the_tcp_server_from_config_serves_and_stops() -> None:
    port = free_port()
    config = replace(Config(), listen=ListenConfig(rpc_json=Address("127.0.0.1", port)))
    dispatcher = make_dispatcher(config, MemoryStore())
    server = make_tcp_server(config.listen, dispatcher)
    assert server is not None
    server.start()
    try:
        assert LineClient(port).call("CoreSv1.Ping", {})["result"] == "Pong"
    finally:
        server.stop(timeout=1)


def test_an_empty_listen_address_means_no_tcp_server() -> None:
    dispatcher = make_dispatcher(Config(), MemoryStore())
    assert make_tcp_server(ListenConfig(rpc_json=None), dispatcher) is None


def test_node_id_and_token_come_from_the_config() -> None:
    config = replace(Config(), general=replace(Config().general, node_id="node-7"),
                     listen=ListenConfig(auth_token="t"))
    dispatcher = make_dispatcher(config, MemoryStore())
    assert dispatcher.ctx.node.node_id == "node-7" and dispatcher.ctx.auth_token == "t"
    assert make_http_handler(config.listen, dispatcher).access.auth_token == "t"


def test_tls_arguments_for_the_http_listener(tmp_path: Any) -> None:
    assert http_ssl_args(ListenConfig()) == {}
    cert, key = self_signed_cert(tmp_path)
    assert "ssl_context" in http_ssl_args(ListenConfig(tls_cert=cert, tls_key=key))
