"""The agent's test rig: an emulated FreeSWITCH, a real store, an engine and the agent.

Everything talks over real TCP on 127.0.0.1 (the emulator in its own thread and hub, the
agent on the test's hub); stores are real SQLite files or real redis-servers.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import gevent
import yaml

from agent.config import (
    Address,
    Config,
    Duration,
    FreeSwitchConfig,
    FreeSwitchConnection,
    SessionsConfig,
)
from agent.emulator import Emulator
from agent.freeswitch.agent import FreeSwitchAgent
from agent.supervisor import Supervisor
from rating.engine import Engine
from rating.store import open_store
from rating.store.base import CdrQuery, Commit, Store
from tests.support.net import wait_for

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
#: A context that parks every call with an empty cgr_notify, whatever its request type.
PARK_ALL = HERE / "park_all.xml"

# 1002: 1 cent per second in 1 s increments; 1003: connect fee 0.05 then 1 cent per second.
PLAN = {
    "Destinations.csv": "DST_1002,1002\nDST_1003,1003\n",
    "Rates.csv": "RT_1C,0,0.01,1s,1s,0s\nRT_FEE,0.05,0.6,60s,1s,0s\n",
    "DestinationRates.csv": "DR_1002,DST_1002,RT_1C,*up,4,0,\nDR_1003,DST_1003,RT_FEE,*up,4,0,\n",
    "RatingPlans.csv": "RP_STD,DR_1002,*any,10\nRP_STD,DR_1003,*any,10\n",
    "RatingProfiles.csv": "cgrates.org,call,*any,2014-01-14T00:00:00Z,RP_STD,\n",
}
TENANT = "cgrates.org"


def write_plan(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, body in PLAN.items():
        (folder / name).write_text("# header\n" + body)
    return folder


def make_engine(store: Store) -> Engine:
    return Engine(store, clock=lambda: datetime.now(UTC), new_id=lambda: uuid.uuid4().hex)


def set_balance(store: Store, account: str, value: str, **flags: Any) -> None:
    """Create or replace the account with one *monetary balance (test set-up)."""
    key = f"{TENANT}:{account}"

    def txn(doc: Any) -> Commit:
        new = {"ID": key, "BalanceMap": {"*monetary": [
            {"Uuid": f"{account}-money", "ID": "main", "Value": value}]},
            "AllowNegative": False, "Disabled": False}
        new.update(flags)
        return Commit(new, None)

    store.transact(key, txn)


def balance(store: Store, account: str) -> Decimal:
    doc = store.get_account(f"{TENANT}:{account}")
    assert doc is not None, account
    return sum((Decimal(b["Value"]) for b in doc["BalanceMap"].get("*monetary", [])),
               Decimal(0))


def cdrs(store: Store, account: str | None = None) -> list[dict[str, Any]]:
    query = CdrQuery(accounts=(f"{TENANT}:{account}",) if account else (), limit=1000)
    return store.query_cdrs(query)[0]


def config(emulators: Iterable[Emulator], **sessions: Any) -> Config:
    """An agent config for these emulators; `sessions` overrides (durations as text)."""
    event_format = sessions.pop("event_format", "json")
    fs_extra = {k: sessions.pop(k) for k in ("empty_balance_context", "empty_balance_ann_file")
                if k in sessions}
    values = {"debit_interval": "400ms", "channel_sync_interval": "30s", **sessions}
    typed = {k: Duration.parse(v) if isinstance(v, str) and k not in (
        "store_down", "hangup_cause", "low_balance_ann_file", "shutdown_notify") else v
        for k, v in values.items()}
    conns = tuple(FreeSwitchConnection(Address(fs.host, fs.port), fs.password, f"fs{i + 1}")
                  for i, fs in enumerate(emulators))
    return Config(freeswitch=FreeSwitchConfig(connections=conns, event_format=event_format,
                                              command_timeout=Duration.parse("2s"), **fs_extra),
                  sessions=SessionsConfig(**typed))


class Rig:
    """Store + engine + agent (in this process) against emulators."""

    def __init__(self, emulators: list[Emulator], store: Store, **sessions: Any) -> None:
        self.emulators = emulators
        self.store = store
        self.engine = make_engine(store)
        self.config = config(emulators, **sessions)
        self.supervisor = Supervisor()
        self.agent = FreeSwitchAgent(self.config, self.engine, self.supervisor, "test-node")

    def start(self) -> Rig:
        self.agent.start()
        wait_for(lambda: all(all(s.state().values()) for s in self.agent.switches.values()),
                 timeout=10, what="event, control and query connections")
        return self

    def stop(self, timeout: float = 2.0) -> None:
        self.agent.stop(timeout)
        self.supervisor.stop(timeout=1.0)

    def idle(self, timeout: float = 5.0) -> None:
        assert self.agent.wait_idle(timeout), "agent work did not finish"

    def wait_settled(self, uuid: str, timeout: float = 10.0) -> None:
        wait_for(lambda: uuid not in self.agent.sessions and self.agent.is_tombstoned(uuid),
                 timeout=timeout, what=f"settlement of {uuid}")

    def cdr(self, uuid: str) -> dict[str, Any]:
        found = [c for c in cdrs(self.store) if c["OriginID"] == uuid]
        assert len(found) == 1, found
        return found[0]


def stop_emulator(fs: Emulator) -> None:
    """Emulator.stop() without its thread join, which waits out its 10 s timeout today.

    (The hub thread has finished; the join waits on a thread-state lock that gevent's
    patching turned into a lock the exiting thread never releases.) The emulator's server
    is stopped in its own thread, then its hub is told to end.
    """
    hub = fs._hub
    if hub.alive and fs._server is not None:
        hub.call(fs._server.stop)
        hub.submit(hub._stop.set)


def record_commands(fs: Emulator) -> list[str]:
    """Every command the emulator receives from now on (also those about ended calls)."""
    seen: list[str] = []
    fs.call(lambda: fs.server.command_observers.append(seen.append))
    return seen


def sleep(seconds: float) -> None:
    """Let time pass while the agent works (the scenario needs time to elapse, not a sync)."""
    gevent.sleep(seconds)


class AgentProcess:
    """The agent in its own OS process (python -m agent.freeswitch.standalone)."""

    def __init__(self, workdir: Path, emulators: list[Emulator], store_url: str,
                 name: str = "agent", **sessions: Any) -> None:
        self.workdir = workdir
        self.name = name
        cfg = config(emulators, **sessions)
        conns = [{"address": str(c.address), "password": c.password, "alias": c.alias}
                 for c in cfg.freeswitch.connections]
        session_text = {k: (f"{int(v) // 1_000_000}ms" if isinstance(v, int) and
                            not isinstance(v, bool) else v)
                        for k, v in _session_values(cfg.sessions).items()}
        doc = {"general": {"log_level": "DEBUG", "node_id": name, "shutdown_timeout": "3s"},
               "store": {"url": store_url},
               "freeswitch": {"connections": conns, "event_format": cfg.freeswitch.event_format,
                              "command_timeout": "2s"},
               "sessions": session_text}
        self.config_file = workdir / f"{name}.yaml"
        self.config_file.write_text(yaml.safe_dump(doc))
        self.log_file = workdir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> AgentProcess:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        with open(self.log_file, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "agent.freeswitch.standalone", "-c",
                 str(self.config_file)], stdout=out, stderr=out, env=env, cwd=ROOT)
        return self

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def terminate(self, timeout: float = 10.0) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def log(self) -> str:
        return self.log_file.read_text(errors="replace")


def _session_values(sessions: SessionsConfig) -> dict[str, Any]:
    return {k: getattr(sessions, k) for k in ("debit_interval", "channel_sync_interval",
                                               "store_down", "hangup_cause")}


def open_sqlite(path: Path) -> Store:
    """SQLite as the daemon should open it: commits (fsync) off the event loop."""
    return open_store(f"sqlite:///{path}", run_blocking=gevent.get_hub().threadpool.apply)
