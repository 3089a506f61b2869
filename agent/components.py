"""The parts `callmeter run` starts, in order, each with start / stop / reload / status.

A component is a thin adapter between the daemon and a subsystem (store, engine, RPC
listeners, FreeSWITCH agent, scheduler), so the daemon's life cycle stays one short loop.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from .config import Config, store_url
from .web import HttpListener, WebApp, json_response

if TYPE_CHECKING:
    from rating.store import Store

    from .daemon import Daemon

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
        from rating.store import open_store

        self.store = open_store(self.url, sqlite_synchronous=self.synchronous)
        self.store.ping()
        log.info("store: %s (%s)", self.store.describe(), self.reason)

    def stop(self, timeout: float) -> None:
        if self.store is not None:
            self.store.close()
            log.info("store closed")

    def status(self) -> str:
        return f"store {self.store.describe()}" if self.store else "store closed"


def _no_api_yet(environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    return json_response("200 OK", {"id": None, "result": None,
                                    "error": "rpc: can't find service (the API is not built yet)"})


class HttpComponent(Component):
    """The HTTP listener (listen.http): /healthz, /metrics, /jsonrpc."""

    name = "http"

    def __init__(self, daemon: Daemon) -> None:
        self.address = daemon.config.listen.http
        self.app = WebApp(daemon.health)
        self.app.route("POST", "/jsonrpc", _no_api_yet)
        self.listener: HttpListener | None = None

    def start(self) -> None:
        if self.address is None:
            log.info("HTTP listener off (listen.http is empty)")
            return
        self.listener = HttpListener(self.address, self.app)
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
    config = daemon.config
    return [StoreComponent(config), HttpComponent(daemon)]
