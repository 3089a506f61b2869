"""Exactly once with real processes: two schedulers on one redis-server, and kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from rating.action_plans import PLAN_RUNS, runs_id
from rating.engine import Engine
from rating.store.redis import RedisStore
from rating.timeutil import to_ns
from tests.support.daemon import CallmeterProcess
from tests.support.net import wait_for
from tests.support.redis_server import RedisServer

from .servers import http_hook

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.redis, pytest.mark.slow]


class Scheduler:
    """One `python -m tests.actions.sched_process` process."""

    def __init__(self, url: str, node: str, log: Path, *extra: str) -> None:
        self.log = log
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tests.actions.sched_process", url, "--node", node,
                 *extra], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                stdout=subprocess.PIPE, stderr=out)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line.strip() == b"ready", log.read_text()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"scheduler did not stop:\n{self.log.read_text()}") from None


@pytest.fixture
def redis(redis_server: RedisServer) -> str:
    return f"{redis_server.url}?prefix=sched{uuid.uuid4().hex[:6]}"


@pytest.fixture
def engine(redis: str) -> Iterator[Engine]:
    store = RedisStore.from_url(redis)
    eng = Engine(store, clock=lambda: datetime.now(UTC), new_id=lambda: str(uuid.uuid4()))
    eng.set_actions("ONE", [{"Identifier": "*topup", "BalanceId": "runs",
                             "BalanceType": "*monetary", "Units": Decimal(1),
                             "Weight": Decimal(1)}])
    yield eng
    store.close()


def plan_at(engine: Engine, times: list[datetime], accounts: int) -> list[str]:
    """A plan with one timing per time (hh:mm:ss, daily), attached to `accounts` accounts."""
    engine.set_action_plan("TIMES", [
        {"ActionsId": "ONE", "Time": t.strftime("%H:%M:%S"), "Weight": Decimal(1)}
        for t in times])
    for n in range(accounts):
        engine.set_account("cgrates.org", f"acc{n}", action_plan_ids=["TIMES"])
    return [t["Uuid"] for t in engine.get_action_plans("TIMES")[0]["ActionTimings"]]


def runs(engine: Engine, n: int) -> Decimal:
    acc = engine.get_account("cgrates.org", f"acc{n}")
    return sum((b.Value for b in acc.BalanceMap.get("*monetary", [])), Decimal(0))


def completed(engine: Engine, timing: str, due: datetime) -> bool:
    state = engine.store.get(PLAN_RUNS, runs_id("TIMES", timing))
    return state is not None and state["LastDue"] >= to_ns(due)


def whole_seconds_from_now(seconds: int) -> datetime:
    now = datetime.now(UTC).replace(microsecond=0)
    return now + timedelta(seconds=seconds + 1)


def test_two_processes_run_each_due_time_exactly_once(engine: Engine, redis: str,
                                                     tmp_path: Path) -> None:
    first = whole_seconds_from_now(3)
    times = [first + timedelta(seconds=2 * i) for i in range(5)]  # within 20 s
    timings = plan_at(engine, times, accounts=6)
    procs = [Scheduler(redis, f"node{i}", tmp_path / f"node{i}.log") for i in range(2)]
    try:
        for timing, due in zip(timings, times, strict=True):
            wait_for(lambda t=timing, d=due: completed(engine, t, d), timeout=30,
                     what=f"the run due at {due:%H:%M:%S}")
        assert [runs(engine, n) for n in range(6)] == [5] * 6
    finally:
        for proc in procs:
            proc.stop()


def test_killing_a_process_mid_run_neither_doubles_nor_misses(engine: Engine, redis: str,
                                                             tmp_path: Path) -> None:
    due = whole_seconds_from_now(2)
    (timing,) = plan_at(engine, [due], accounts=20)
    procs = {f"node{i}": Scheduler(redis, f"node{i}", tmp_path / f"node{i}.log",
                                   "--lease", "2s", "--account-delay", "0.15")
             for i in range(2)}
    lease = "sched:" + runs_id("TIMES", timing)
    try:
        owner = wait_for(lambda: engine.store.lease_owner(lease), timeout=20,
                         what="a scheduler to start the run")
        wait_for(lambda: sum(runs(engine, n) for n in range(20)) >= 3, timeout=20,
                 what="the run to be under way")
        pid = int(owner.rsplit(":", 1)[1])
        victim = next(p for p in procs.values() if p.proc.pid == pid)
        os.kill(pid, signal.SIGKILL)
        victim.proc.wait(10)
        done_before = sum(runs(engine, n) for n in range(20))
        assert 3 <= done_before < 20  # killed in the middle
        wait_for(lambda: completed(engine, timing, due), timeout=30,
                 what="the other scheduler to finish the run")
        assert [runs(engine, n) for n in range(20)] == [1] * 20
    finally:
        for proc in procs.values():
            proc.stop()


# -- the same with `callmeter run` processes, once the daemon starts the scheduler -----------

def _daemons(tmp_path: Path, redis: str, count: int) -> list[CallmeterProcess]:
    procs = []
    for i in range(count):
        workdir = tmp_path / f"callmeter{i}"
        workdir.mkdir()
        procs.append(CallmeterProcess(workdir, {
            "store": {"url": redis}, "general": {"node_id": f"node{i}"},
            "scheduler": {"poll_interval": "100ms", "lease": "2s"}}).start())
    if "scheduler" not in procs[0].health().get("components", {}):
        for proc in procs:
            proc.stop()
        pytest.skip("callmeter run does not start the scheduler yet (agent/components.py)")
    return procs


def test_two_callmeter_runs_kill_9_in_the_middle_of_a_run(engine: Engine, redis: str,
                                                         tmp_path: Path) -> None:
    with http_hook(pause=0.1) as hook:
        # each account's run posts synchronously to a hook that answers after 0.1 s
        engine.set_actions("ONE", [
            {"Identifier": "*topup", "BalanceId": "runs", "BalanceType": "*monetary",
             "Units": Decimal(1), "Weight": Decimal(2)},
            {"Identifier": "*http_post", "ExtraParameters": hook.url, "Weight": Decimal(1)}],
            overwrite=True)
        procs = _daemons(tmp_path, redis, 2)
        due = whole_seconds_from_now(2)
        (timing,) = plan_at(engine, [due], accounts=20)
        engine.reload_scheduler()  # the daemons started before the plan was set
        lease = "sched:" + runs_id("TIMES", timing)
        try:
            owner = wait_for(lambda: engine.store.lease_owner(lease), timeout=20,
                             what="a callmeter to start the run")
            wait_for(lambda: sum(runs(engine, n) for n in range(20)) >= 2, timeout=20,
                     what="the run to be under way")
            pid = int(owner.rsplit(":", 1)[1])
            (victim,) = [p for p in procs if p.proc is not None and p.proc.pid == pid]
            victim.kill()
            assert sum(runs(engine, n) for n in range(20)) < 20
            wait_for(lambda: completed(engine, timing, due), timeout=30,
                     what="the other callmeter to finish the run")
            assert [runs(engine, n) for n in range(20)] == [1] * 20
        finally:
            for proc in procs:
                proc.stop()
