"""The parts `callmeter run` starts, in order, each with start / stop / reload / status.

A component is a thin adapter between the daemon and a subsystem (store, engine, RPC
listeners, FreeSWITCH agent, scheduler), so the daemon's life cycle stays one short loop.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from .config import Config, resolve_timezone, store_url
from .web import HttpListener, WebApp

if TYPE_CHECKING:
    from rating.engine import Engine
    from rating.store import Store

    from .daemon import Daemon
    from .rpc.context import SessionsApi
    from .rpc.dispatcher import Dispatcher
    from .rpc.server import RpcTcpServer

log = logging.getLogger(__name__)


class Component:
    """Base class: override what applies; reload returns the dotted keys it applied."""

    name = "component"

    def start(self) -> None:
        """Start serving; raise with a clear message if that is impossible."""

    def stop(self, timeout: float) -> None:
        """Stop within timeout seconds, finishing work in flight and flushing state."""

    def reload(self, new: Config, changed: list[str]) -> list[str]:
        return []

    def status(self) -> str:
        return ""


class StoreComponent(Component):
    """Opens the store first and closes it last, so every other part can rely on it."""

    name = "store"

    def __init__(self, config: Config) -> None:
        self.url, self.reason = store_url(config)
        self.synchronous = config.store.sqlite_synchronous
        self.store: Store | None = None

    def start(self) -> None:
        import gevent

        from rating.store import open_store

        # SQLite commits (an fsync each) run in gevent's thread pool, never on the hub.
        self.store = open_store(self.url, sqlite_synchronous=self.synchronous,
                                run_blocking=gevent.get_hub().threadpool.apply)
        self.store.ping()
        log.info("store: %s (%s)", self.store.describe(), self.reason)

    def stop(self, timeout: float) -> None:
        if self.store is not None:
            self.store.close()
            log.info("store closed")

    def status(self) -> str:
        return f"store {self.store.describe()}" if self.store else "store closed"


def make_engine(store: Store, config: Config) -> Engine:
    """The engine over a store, with the real clock and random ids (the only place they are
    read: rating/ gets them injected)."""
    import uuid
    from datetime import UTC, datetime

    from rating.engine import Engine

    general = config.general
    return Engine(store, clock=lambda: datetime.now(UTC), new_id=lambda: str(uuid.uuid4()),
                  rounding_decimals=general.rounding_decimals,
                  default_tenant=general.default_tenant,
                  default_category=general.default_category,
                  timezone=resolve_timezone(general.timezone))


class EngineComponent(Component):
    """The rating engine over the store: compiles the stored tariffs before anything is served."""

    name = "engine"

    def __init__(self, config: Config, store: StoreComponent) -> None:
        self.config = config
        self._store = store
        self.engine: Engine | None = None

    def start(self) -> None:
        assert self._store.store is not None
        self.engine = make_engine(self._store.store, self.config)
        tariffs = self.engine.tariffs()
        log.info("engine ready: %d destinations, %d rating plans, %d rating profiles",
                 len(tariffs.destinations), len(tariffs.plans), len(tariffs.profiles))

    def status(self) -> str:
        if self.engine is None:
            return ""
        tariffs = self.engine.tariffs()
        return f"{len(tariffs.profiles)} rating profiles"


class RpcComponent(Component):
    """The JSON-RPC API: one dispatcher for TCP (listen.rpc_json) and HTTP POST /jsonrpc."""

    name = "rpc"

    def __init__(self, daemon: Daemon, store: StoreComponent, engine: EngineComponent,
                 sessions: SessionsApi | None = None) -> None:
        self.daemon = daemon
        self._store = store
        self._engine = engine
        self._sessions = sessions
        self.dispatcher: Dispatcher | None = None
        self.tcp: RpcTcpServer | None = None

    def start(self) -> None:
        from .rpc.wiring import make_dispatcher, make_tcp_server

        assert self._store.store is not None
        config = self.daemon.config
        self.dispatcher = make_dispatcher(config, self._store.store,
                                          engine=self._engine.engine, sessions=self._sessions)
        self.tcp = make_tcp_server(config.listen, self.dispatcher)
        if self.tcp is None:
            log.info("JSON-RPC over TCP off (listen.rpc_json is empty)")
            return
        try:
            self.tcp.start()
        except OSError as exc:
            raise RuntimeError(f"cannot listen on {config.listen.rpc_json} (listen.rpc_json): "
                               f"{exc.strerror}") from None

    def stop(self, timeout: float) -> None:
        if self.tcp is not None:
            self.tcp.stop(timeout)

    def status(self) -> str:
        return f"rpc {self.daemon.config.listen.rpc_json}" if self.tcp else ""


class HttpComponent(Component):
    """The HTTP listener (listen.http): /healthz, /metrics, /jsonrpc."""

    name = "http"

    def __init__(self, daemon: Daemon, rpc: RpcComponent) -> None:
        self.listen = daemon.config.listen
        self.address = self.listen.http
        self.app = WebApp(daemon.health)
        self._rpc = rpc
        self.listener: HttpListener | None = None

    def start(self) -> None:
        from .rpc.legacy_http import register_legacy_http
        from .rpc.wiring import http_ssl_args, make_http_handler

        if self.address is None:
            log.info("HTTP listener off (listen.http is empty)")
            return
        assert self._rpc.dispatcher is not None
        self.app.route("POST", "/jsonrpc", make_http_handler(self.listen, self._rpc.dispatcher))
        register_legacy_http(self.app, self._rpc.dispatcher, self.listen)  # listen.legacy_http
        self.listener = HttpListener(self.address, self.app, **http_ssl_args(self.listen))
        try:
            self.listener.start()
        except OSError as exc:
            raise RuntimeError(
                f"cannot listen on {self.address} (listen.http): {exc.strerror}") from None

    def stop(self, timeout: float) -> None:
        if self.listener is not None:
            self.listener.stop(timeout)

    def status(self) -> str:
        return f"http {self.address}" if self.listener else ""


def build_components(daemon: Daemon) -> list[Component]:
    """The components of this process, in start-up order."""
    from .freeswitch.component import FreeSwitchComponent
    from .outbox import OutboxComponent
    from .scheduler import SchedulerComponent

    config = daemon.config
    store = StoreComponent(config)
    engine = EngineComponent(config, store)
    freeswitch = FreeSwitchComponent(daemon, engine)
    rpc = RpcComponent(daemon, store, engine, sessions=freeswitch.sessions)
    return [store, engine, OutboxComponent(daemon, engine), rpc, HttpComponent(daemon, rpc),
            freeswitch, SchedulerComponent(daemon, engine)]
