"""Real listeners for transport tests: the TCP server and the HTTP /jsonrpc route, started
in-process under gevent on free loopback ports, and a small line client."""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from gevent.pywsgi import WSGIServer

from agent.rpc import jsonvalue
from agent.rpc.access import AccessPolicy, Limits
from agent.rpc.dispatcher import Dispatcher
from agent.rpc.http import JsonRpcHttpHandler
from agent.rpc.server import RpcTcpServer
from agent.web import Health, WebApp


@contextmanager
def tcp_server(dispatcher: Dispatcher, limits: Limits | None = None,
               access: AccessPolicy | None = None, ssl_context: Any = None) -> Iterator[int]:
    server = RpcTcpServer(("127.0.0.1", 0), dispatcher, limits, access, ssl_context)
    server.start()
    try:
        yield server.address[1]
    finally:
        server.stop(timeout=2)


@contextmanager
def http_server(dispatcher: Dispatcher, limits: Limits | None = None,
                access: AccessPolicy | None = None, ssl_context: Any = None) -> Iterator[str]:
    app = WebApp(Health(status="ok"))
    app.route("POST", "/jsonrpc", JsonRpcHttpHandler(dispatcher, limits, access))
    kwargs = {"ssl_context": ssl_context} if ssl_context else {}
    server = WSGIServer(("127.0.0.1", 0), app, log=None, error_log=None, **kwargs)
    server.start()
    scheme = "https" if ssl_context else "http"
    try:
        yield f"{scheme}://127.0.0.1:{server.address[1]}/jsonrpc"
    finally:
        server.stop(timeout=2)


class LineClient:
    """A raw TCP client: send bytes, read newline-terminated replies."""

    def __init__(self, port: int, timeout: float = 5.0, context: ssl.SSLContext | None = None):
        sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock = context.wrap_socket(sock, server_hostname="127.0.0.1") if context else sock
        self.buffer = b""

    def send(self, data: bytes | dict[str, Any]) -> None:
        self.sock.sendall(data if isinstance(data, bytes) else jsonvalue.dumps(data).encode())

    def reply(self) -> dict[str, Any]:
        """The next reply line, decoded (exact numbers)."""
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"closed by the server; unread: {self.buffer!r}")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        decoded: dict[str, Any] = jsonvalue.loads(line)
        return decoded

    def call(self, method: str, params: Any, id: Any = 1) -> dict[str, Any]:
        self.send({"method": method, "params": [params], "id": id})
        return self.reply()

    def closed_by_server(self) -> bool:
        """True when the server has closed the connection (after any pending bytes)."""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buffer += chunk
        except (ConnectionResetError, BrokenPipeError):
            return True
        except TimeoutError:
            return False

    def close(self) -> None:
        self.sock.close()


def post(url: str, body: bytes, headers: dict[str, str] | None = None,
         context: ssl.SSLContext | None = None) -> tuple[int, dict[str, str], bytes]:
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    request = urllib.request.Request(url, data=body, method="POST", headers=all_headers)
    try:
        with urllib.request.urlopen(request, timeout=5, context=context) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def post_json(url: str, doc: dict[str, Any], **kwargs: Any) -> tuple[int, Any]:
    status, _, body = post(url, jsonvalue.dumps(doc).encode(), **kwargs)
    return status, jsonvalue.loads(body) if body else None


def self_signed_cert(directory: Path) -> tuple[str, str]:
    """A throwaway certificate for 127.0.0.1, made with the openssl command."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not installed")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return str(cert), str(key)


def client_context(cert: str) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=cert)
    return context


def dumps(doc: Any) -> bytes:
    return json.dumps(doc).encode()
