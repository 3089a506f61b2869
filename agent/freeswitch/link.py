"""One event-socket TCP connection: greenswitch's InboundESL made safe for a billing agent.

greenswitch's own reader URL-decodes whole blocks, cannot read JSON events, waits forever
for replies and never reconnects. ``EslLink`` keeps greenswitch's connection object and
its ``send`` entry point but replaces the wire handling with ``wire.py`` (plain and JSON
events, exact framing), gives every command a deadline, pipelines commands (replies are
matched first-in first-out, as mod_event_socket answers them in order), and fails every
pending command with ``LinkDown`` when the connection drops. Reconnecting is the owner's
job (switch.py); a link is used for one TCP connection only.
"""

from __future__ import annotations

import logging
import socket
import time
from collections import deque
from collections.abc import Callable, Sequence

import gevent
from gevent.event import AsyncResult
from gevent.lock import Semaphore
from greenswitch.esl import InboundESL

from . import wire

log = logging.getLogger(__name__)

RECV_SIZE = 256 * 1024
ACCEPTED = "+OK accepted"


class EslError(Exception):
    """A command could not be completed on the event socket."""


class LinkDown(EslError):
    """The connection is gone or not up; a command's outcome is unknown."""


class CommandTimeout(EslError):
    """No reply within the command's deadline."""


class AuthFailed(EslError):
    """FreeSWITCH refused the password (or the connection, by ACL)."""


EventHandler = Callable[[wire.Event], None]


class EslLink(InboundESL):  # type: ignore[misc]
    """One inbound ESL connection (see the module docstring)."""

    def __init__(self, host: str, port: int, password: str, *, timeout: float,
                 name: str = "", on_event: EventHandler | None = None,
                 idle_timeout: float | None = None, stall_limit: float | None = None) -> None:
        super().__init__(host, port, password, timeout=timeout)
        self.stall_limit = stall_limit
        self.name = name or f"{host}:{port}"
        self.on_event = on_event
        self.idle_timeout = idle_timeout
        self.sock: socket.socket | None = None
        self.down_reason: str | None = None
        self.closing = False  # a disconnect notice was received
        self.last_rx = time.monotonic()
        self.bad_events = 0
        self._parser = wire.MessageParser()
        self._backlog: deque[wire.Message] = deque()
        self._pending: deque[tuple[float, AsyncResult]] = deque()
        self._write = Semaphore()

    # ------------------------------------------------------------------ connecting
    def connect(self) -> None:
        """TCP connect, wait for auth/request, authenticate; all within `timeout`."""
        deadline = time.monotonic() + self.timeout
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as exc:
            raise LinkDown(f"{self.name}: cannot connect: {exc}") from None
        sock.settimeout(None)
        _tune(sock)
        self.sock = sock
        first = self._read_one(deadline)
        if first.content_type == wire.RUDE_REJECTION:
            self.close("rejected")
            raise AuthFailed(f"{self.name}: connection rejected ({first.text().strip()})")
        if first.content_type != wire.AUTH_REQUEST:
            self.close("no auth/request")
            raise LinkDown(f"{self.name}: expected auth/request, got {first.content_type!r}")
        reply = self.handshake([f"auth {self.password}"], deadline)[0]
        if (reply.reply_text or "") != ACCEPTED:
            self.close("auth refused")
            raise AuthFailed(f"{self.name}: authentication failed ({reply.reply_text})")
        self.connected = True
        self.down_reason = None

    def handshake(self, lines: Sequence[str], deadline: float) -> list[wire.Message]:
        """Send commands and read their replies here, before the reader runs.

        Events that arrive meanwhile are kept and handed out by ``read_forever``.
        """
        if self.sock is None:
            raise LinkDown(f"{self.name}: not connected")
        self._send_raw(b"".join(wire.encode_command(line) for line in lines), deadline)
        replies: list[wire.Message] = []
        while len(replies) < len(lines):
            message = self._read_one(deadline)
            if message.content_type in (wire.COMMAND_REPLY, wire.API_RESPONSE):
                replies.append(message)
            elif message.content_type == wire.DISCONNECT_NOTICE:
                self.close("disconnected by FreeSWITCH")
                raise LinkDown(f"{self.name}: disconnected by FreeSWITCH during set-up")
            else:
                self._backlog.append(message)
        return replies

    def _read_one(self, deadline: float) -> wire.Message:
        """The next message that is not an event; events read meanwhile stay queued."""
        while True:
            for index, message in enumerate(self._backlog):
                if not message.is_event:
                    del self._backlog[index]
                    return message
            remaining = deadline - time.monotonic()
            try:
                if remaining <= 0:
                    raise _Idle()
                data = self._recv(remaining)
            except _Idle:
                self.close("set-up timed out")
                raise CommandTimeout(f"{self.name}: no reply within {self.timeout:g}s") from None
            self._backlog.extend(self._parser.feed(data))

    def _recv(self, timeout: float | None) -> bytes:
        assert self.sock is not None
        try:
            with gevent.Timeout(timeout, False):
                data = self.sock.recv(RECV_SIZE)
                if not data:
                    raise LinkDown(f"{self.name}: closed by FreeSWITCH")
                self.last_rx = time.monotonic()
                return data
        except OSError as exc:
            raise LinkDown(f"{self.name}: {exc}") from None
        raise _Idle()

    # ------------------------------------------------------------------ reading
    def start_event_handlers(self) -> None:
        """greenswitch would spawn its own reader here; ours runs in the owner's greenlet."""

    def read_forever(self) -> str:
        """Read and dispatch until the connection ends; return why it ended."""
        reason = "closed"
        try:
            while self._backlog:
                self._dispatch(self._backlog.popleft())
            while self.connected:
                try:
                    data = self._recv(self._wait_time())
                except _Idle:
                    trouble = self._trouble()
                    if trouble:
                        reason = trouble
                        break
                    continue
                for message in self._parser.feed(data):
                    self._dispatch(message)
        except LinkDown as exc:
            reason = str(exc)
        except wire.WireError as exc:
            reason = f"unreadable data: {exc}"
        finally:
            self.close(reason if self.down_reason is None else self.down_reason)
        return self.down_reason or reason

    def _wait_time(self) -> float | None:
        waits = []
        if self.idle_timeout is not None:
            waits.append(max(0.001, self.last_rx + self.idle_timeout - time.monotonic()))
        if self.stall_limit is not None:
            waits.append(self.stall_limit / 3)
        return min(waits) if waits else None

    def _trouble(self) -> str | None:
        """Why a quiet connection must be dropped, if it must."""
        if self.stall_limit is not None and self.oldest_pending_age() > self.stall_limit:
            return f"no reply for {self.stall_limit:g}s"
        if self.idle_timeout is not None and \
                time.monotonic() - self.last_rx >= self.idle_timeout:
            return f"nothing received for {self.idle_timeout:g}s"
        return None

    def _dispatch(self, message: wire.Message) -> None:
        kind = message.content_type
        if message.is_event:
            self._deliver(message)
        elif kind in (wire.COMMAND_REPLY, wire.API_RESPONSE):
            if self._pending:
                self._pending.popleft()[1].set(message)
            else:
                log.warning("%s: a reply nobody waits for: %r", self.name, message.headers)
        elif kind == wire.DISCONNECT_NOTICE:
            self.closing = True
            log.info("%s: FreeSWITCH says goodbye: %s", self.name, message.text().strip())
        elif kind == wire.RUDE_REJECTION:
            self.close("rejected by FreeSWITCH")

    def _deliver(self, message: wire.Message) -> None:
        try:
            event = wire.parse_event(message)
        except wire.WireError as exc:
            self.bad_events += 1
            log.error("%s: undecodable event skipped: %s", self.name, exc)
            return
        if self.on_event is not None:
            try:
                self.on_event(event)
            except Exception:  # a handler bug must never stop the reader
                log.exception("%s: event handler failed on %s", self.name, event.name)

    # ------------------------------------------------------------------ commands
    def send(self, data: str) -> wire.Message:  # greenswitch's entry point
        return self.request(data)

    def request(self, line: str, headers: Sequence[tuple[str, str]] = (),
                timeout: float | None = None) -> wire.Message:
        """Send one command and wait for its reply (command/reply or api/response)."""
        return self.request_many([(line, headers)], timeout)[0]

    def request_many(self, commands: Sequence[tuple[str, Sequence[tuple[str, str]]]],
                     timeout: float | None = None) -> list[wire.Message]:
        """Send commands back to back (FreeSWITCH runs them in order); wait for all replies."""
        if not self.connected or self.sock is None:
            raise LinkDown(f"{self.name}: not connected ({self.down_reason or 'not up yet'})")
        bound = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + bound
        data = b"".join(wire.encode_command(line, headers) for line, headers in commands)
        results = [AsyncResult() for _ in commands]
        with self._write:
            now = time.monotonic()
            self._pending.extend((now, r) for r in results)
            self._send_raw(data, deadline)
        replies = []
        for result in results:
            try:
                replies.append(result.get(timeout=max(0.0, deadline - time.monotonic())))
            except gevent.Timeout:
                # The slot stays queued so the late reply is matched to it, not to the next.
                raise CommandTimeout(
                    f"{self.name}: no reply to {commands[0][0].split(' ', 2)[:2]} "
                    f"within {bound:g}s") from None
        return replies

    def api(self, command: str, timeout: float | None = None) -> str:
        """``api <command>``: the reply body as text."""
        return self.request("api " + command, timeout=timeout).text()

    def _send_raw(self, data: bytes, deadline: float) -> None:
        sock = self.sock
        if sock is None:
            raise LinkDown(f"{self.name}: not connected")
        try:
            with gevent.Timeout(max(0.001, deadline - time.monotonic())):
                sock.sendall(data)
        except gevent.Timeout:
            self.close("a write did not complete in time")
            raise CommandTimeout(f"{self.name}: write timed out") from None
        except OSError as exc:
            self.close(f"write failed: {exc}")
            raise LinkDown(f"{self.name}: write failed: {exc}") from None

    @property
    def pending(self) -> int:
        return len(self._pending)

    def oldest_pending_age(self) -> float:
        """Seconds the oldest unanswered command has waited (0 when none)."""
        return time.monotonic() - self._pending[0][0] if self._pending else 0.0

    # ------------------------------------------------------------------ closing
    def close(self, reason: str) -> None:
        """Drop the connection and fail every pending command with LinkDown."""
        if self.down_reason is None:
            self.down_reason = reason
        self.connected = False
        sock, self.sock = self.sock, None
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass
        while self._pending:
            self._pending.popleft()[1].set_exception(LinkDown(f"{self.name}: {reason}"))

    def stop(self) -> None:  # greenswitch's name
        self.close("stopped")


class _Idle(Exception):
    """recv saw nothing within the idle timeout."""


def _tune(sock: socket.socket) -> None:
    """No Nagle delay for small commands; keepalive so a dead peer is noticed."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    for name, value in (("TCP_KEEPIDLE", 10), ("TCP_KEEPINTVL", 5), ("TCP_KEEPCNT", 3)):
        option = getattr(socket, name, None)
        if option is not None:
            sock.setsockopt(socket.IPPROTO_TCP, option, value)
