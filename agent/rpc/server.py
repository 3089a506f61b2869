"""The JSON-RPC TCP listener (listen.rpc_json): Go net/rpc's JSON codec over a stream.

One greenlet reads each connection; every complete request runs in its own greenlet from
a per-connection pool (bounded: when it is full, reading pauses), so a slow request never
holds back the ones behind it and replies go out as they finish, matched by id. Replies
are written whole under a lock, each ending in a newline.

Bad input never reaches beyond its connection: a malformed request gets an error reply
and the stream goes on; a stream that cannot be resynchronised (bytes that cannot start
a request, a request over listen.max_request_bytes) gets a last error reply and is
closed. Idle connections and half-sent requests are closed after listen.idle_timeout.
"""

from __future__ import annotations

import logging
import socket
import time
from typing import Any

import gevent
from gevent.lock import Semaphore
from gevent.pool import Pool
from gevent.server import StreamServer
from prometheus_client import Counter, Gauge

from agent import metrics
from agent.config import Address

from . import envelope, jsonvalue
from .access import AccessPolicy, Limits, RateLimitedLog
from .dispatcher import Dispatcher, reply_for_broken_stream
from .errors import UNAUTHORIZED, RpcError, Unauthorized
from .framing import Frame, JsonSplitter, StreamBroken

log = logging.getLogger(__name__)

CONNECTIONS = Gauge("callmeter_rpc_connections", "Open JSON-RPC TCP connections",
                    registry=metrics.REGISTRY)
INFLIGHT = Gauge("callmeter_rpc_inflight", "JSON-RPC requests being handled (TCP)",
                 registry=metrics.REGISTRY)
REJECTED = Counter("callmeter_rpc_rejected_connections_total",
                   "TCP connections refused, by reason", ["reason"], registry=metrics.REGISTRY)
AUTH_METHOD = "CoreSv1.Auth"
READ_SIZE = 65536


class RpcTcpServer:
    """Listens on an address and serves the JSON-RPC stream protocol on every connection."""

    def __init__(self, address: Address | tuple[str, int], dispatcher: Dispatcher,
                 limits: Limits | None = None, access: AccessPolicy | None = None,
                 ssl_context: Any = None) -> None:
        host, port = (address.host, address.port) if isinstance(address, Address) else address
        self.dispatcher = dispatcher
        self.limits = limits or Limits()
        self.access = access or AccessPolicy()
        self.ssl_context = ssl_context
        self._connections: set[Connection] = set()
        self._pool = Pool()
        self._server = StreamServer((host, port), self._accept, spawn=self._pool)
        self._full_log = RateLimitedLog("JSON-RPC connection refused: listen.max_connections "
                                        "(%d) reached")
        self._denied_log = RateLimitedLog("JSON-RPC connection from %s refused: not in "
                                          "listen.allow_from")

    @property
    def address(self) -> tuple[str, int]:
        return self._server.address  # type: ignore[no-any-return]

    def start(self) -> None:
        self._server.start()
        log.info("JSON-RPC listening on %s:%d%s", *self.address[:2],
                 " (TLS)" if self.ssl_context else "")

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting; close connections once their requests in flight are answered."""
        self._server.close()
        for conn in list(self._connections):
            conn.stop_reading()
        self._pool.join(timeout=timeout)
        self._pool.kill(block=True, timeout=1)

    def _accept(self, sock: socket.socket, peer: tuple[Any, ...]) -> None:
        if not self.access.allows(str(peer[0])):
            REJECTED.labels("allow_from").inc()
            self._denied_log.warn(peer[0])
            sock.close()
            return
        if len(self._connections) >= self.limits.max_connections:
            REJECTED.labels("max_connections").inc()
            self._full_log.warn(self.limits.max_connections)
            sock.close()
            return
        sock.settimeout(self.limits.idle_timeout)
        conn = Connection(self, sock, peer)
        self._connections.add(conn)
        CONNECTIONS.inc()
        try:
            conn.serve()
        finally:
            self._connections.discard(conn)
            CONNECTIONS.dec()


class Connection:
    """One client: reads frames, dispatches them in bounded parallel, writes replies."""

    def __init__(self, server: RpcTcpServer, sock: Any, peer: tuple[Any, ...]) -> None:
        self.server = server
        self.sock = sock
        self.peer = f"{peer[0]}:{peer[1]}"
        limits = server.limits
        self.splitter = JsonSplitter(limits.max_request_bytes, limits.max_depth)
        self.requests = Pool(limits.max_inflight)
        self.authenticated = not server.access.auth_token
        self._write_lock = Semaphore()
        self._open = True
        self._pending_since: float | None = None

    def serve(self) -> None:
        try:
            if self.server.ssl_context is not None and not self._handshake():
                return
            self._read_loop()
            self.requests.join(timeout=self.server.limits.write_timeout)
        finally:
            self.requests.kill(block=False)
            self._close()

    def stop_reading(self) -> None:
        """Server shutdown: no more requests are read; those in flight still get replies."""
        try:
            self.sock.shutdown(socket.SHUT_RD)
        except OSError:
            pass

    def _handshake(self) -> bool:
        try:
            self.sock = self.server.ssl_context.wrap_socket(self.sock, server_side=True)
            return True
        except (OSError, ValueError) as exc:
            log.info("JSON-RPC TLS handshake with %s failed: %s", self.peer, exc)
            return False

    def _read_loop(self) -> None:
        while self._open:
            data = self._receive()
            if data is None:
                return
            try:
                frames = self.splitter.feed(data) if data else []
                if not data:
                    self.splitter.finish()
                    return
            except StreamBroken as exc:
                log.info("JSON-RPC stream from %s broken: %s; closing", self.peer, exc)
                self._write(reply_for_broken_stream(str(exc)))
                return
            self._pending_since = (self._pending_since or time.monotonic()) \
                if self.splitter.pending else None
            for frame in frames:
                if not self._accept_frame(frame):
                    return

    def _receive(self) -> bytes | None:
        """Bytes from the peer (b"" at its end), or None when the connection must close."""
        limits = self.server.limits
        while True:
            try:
                data: bytes = self.sock.recv(READ_SIZE)
            except TimeoutError:
                if len(self.requests) and self._pending_since is None:
                    continue  # quiet while its requests run: not idle
                log.info("JSON-RPC connection %s idle for %.0fs; closing", self.peer,
                         limits.idle_timeout)
                return None
            except OSError:
                return None
            if self._pending_since and time.monotonic() - self._pending_since > limits.idle_timeout:
                log.info("JSON-RPC request from %s not complete after %.0fs; closing",
                         self.peer, limits.idle_timeout)
                return None
            return data

    def _accept_frame(self, frame: Frame) -> bool:
        """Dispatch one frame; False when the connection must close (failed auth)."""
        if not self.authenticated:
            return self._authenticate(frame)
        self.requests.spawn(self._answer, frame)  # blocks while the pool is full
        return True

    def _answer(self, frame: Frame) -> None:
        INFLIGHT.inc()
        try:
            reply = self.server.dispatcher.handle_bytes(frame.data, frame.error)
        finally:
            INFLIGHT.dec()
        if reply is not None:
            self._write(reply)

    def _authenticate(self, frame: Frame) -> bool:
        """With listen.auth_token set, the first request must be a successful CoreSv1.Auth."""
        to = envelope.reply_to_text(frame.data)
        try:
            doc = jsonvalue.loads(frame.data) if frame.error is None else None
            to = envelope.reply_to(doc) if doc is not None else to
            request = envelope.parse_request(doc)
            if request.method != AUTH_METHOD:
                raise Unauthorized(UNAUTHORIZED)
            result = self.server.dispatcher.call(request)
        except RpcError as exc:
            log.warning("JSON-RPC connection %s failed to authenticate; closing", self.peer)
            self._write(envelope.encode(envelope.error_reply(to, exc)))
            return False
        self.authenticated = True
        self._write(envelope.encode(envelope.result_reply(to, result)))
        return True

    def _write(self, data: bytes) -> None:
        if not self._open:
            return
        with self._write_lock:
            try:
                sent = self.sock.send(data)  # almost always the whole reply, without waiting
                if sent < len(data):
                    with gevent.Timeout(self.server.limits.write_timeout):
                        self.sock.sendall(data[sent:])
            except (OSError, gevent.Timeout) as exc:
                log.info("JSON-RPC reply to %s not written (%s); closing", self.peer,
                         exc or "timed out")
                self._close()

    def _close(self) -> None:
        if self._open:
            self._open = False
            try:
                self.sock.close()
            except OSError:
                pass
