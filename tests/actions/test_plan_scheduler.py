"""The plan scheduler's exactly-once work, driven by a fake clock on real stores."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from rating.action_plans import PLAN_RUNS
from rating.plan_scheduler import PlanScheduler
from rating.store import Store
from rating.timeutil import to_datetime
from tests.support.net import wait_for

from .conftest import FakeClock
from .support import FullEngine, make_engine

TOPUP = {"Identifier": "*topup", "BalanceId": "fee", "BalanceType": "*monetary",
         "Units": Decimal(1), "Weight": Decimal(1)}


def timing(time: str = "00:00:00", **fields: str) -> dict[str, Any]:
    return {"ActionsId": "ONE", "Years": "", "Months": "", "MonthDays": "", "WeekDays": "",
            "Time": time, "Weight": Decimal(1), **fields}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 1, 1, 0, 0, 0, tzinfo=UTC) - timedelta(hours=1))


@pytest.fixture
def engine(any_store: Store, clock: FakeClock) -> FullEngine:
    eng = make_engine(any_store, clock)
    eng.set_actions("ONE", [TOPUP])
    return eng


def runs_of(engine: FullEngine, account: str = "1001") -> Decimal:
    acc = engine.get_account("cgrates.org", account)
    return sum((b.Value for b in acc.BalanceMap.get("*monetary", [])), Decimal(0))


def follow(scheduler: PlanScheduler, clock: FakeClock, until: datetime) -> Iterator[datetime]:
    """Tick at every time the scheduler says something may be due, up to `until`."""
    while True:
        soonest = scheduler.tick()
        if soonest is None:
            return
        when = to_datetime(soonest)
        if when > until:
            return
        clock.set(when)
        yield when


def test_a_year_of_monthly_runs_on_the_first(engine: FullEngine, clock: FakeClock) -> None:
    engine.set_action_plan("MONTHLY", [timing(MonthDays="1")])
    engine.set_account("cgrates.org", "1001", action_plan_ids=["MONTHLY"])
    scheduler = PlanScheduler(engine, "node-a")
    seen = list(follow(scheduler, clock, datetime(2026, 12, 31, tzinfo=UTC)))
    assert [d for d in seen if d.day == 1 and d.hour == 0] == [
        datetime(2026, m, 1, tzinfo=UTC) for m in range(1, 13)]
    assert runs_of(engine) == 12


@pytest.mark.parametrize(
    ("fields", "expected"),
    [({"Time": "*month_end"}, 12), ({"WeekDays": "1", "Time": "08:00:00"}, 52),
     ({"Time": "*yearly"}, 1), ({"MonthDays": "-1", "Time": "23:59:59"}, 12),
     ({"Months": "2", "MonthDays": "29"}, 0)],  # 2026 is not a leap year
)
def test_a_year_of_timings(engine: FullEngine, clock: FakeClock, fields: dict[str, str],
                           expected: int) -> None:
    engine.set_action_plan("P", [timing(**fields)])
    engine.set_account("cgrates.org", "1001", action_plan_ids=["P"])
    scheduler = PlanScheduler(engine, "node-a")
    list(follow(scheduler, clock, datetime(2026, 12, 31, 23, 0, tzinfo=UTC)))
    assert runs_of(engine) == expected


def test_two_schedulers_on_one_store_run_each_due_time_once(engine: FullEngine,
                                                           clock: FakeClock) -> None:
    engine.set_action_plan("HOURLY", [timing("*hourly")])
    for n in range(3):
        engine.set_account("cgrates.org", f"100{n}", action_plan_ids=["HOURLY"])
    a, b = PlanScheduler(engine, "node-a"), PlanScheduler(engine, "node-b")
    for _ in range(10):
        clock.advance(hours=1)
        a.tick()
        b.tick()
    assert [runs_of(engine, f"100{n}") for n in range(3)] == [10, 10, 10]
    assert a.runs + b.runs == 30


def test_a_scheduler_killed_mid_run_is_finished_by_another_without_doubles(
        engine: FullEngine, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    engine.set_action_plan("DAILY", [timing()])
    for n in range(4):
        engine.set_account("cgrates.org", f"100{n}", action_plan_ids=["DAILY"])
    dying = PlanScheduler(engine, "node-a", lease_ms=200)
    clock.set(datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC))
    real_run = engine.run_actions
    done = []

    def crash_after_two(*args: Any, **kwargs: Any) -> Any:
        if len(done) == 2:
            raise SystemExit("killed")
        done.append(args[0])
        return real_run(*args, **kwargs)

    monkeypatch.setattr(engine, "run_actions", crash_after_two)
    with pytest.raises(SystemExit):
        dying.tick()
    monkeypatch.setattr(engine, "run_actions", real_run)
    # its lease is still held (a killed process does not release it)
    lease = "sched:" + next(iter(dying.timings))
    engine.store.acquire_lease(lease, "node-a", 300)
    survivor = PlanScheduler(engine, "node-b", lease_ms=200)
    survivor.tick()
    assert survivor.runs == 0  # the lease is not free yet
    wait_for(lambda: engine.store.lease_owner(lease) is None, what="the lease to expire")
    clock.advance(seconds=2)
    survivor.tick()
    assert [runs_of(engine, f"100{n}") for n in range(4)] == [1, 1, 1, 1]
    assert survivor.runs == 2  # the two accounts done before the crash were no-ops


def test_clock_jumping_back_runs_nothing_twice(engine: FullEngine, clock: FakeClock) -> None:
    engine.set_action_plan("P", [timing("*every_minute")])
    engine.set_account("cgrates.org", "1001", action_plan_ids=["P"])
    scheduler = PlanScheduler(engine, "node-a")
    clock.set(datetime(2026, 1, 1, 0, 10, tzinfo=UTC))
    scheduler.tick()
    after_first = runs_of(engine)
    clock.set(datetime(2026, 1, 1, 0, 5, tzinfo=UTC))  # NTP step back
    scheduler.tick()
    clock.set(datetime(2026, 1, 1, 0, 10, tzinfo=UTC))
    scheduler.tick()
    assert runs_of(engine) == after_first


@pytest.mark.parametrize(("policy", "expected"), [("once", 1), ("all", 5), ("skip", 0)])
def test_runs_missed_while_every_process_was_down_follow_catch_up(
        engine: FullEngine, clock: FakeClock, policy: str, expected: int) -> None:
    engine.set_action_plan("DAILY", [timing()])
    engine.set_account("cgrates.org", "1001", action_plan_ids=["DAILY"])
    first = PlanScheduler(engine, "node-a", catch_up=policy)
    first.tick()  # started before midnight: nothing due yet
    clock.set(datetime(2026, 1, 5, 12, tzinfo=UTC))  # down for five midnights
    PlanScheduler(engine, "node-b", catch_up=policy).tick()
    assert runs_of(engine) == expected
    state = engine.store.get(PLAN_RUNS, next(iter(first.timings)))
    assert state == {"LastDue": 1767571200 * 10**9}  # 2026-01-05T00:00:00Z, done


def test_a_due_time_within_grace_is_current_and_runs_even_when_skipping(
        engine: FullEngine, clock: FakeClock) -> None:
    engine.set_action_plan("DAILY", [timing()])
    engine.set_account("cgrates.org", "1001", action_plan_ids=["DAILY"])
    scheduler = PlanScheduler(engine, "node-a", catch_up="skip")
    scheduler.tick()
    clock.set(datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC))
    scheduler.tick()
    assert runs_of(engine) == 1


def test_plans_set_after_start_are_seen_on_reload(engine: FullEngine, clock: FakeClock) -> None:
    scheduler = PlanScheduler(engine, "node-a")
    scheduler.tick()
    engine.set_action_plan("LATE", [timing()], reload_scheduler=True)
    engine.set_account("cgrates.org", "1001", action_plan_ids=["LATE"])
    clock.set(datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC))
    scheduler.tick()
    assert runs_of(engine) == 1


def test_unknown_catch_up_policy_is_refused(engine: FullEngine) -> None:
    with pytest.raises(ValueError, match="catch_up"):
        PlanScheduler(engine, "x", catch_up="sometimes")
