"""Local servers the notification tests talk to: an HTTP hook and an SMTP server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from tests.support.net import free_port


@dataclass
class Hook:
    """Records every POST; answers `status` (a list pops one status per request)."""

    statuses: list[int] = field(default_factory=list)
    delay: threading.Event | None = None  # when given, requests wait until it is set
    pause: float = 0.0  # seconds every request takes
    posts: list[tuple[str, dict[str, Any] | None]] = field(default_factory=list)
    received: threading.Condition = field(default_factory=threading.Condition)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def bodies(self) -> list[dict[str, Any] | None]:
        with self.received:
            return [body for _, body in self.posts]


def _handler(hook: Hook) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if hook.delay is not None:
                hook.delay.wait(10)
            if hook.pause:
                time.sleep(hook.pause)
            status = hook.statuses.pop(0) if hook.statuses else 200
            if status == 200:
                with hook.received:
                    hook.posts.append((self.path, json.loads(raw) if raw else None))
                    hook.received.notify_all()
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return None

    return Handler


@contextmanager
def http_hook(**kwargs: Any) -> Iterator[Hook]:
    """An HTTP server on 127.0.0.1 recording POSTs, stopped when the block ends."""
    hook = Hook(**kwargs)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(hook))
    server.daemon_threads = True
    hook.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        if hook.delay is not None:
            hook.delay.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


class Mailbox:
    """aiosmtpd handler keeping every message it is given."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.content.decode("utf-8", "replace")
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), content))
        return "250 OK"


@contextmanager
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    """A local SMTP server (aiosmtpd) on a free port."""
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()
