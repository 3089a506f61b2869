"""Real redis-server processes for tests: standalone, a replica, Sentinel, Cluster.

Each server runs in its own temp dir on a free loopback port and is stopped by the
fixture that started it. No fakeredis, no mocks.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from .net import free_port, port_open, wait_for

REDIS_SERVER = shutil.which("redis-server")
REDIS_CLI = shutil.which("redis-cli")


def require_redis() -> str:
    """The redis-server path; skip without it, except in CI where its absence is a failure."""
    if REDIS_SERVER:
        return REDIS_SERVER
    if os.environ.get("CI"):
        pytest.fail("redis-server is not installed, and CI is set: .ci/run must install it")
    pytest.skip("redis-server is not installed (apt-get install redis-server)")


class RedisServer:
    """One redis-server on 127.0.0.1:<free port>, in a private directory."""

    def __init__(self, *extra: str, port: int | None = None) -> None:
        self.binary = require_redis()
        self.port = port or free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="callmeter-redis-"))
        self.extra = extra
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", str(self.dir), "--save", "", "--appendonly", "no",
                "--protected-mode", "no", *self.extra]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: port_open(self.port), timeout=10, what=f"redis-server on {self.port}")
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def kill(self) -> None:
        """kill -9, as a crash would."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
