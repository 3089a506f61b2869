"""The emulator in a process of its own (`python -m agent.emulator`), for the agent benchmark
and for tests that must not share a process with it.

    with EmulatorProcess(args=["--heartbeat", "5"]) as fs:
        connect_agent(fs.host, fs.port, fs.password)
    print(fs.returncode)                     # 0: it stopped cleanly on SIGTERM
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class EmulatorProcess:
    def __init__(self, password: str = "ClueCon", host: str = "127.0.0.1", port: int = 0,
                 args: Sequence[str] = (), python: str = sys.executable) -> None:
        self.password = password
        self.host = host
        self.port = port
        self.command = [python, "-m", "agent.emulator", "--listen", f"{host}:{port}",
                        "--password", password, *args]
        self.process: subprocess.Popen[str] | None = None
        # Bounded: a report too long for it should go to --load-report FILE instead.
        self.lines: queue.Queue[str | None] = queue.Queue(maxsize=100_000)
        self.returncode: int | None = None

    def start(self, timeout: float = 30.0) -> EmulatorProcess:
        """Start it and wait for its "listening on HOST:PORT" line."""
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        self.process = subprocess.Popen(self.command, stdout=subprocess.PIPE, text=True,
                                        env=env, cwd=ROOT)
        threading.Thread(target=self._read, daemon=True).start()
        try:
            first = self.lines.get(timeout=timeout)
        except queue.Empty:
            self.stop()
            raise RuntimeError(f"the emulator did not start within {timeout}s") from None
        if first is None or not first.startswith("listening on "):
            self.stop()
            raise RuntimeError(f"the emulator did not start: {first!r}")
        host, _, port = first[len("listening on "):].strip().rpartition(":")
        self.host, self.port = host, int(port)
        return self

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            with contextlib.suppress(queue.Full):  # keep draining the pipe: never block it
                self.lines.put_nowait(line)
        with contextlib.suppress(queue.Full):
            self.lines.put_nowait(None)

    def output(self) -> list[str]:
        """The stdout lines printed since start (e.g. a load report without --load-report)."""
        out: list[str] = []
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                return out
            if line is not None:
                out.append(line)

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM, then wait for the exit (kill after timeout); the exit code."""
        process = self.process
        if process is None:
            return 0
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.returncode = process.returncode
        return process.returncode

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
