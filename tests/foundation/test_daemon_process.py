"""`callmeter run` as a real subprocess: ready, metrics, signals, bad config."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.daemon import ROOT, CallmeterProcess, http_get
from tests.support.net import wait_for


@pytest.fixture
def callmeter(tmp_path: Path) -> Iterator[CallmeterProcess]:
    proc = CallmeterProcess(tmp_path)
    yield proc
    proc.kill()


def test_daemon_becomes_healthy_serves_metrics_and_stops_on_sigterm(callmeter: CallmeterProcess) -> None:
    callmeter.start()
    health = callmeter.health()
    assert health["http_status"] == 200
    assert health["status"] == "ok"
    assert "sqlite" in health["components"]["store"]
    status, body = http_get(f"{callmeter.base_url}/metrics")
    assert status == 200
    assert b"callmeter_up 1.0" in body
    assert b"# TYPE callmeter_greenlet_restarts_total counter" in body

    started = time.monotonic()
    assert callmeter.stop() == 0
    assert time.monotonic() - started < 5 + 2  # general.shutdown_timeout plus start-up slack
    log = callmeter.log()
    assert "received SIGTERM: shutting down" in log
    assert "callmeter stopped in" in log
    assert "Traceback" not in log


def test_sigint_also_stops_cleanly(callmeter: CallmeterProcess) -> None:
    callmeter.start()
    callmeter.signal(signal.SIGINT)
    assert callmeter.proc is not None
    assert callmeter.proc.wait(timeout=10) == 0


def test_store_file_is_created_where_configured(callmeter: CallmeterProcess, tmp_path: Path) -> None:
    callmeter.start()
    assert (tmp_path / "callmeter.db").exists()
    callmeter.stop()


def test_sighup_reloads_log_level_and_names_keys_needing_restart(callmeter: CallmeterProcess) -> None:
    callmeter.start()
    text = callmeter.config_file.read_text()
    callmeter.config_file.write_text(
        text.replace("log_level: DEBUG", "log_level: INFO") + "sessions: {debit_interval: 5s}\n")
    callmeter.signal(signal.SIGHUP)
    wait_for(lambda: "reloaded" in callmeter.log(), timeout=10, what="reload log line")
    line = next(line for line in callmeter.log().splitlines() if "reloaded" in line)
    assert "applied general.log_level" in line
    assert "needs a restart to take effect: sessions.debit_interval" in line
    assert callmeter.health()["status"] == "ok"
    assert callmeter.stop() == 0


def test_sighup_with_broken_file_keeps_running_config(callmeter: CallmeterProcess) -> None:
    callmeter.start()
    callmeter.config_file.write_text("general: {log_level: LOUD}\n")
    callmeter.signal(signal.SIGHUP)
    wait_for(lambda: "reload refused" in callmeter.log(), timeout=10, what="reload refusal")
    assert "general.log_level: must be one of" in callmeter.log()
    assert callmeter.health()["status"] == "ok"
    assert callmeter.stop() == 0


def test_broken_config_exits_2_with_message_naming_file_line_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("general:\n  default_tenant: ok\nlisten:\n  http: nowhere\n")
    result = subprocess.run([sys.executable, "-m", "agent", "run", "-c", str(bad)],
                            cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert f"{bad}:4: listen.http: 'nowhere' is not an address" in result.stderr
    assert result.stderr.count("\n") == 1  # one clear line, no traceback


def test_port_in_use_fails_start_with_clear_message(tmp_path: Path) -> None:
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    try:
        port = blocker.getsockname()[1]
        proc = CallmeterProcess(tmp_path, {"listen": {"http": f"127.0.0.1:{port}"}})
        proc.start(wait_ready=False)
        assert proc.proc is not None
        assert proc.proc.wait(timeout=20) == 1
        assert f"cannot listen on 127.0.0.1:{port} (listen.http)" in proc.log()
    finally:
        blocker.close()


def test_daemon_notifies_systemd_ready_watchdog_and_stopping(tmp_path: Path) -> None:
    path = str(tmp_path / "notify.sock")
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.bind(path)
    receiver.settimeout(10)
    proc = CallmeterProcess(tmp_path, env={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "400000"})
    try:
        proc.start()
        messages = [receiver.recv(4096).decode() for _ in range(3)]
        assert messages[0].startswith("READY=1\nSTATUS=")
        assert "WATCHDOG=1" in messages[1] and "WATCHDOG=1" in messages[2]
        proc.stop()
        rest = []
        receiver.settimeout(0.5)
        try:
            while True:
                rest.append(receiver.recv(4096).decode())
        except TimeoutError:
            pass
        assert any(m.startswith("STOPPING=1") for m in rest)
    finally:
        proc.kill()
        receiver.close()


def test_cli_version_and_help() -> None:
    out = subprocess.run([sys.executable, "-m", "agent", "--version"], cwd=ROOT,
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and out.stdout.startswith("callmeter ")
    for command in ("run", "console", "load", "demo", "emulator"):
        help_text = subprocess.run([sys.executable, "-m", "agent", command, "--help"], cwd=ROOT,
                                   capture_output=True, text=True, timeout=30)
        assert help_text.returncode == 0, command
        assert "usage: callmeter" in help_text.stdout
