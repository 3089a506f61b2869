"""Actions benchmark: scheduled runs per second, and what triggers cost a debit.

Run by hand (one core): ``python bench/actions.py [--quick]``. Prints one JSON object per
measurement on stdout:

- ``plan_run``: accounts per second the scheduler runs one due time on (a *topup and a
  *cdrlog each: one account transaction with a CDR), on a SQLite file and on the
  in-memory store.
- ``max_debit_triggers``: ``Engine.max_debit`` of 10 s chunks per second on an account
  without triggers, and with a *min_balance trigger and a *max_event_counter counter that
  never fire (the cost of watching the debit).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rating.calldesc import CallDescriptor  # noqa: E402
from rating.engine import Engine  # noqa: E402
from rating.plan_scheduler import PlanScheduler  # noqa: E402
from rating.store import Store  # noqa: E402
from rating.store.memory import MemoryStore  # noqa: E402
from rating.store.sqlite import SqliteStore  # noqa: E402
from rating.timeutil import SECOND, parse_rfc3339  # noqa: E402

TUTORIAL = ROOT / "conf" / "tariffplans" / "tutorial"
START = parse_rfc3339("2014-08-04T13:00:00Z")[0]


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def emit(**fields: object) -> None:
    print(json.dumps(fields), flush=True)


def engine_on(store: Store, clock: Clock) -> Engine:
    ids = itertools.count()
    return Engine(store, clock=clock, new_id=lambda: f"id{next(ids)}")


def plan_run(store: Store, accounts: int) -> float:
    """Accounts per second for one due time of a daily plan."""
    clock = Clock()
    engine = engine_on(store, clock)
    engine.set_actions("FEE", [
        {"Identifier": "*topup", "BalanceId": "main", "BalanceType": "*monetary",
         "Units": Decimal(1), "Weight": Decimal(2)},
        {"Identifier": "*cdrlog", "Weight": Decimal(1)}])
    engine.set_action_plan("DAILY", [{"ActionsId": "FEE", "Time": "00:00:00",
                                      "Weight": Decimal(1)}])
    for n in range(accounts):
        engine.set_account("cgrates.org", f"a{n}", action_plan_ids=["DAILY"])
    scheduler = PlanScheduler(engine, "bench")
    scheduler.tick()
    clock.now = datetime(2026, 1, 2, 0, 0, 1, tzinfo=UTC)
    begin = time.perf_counter()
    scheduler.tick()
    took = time.perf_counter() - begin
    assert scheduler.runs == accounts
    return accounts / took


def debits_per_second(engine: Engine, account: str, seconds: float) -> float:
    loop = itertools.count()
    count = 0
    begin = time.process_time()
    while time.process_time() - begin < seconds:
        i = next(loop)
        cd = CallDescriptor(Tenant="cgrates.org", Category="call", Subject=account,
                            Account=account, Destination="1002",
                            TimeStart=START + i * 10 * SECOND,
                            TimeEnd=START + (i + 1) * 10 * SECOND, LoopIndex=i,
                            DurationIndex=(i + 1) * 10 * SECOND)
        engine.max_debit(cd, debit_id=f"{account}-{i}")
        count += 1
    return count / (time.process_time() - begin)


def max_debit_triggers(seconds: float) -> dict[str, float]:
    engine = engine_on(MemoryStore(), Clock())
    report = engine.load_folder(str(TUTORIAL))
    if not report.ok:
        raise SystemExit(report.format())
    engine.set_actions("WARN", [{"Identifier": "*log", "Weight": Decimal(1)}])
    for account in ("plain", "watched"):
        engine.balance_action("*topup", "cgrates.org", account, "*monetary",
                              Decimal(10**9), {"ID": "main"})
    engine.set_account_action_triggers("cgrates.org", "watched", "G", "low", {
        "ThresholdType": "*min_balance", "ThresholdValue": Decimal(1), "BalanceType": "*monetary",
        "ActionsID": "WARN"})
    engine.set_account_action_triggers("cgrates.org", "watched", "G", "spent", {
        "ThresholdType": "*max_event_counter", "ThresholdValue": Decimal(10**12),
        "BalanceType": "*monetary", "ActionsID": "WARN"})
    return {account: debits_per_second(engine, account, seconds)
            for account in ("plain", "watched")}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    accounts = 200 if args.quick else 2000
    seconds = 1.0 if args.quick else 5.0
    with tempfile.TemporaryDirectory() as tmp:
        stores: dict[str, Callable[[], Store]] = {
            "sqlite": lambda: SqliteStore(Path(tmp) / "bench.db"), "memory": MemoryStore}
        for name, open_store in stores.items():
            store = open_store()
            try:
                emit(bench="plan_run", store=name, accounts=accounts,
                     per_second=round(plan_run(store, accounts)))
            finally:
                store.close()
    for account, per_second in max_debit_triggers(seconds).items():
        emit(bench="max_debit_triggers", account=account, per_second=round(per_second))


if __name__ == "__main__":
    main()
