"""Start `callmeter run` as a real subprocess on free ports, for integration tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from .net import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]


def http_get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    """GET url; return (status, body) for 2xx and error statuses alike."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


class CallmeterProcess:
    """One `python -m agent run -c <file>` with its own store file and ports."""

    def __init__(self, workdir: Path, overrides: dict[str, Any] | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.workdir = workdir
        self.rpc_port = free_port()
        self.http_port = free_port()
        config: dict[str, Any] = {
            "general": {"log_level": "DEBUG", "shutdown_timeout": "5s"},
            "store": {"url": f"sqlite:///{workdir / 'callmeter.db'}"},
            "listen": {"rpc_json": f"127.0.0.1:{self.rpc_port}",
                       "http": f"127.0.0.1:{self.http_port}"},
        }
        for section, values in (overrides or {}).items():
            config.setdefault(section, {}).update(values)
        self.config_file = workdir / "callmeter.yaml"
        self.config_file.write_text(yaml.safe_dump(config))
        self.log_file = workdir / "callmeter.log"
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
        self.env.pop("NOTIFY_SOCKET", None)
        if env and "NOTIFY_SOCKET" in env:
            self.env["NOTIFY_SOCKET"] = env["NOTIFY_SOCKET"]
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def start(self, wait_ready: bool = True) -> CallmeterProcess:
        with open(self.log_file, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "agent", "run", "-c", str(self.config_file)],
                cwd=self.workdir, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        if wait_ready:
            wait_for(self.ready, timeout=20, what="callmeter /healthz")
        return self

    def ready(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"callmeter exited with {self.proc.returncode}:\n{self.log()}")
        status, _ = http_get(f"{self.base_url}/healthz", timeout=0.5)
        return status == 200

    def health(self) -> dict[str, Any]:
        status, body = http_get(f"{self.base_url}/healthz")
        doc: dict[str, Any] = json.loads(body)
        doc["http_status"] = status
        return doc

    def signal(self, signum: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(signum)

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM and wait; kill -9 if it does not exit in time (then fail loudly)."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"callmeter did not stop within {timeout}s:\n{self.log()}") from None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def log(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
