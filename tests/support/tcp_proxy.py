"""A loopback TCP proxy that can lose one reply: the request reaches the server and runs,
but the connection dies before the client reads the answer (what a network blip does).
"""

from __future__ import annotations

import socket
import threading
from contextlib import suppress

from .net import free_port


class LossyProxy:
    """Forwards 127.0.0.1:<port> to a target port; ``lose_reply_to(marker)`` arms one loss."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._marker: bytes | None = None
        self._min_count = 1
        self._lock = threading.Lock()
        self.replies_lost = 0
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._sockets: list[socket.socket] = []
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def lose_reply_to(self, marker: bytes, min_count: int = 1) -> None:
        """The next request holding marker (min_count times: a pipeline) is executed; its
        reply never arrives."""
        with self._lock:
            self._marker = marker
            self._min_count = min_count

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            server.settimeout(None)
            self._sockets += [client, server]
            cut = threading.Event()
            threading.Thread(target=self._upstream, args=(client, server, cut), daemon=True).start()
            threading.Thread(target=self._downstream, args=(server, client, cut),
                             daemon=True).start()

    def _upstream(self, client: socket.socket, server: socket.socket, cut: threading.Event) -> None:
        with suppress(OSError):
            while data := client.recv(65536):
                with self._lock:
                    if self._marker is not None and data.count(self._marker) >= self._min_count:
                        self._marker = None
                        cut.set()
                server.sendall(data)
        self._close(client, server)

    def _downstream(self, server: socket.socket, client: socket.socket,
                    cut: threading.Event) -> None:
        with suppress(OSError):
            while data := server.recv(65536):
                if cut.is_set():  # the server answered, so it ran the command: drop the answer
                    self.replies_lost += 1
                    break
                client.sendall(data)
        self._close(client, server)

    @staticmethod
    def _close(*socks: socket.socket) -> None:
        for sock in socks:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        self._close(*self._sockets)
