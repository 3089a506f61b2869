"""A loopback TCP proxy that can make its target unreachable for a while (a store outage)."""

from __future__ import annotations

import socket
from contextlib import suppress

import gevent
from gevent.server import StreamServer


class PausableProxy:
    """Forwards 127.0.0.1:<port> to a target port; while paused, connections are cut and
    new ones closed at once (clients see a store that is down)."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.paused = False
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self.server = StreamServer(("127.0.0.1", 0), self._serve)
        self.server.start()
        self.port = self.server.server_port

    def _serve(self, client: socket.socket, _address: object) -> None:
        if self.paused:
            client.close()
            return
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=2)
        except OSError:
            client.close()
            return
        pair = (client, upstream)
        self._pairs.append(pair)
        pump = gevent.spawn(self._pump, upstream, client)
        self._pump(client, upstream)
        pump.join()
        with suppress(ValueError):
            self._pairs.remove(pair)

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        with suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        for sock in (src, dst):
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def pause(self) -> None:
        """Cut every connection and refuse new ones until resume()."""
        self.paused = True
        for client, upstream in list(self._pairs):
            for sock in (client, upstream):
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def resume(self) -> None:
        self.paused = False

    def close(self) -> None:
        self.pause()
        self.server.stop(timeout=1)
