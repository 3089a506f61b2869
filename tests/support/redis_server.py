"""Real redis-server processes for tests: standalone, a replica, Sentinel, Cluster.

Each server runs in its own temp dir on a free loopback port and is stopped by the
fixture that started it. No fakeredis, no mocks.
"""

from __future__ import annotations

import os
import shutil
import socket
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

    def __init__(self, *extra: str, port: int | None = None,
                 config: str | None = None) -> None:
        self.binary = require_redis()
        self.port = port or free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="callmeter-redis-"))
        self.extra = extra
        self.config = config  # text of a config file given first (Sentinel needs one)
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        conf = []
        if self.config is not None:
            path = self.dir / "redis.conf"
            if not path.exists():  # Sentinel rewrites it: keep what it learnt over restarts
                path.write_text(self.config)
            conf = [str(path)]
        args = [self.binary, *conf, "--port", str(self.port), "--bind", "127.0.0.1",
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


def redis_cli(port: int, *args: str, timeout: float = 10) -> str:
    """Run one redis-cli command against 127.0.0.1:port; its output."""
    if not REDIS_CLI:
        pytest.fail("redis-cli is not installed (it comes with redis-server)")
    done = subprocess.run([REDIS_CLI, "-h", "127.0.0.1", "-p", str(port), *args],
                          capture_output=True, text=True, timeout=timeout, check=True)
    return done.stdout.strip()


def free_cluster_port() -> int:
    """A port free together with its cluster bus port (port + 10000)."""
    for _ in range(200):
        port = free_port()
        if port + 10000 < 65536 and not port_open(port + 10000):
            try:
                with socket.create_server(("127.0.0.1", port + 10000)):
                    return port
            except OSError:
                continue
    raise RuntimeError("no free port pair for a cluster node")


class RedisClusterGroup:
    """A Redis Cluster of `masters` nodes, no replicas, created with redis-cli --cluster."""

    def __init__(self, masters: int = 3) -> None:
        self.nodes = [
            RedisServer("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                        "--cluster-node-timeout", "2000", port=free_cluster_port())
            for _ in range(masters)
        ]

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(f"127.0.0.1:{n.port}" for n in self.nodes)

    def start(self) -> RedisClusterGroup:
        try:
            for node in self.nodes:
                node.start()
            redis_cli(self.nodes[0].port, "--cluster", "create",
                      *(f"127.0.0.1:{n.port}" for n in self.nodes),
                      "--cluster-replicas", "0", "--cluster-yes", timeout=60)
            for node in self.nodes:
                wait_for(lambda n=node: "cluster_state:ok" in redis_cli(n.port, "cluster", "info"),
                         timeout=30, what=f"cluster state ok on {node.port}")
        except BaseException:
            self.cleanup()
            raise
        return self

    def cleanup(self) -> None:
        for node in self.nodes:
            node.cleanup()


class RedisSentinelGroup:
    """One master, one replica and one Sentinel (quorum 1) watching them as `service`."""

    def __init__(self, service: str = "callmeter") -> None:
        self.service = service
        self.master = RedisServer("--repl-diskless-sync-delay", "0")
        self.replica = RedisServer("--replicaof", "127.0.0.1", str(self.master.port),
                                   "--repl-diskless-sync-delay", "0")
        self.sentinel = RedisServer("--sentinel", config=(
            f"sentinel monitor {service} 127.0.0.1 {self.master.port} 1\n"
            f"sentinel down-after-milliseconds {service} 1000\n"
            f"sentinel failover-timeout {service} 5000\n"))

    @property
    def url(self) -> str:
        return f"redis+sentinel://127.0.0.1:{self.sentinel.port}/{self.service}/0"

    def master_port(self) -> int:
        """The master's port as Sentinel reports it now."""
        out = redis_cli(self.sentinel.port, "sentinel", "get-master-addr-by-name", self.service)
        return int(out.split()[1])

    def start(self) -> RedisSentinelGroup:
        try:
            self.master.start()
            self.replica.start()
            wait_for(lambda: "master_link_status:up" in redis_cli(self.replica.port, "info",
                                                                  "replication"),
                     timeout=30, what="the replica to sync")
            self.sentinel.start()
            wait_for(lambda: "slaves=1" in redis_cli(self.sentinel.port, "info", "sentinel"),
                     timeout=30, what="Sentinel to see the replica")
        except BaseException:
            self.cleanup()
            raise
        return self

    def cleanup(self) -> None:
        for server in (self.sentinel, self.replica, self.master):
            server.cleanup()
