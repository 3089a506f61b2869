"""The HTTP listener (listen.http): /healthz, /metrics and the routes other parts add.

gevent's WSGI server does the HTTP; this module only routes. The JSON-RPC endpoint
(POST /jsonrpc) and the legacy GET endpoints are registered by agent.rpc.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from gevent.pywsgi import WSGIServer

from . import metrics
from .config import Address

log = logging.getLogger(__name__)

#: A route handler: (environ) -> (status line, headers, body).
Handler = Callable[[dict[str, Any]], tuple[str, list[tuple[str, str]], bytes]]


def json_response(status: str, doc: Any) -> tuple[str, list[tuple[str, str]], bytes]:
    body = json.dumps(doc, separators=(",", ":")).encode() + b"\n"
    return status, [("Content-Type", "application/json")], body


@dataclass
class Health:
    """What /healthz reports; the daemon moves it through starting → ok → stopping."""

    status: str = "starting"
    detail: Callable[[], dict[str, Any]] | None = None

    def report(self) -> tuple[str, list[tuple[str, str]], bytes]:
        doc: dict[str, Any] = {"status": self.status}
        if self.detail:
            doc.update(self.detail())
        return json_response("200 OK" if self.status == "ok" else "503 Service Unavailable", doc)


class WebApp:
    """A WSGI application routing (method, path) to handlers."""

    def __init__(self, health: Health) -> None:
        self.health = health
        self._routes: dict[tuple[str, str], Handler] = {
            ("GET", "/healthz"): lambda environ: self.health.report(),
            ("GET", "/metrics"): lambda environ: (
                "200 OK", [("Content-Type", metrics.CONTENT_TYPE)], metrics.render()),
        }

    def route(self, method: str, path: str, handler: Handler) -> None:
        self._routes[(method, path)] = handler

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "/")
        handler = self._routes.get((method, path))
        if handler is None:
            allowed = sorted(m for m, p in self._routes if p == path)
            if allowed:
                status, headers, body = json_response(
                    "405 Method Not Allowed", {"error": f"use {' or '.join(allowed)} on {path}"})
                headers.append(("Allow", ", ".join(allowed)))
            else:
                status, headers, body = json_response(
                    "404 Not Found", {"error": f"no route {path}"})
        else:
            try:
                status, headers, body = handler(environ)
            except Exception:
                log.exception("HTTP handler for %s %s failed", method, path)
                status, headers, body = json_response("500 Internal Server Error",
                                                      {"error": "internal error, see the log"})
        headers.append(("Content-Length", str(len(body))))
        start_response(status, headers)
        return [body]


class HttpListener:
    """gevent's WSGI server on listen.http, started and stopped by the daemon."""

    def __init__(self, address: Address, app: WebApp, **ssl: Any) -> None:
        self.app = app
        self._server = WSGIServer((address.host, address.port), app, log=None,
                                  error_log=logging.getLogger("callmeter.http"), **ssl)

    @property
    def address(self) -> tuple[str, int]:
        return self._server.address  # type: ignore[no-any-return]

    def start(self) -> None:
        self._server.start()
        log.info("HTTP listening on %s:%d (/healthz, /metrics, /jsonrpc)", *self.address[:2])

    def stop(self, timeout: float) -> None:
        """Stop accepting, let requests in flight finish for up to timeout seconds."""
        self._server.stop(timeout=timeout)
