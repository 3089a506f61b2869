"""Rating benchmark: GetCost/s, MaxDebit/s, memory of a 100,000-prefix plan, prefix lookup.

Run by hand (one core): ``python bench/rating.py [--quick]``. Prints one JSON object per
measurement on stdout. ``--compare DIR`` measures this checkout and another one (say a
``git worktree`` of main) alternately, round after round, and prints the best rate of
each and their ratio: on a shared machine only such ratios mean much.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if "--root" in sys.argv:  # measure another checkout's rating package with this script
    ROOT = Path(sys.argv[sys.argv.index("--root") + 1]).resolve()
sys.path.insert(0, str(ROOT))

from rating import charging, costdoc  # noqa: E402
from rating.accounts import Account  # noqa: E402
from rating.calldesc import CallDescriptor  # noqa: E402
from rating.engine import Engine  # noqa: E402
from rating.store.base import Commit, Store  # noqa: E402
from rating.store.memory import MemoryStore  # noqa: E402
from rating.store.sqlite import SqliteStore  # noqa: E402
from rating.tariffdocs import compile_tariffs  # noqa: E402
from rating.tariffs import RatingPlan, Tariffs  # noqa: E402
from rating.timeutil import SECOND, parse_rfc3339  # noqa: E402

TUTORIAL = ROOT / "conf" / "tariffplans" / "tutorial"
TUTORIAL_NUMBERS = ["1002", "1003", "1004", "1005"]
START = parse_rfc3339("2014-08-04T13:00:00Z")[0]
ACCOUNT = "cgrates.org:1001"
#: Measurements of one plan, in the order they run (``--only`` picks some).
PLAN_BENCHES = ["get_cost", "max_debit", "max_debit_core", "store_transaction",
                "max_session_time", "max_debit_triggers", "max_debit_sqlite"]


def emit(**fields: object) -> None:
    print(json.dumps(fields), flush=True)


def engine_for(folder: Path, store: Store | None = None) -> Engine:
    ids = itertools.count()
    engine = Engine(store or MemoryStore(), clock=lambda: datetime(2024, 1, 1, tzinfo=UTC),
                    new_id=lambda: f"id{next(ids)}")
    report = engine.load_folder(str(folder))
    if not report.ok:
        raise SystemExit(report.format())
    return engine


def call(destination: str, seconds: int, subject: str = "1001", offset: int = 0,
         **fields: object) -> CallDescriptor:
    """A call `offset` seconds after Monday 2014-08-04 13:00 UTC lasting `seconds`."""
    start = START + offset * SECOND
    return CallDescriptor(Tenant="cgrates.org", Category="call", Subject=subject,
                          Account=subject, Destination=destination, TimeStart=start,
                          TimeEnd=start + seconds * SECOND, **fields)  # type: ignore[arg-type]


def calls(numbers: list[str], count: int, seconds: Callable[[int], int]) -> list[CallDescriptor]:
    """`count` different calls: numbers in turn, start times spread over a week (peak,
    off-peak, weekend, midnight), durations from `seconds(i)`."""
    rnd = random.Random(11)
    return [call(numbers[i % len(numbers)], seconds(i), offset=rnd.randrange(7 * 86400))
            for i in range(count)]


def rate(fn: Callable[[int], object], seconds: float) -> tuple[float, int]:
    """Calls per second (CPU time) of fn(i) over about `seconds` (after a short warm-up)."""
    for i in range(50):
        fn(i)
    count = 0
    begin = time.process_time()
    deadline = begin + seconds
    while time.process_time() < deadline:
        for _ in range(100):
            fn(count)
            count += 1
    return count / (time.process_time() - begin), count


def topup(engine: Engine) -> None:
    """Plenty of money on the benchmark account (a raw document: any version reads it)."""
    def fn(doc: object) -> Commit:
        return Commit({"ID": ACCOUNT, "BalanceMap": {"*monetary": [
            {"Uuid": "m", "ID": "*default", "Value": "1000000000", "Weight": "10"}]}}, None)

    engine.store.transact(ACCOUNT, fn)


def watch(engine: Engine) -> None:
    """A *min_balance trigger and a *max_event_counter counter that never fire."""
    engine.set_actions("WARN", [{"Identifier": "*log", "Weight": Decimal(1)}])
    for unique, kind, value in (("low", "*min_balance", 1), ("spent", "*max_event_counter",
                                                              10**12)):
        engine.set_account_action_triggers("cgrates.org", "1001", "G", unique, {
            "ThresholdType": kind, "ThresholdValue": Decimal(value),
            "BalanceType": "*monetary", "ActionsID": "WARN"})


def bench_plan(name: str, engine: Engine, numbers: list[str], seconds: float,
               only: list[str], folder: Path) -> None:
    rnd = random.Random(5)
    cds = calls(numbers, 2000, lambda i: rnd.randint(1, 3600))
    chunks = calls(numbers, 2000, lambda i: 10)
    topup(engine)

    def max_debit(eng: Engine) -> Callable[[int], object]:
        return lambda i: eng.max_debit(chunks[i % len(chunks)], debit_id=f"d{i}")

    for bench in only:
        extra: dict[str, object] = {}
        if bench == "get_cost":
            per_s, n = rate(lambda i: engine.get_cost(cds[i % len(cds)]), seconds)
        elif bench == "max_debit":
            per_s, n = rate(max_debit(engine), seconds)
        elif bench == "max_session_time":
            per_s, n = rate(lambda i: engine.max_session_time(chunks[i % len(chunks)]),
                            seconds)
        elif bench in ("max_debit_core", "store_transaction"):
            per_s, n, extra = bench_core(bench, engine, chunks, seconds)
        elif bench == "max_debit_triggers":
            watched = engine_for(folder)
            topup(watched)
            watch(watched)
            per_s, n = rate(max_debit(watched), seconds)
        elif bench == "max_debit_sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                store = SqliteStore(Path(tmp) / "bench.db")
                try:
                    on_disk = engine_for(folder, store)
                    topup(on_disk)
                    wall = time.perf_counter()
                    per_s, n = rate(max_debit(on_disk), seconds)
                    extra = {"wall_per_second": round(n / (time.perf_counter() - wall))}
                finally:
                    store.close()
        else:
            continue
        emit(bench=bench, plan=name, per_second=round(per_s), calls=n, **extra)


def bench_core(bench: str, engine: Engine, chunks: list[CallDescriptor],
               seconds: float) -> tuple[float, int, dict[str, object]]:
    """MaxDebit's transaction function alone, or the store's cost for the same documents."""
    tariffs = engine.tariffs()
    state: dict[str, Any] = {"doc": engine.store.get_account(ACCOUNT), "result": None}

    def core(i: int) -> object:
        account = Account.from_doc(state["doc"])
        cd = engine.prepare(chunks[i % len(chunks)])
        cc = charging.max_debit(account, tariffs, cd, engine.settings, new_uuid="u")
        account.remove_expired(0)
        cc.AccountSummary = account.summary()
        state["result"] = costdoc.to_doc(cc)
        state["doc"] = account.to_doc()
        return cc

    per_s, n = rate(core, seconds)
    if bench == "max_debit_core":
        return per_s, n, {}

    def commit(doc: object) -> Commit:
        return Commit(state["doc"], state["result"])

    per_s, n = rate(lambda i: engine.store.transact(ACCOUNT, commit, f"s{i}"), seconds)
    return per_s, n, {"result_bytes": len(json.dumps(state["result"])),
                      "account_bytes": len(json.dumps(state["doc"]))}


Docs = dict[str, dict[str, dict[str, Any]]]


def big_plan_docs(size: int, seed: int = 7) -> tuple[Docs, list[str]]:
    """A plan with `size` destinations of one prefix each, four rates, one rating profile."""
    rnd = random.Random(seed)
    prefixes: set[str] = set()
    while len(prefixes) < size:
        prefixes.add(str(rnd.randint(10**5, 10**9 - 1)))
    ordered = sorted(prefixes)
    dests = {f"D{i}": {"ID": f"D{i}", "Prefixes": [p]} for i, p in enumerate(ordered)}
    rates = {f"R{k}": {"ID": f"R{k}", "RateSlots": [
        {"ConnectFee": "0.1", "Rate": str(Decimal(k + 1) / 10), "RateUnit": 60 * SECOND,
         "RateIncrement": SECOND, "GroupIntervalStart": 0}]} for k in range(4)}
    rows = [{"DestinationId": f"D{i}", "RateId": f"R{i % 4}", "RoundingMethod": "*up",
             "RoundingDecimals": 4, "MaxCost": "0", "MaxCostStrategy": ""} for i in range(size)]
    docs: Docs = {
        "destinations": dests, "rates": rates, "timings": {},
        "destination_rates": {"DR": {"ID": "DR", "DestinationRates": rows}},
        "rating_plans": {"RP": {"ID": "RP", "RatingPlanBindings": [
            {"DestinationRatesId": "DR", "TimingId": "*any", "Weight": "10"}]}},
        "rating_profiles": {"*out:cgrates.org:call:1001": {
            "Tenant": "cgrates.org", "Category": "call", "Subject": "1001",
            "RatingPlanActivations": [{"ActivationTime": "2014-01-01T00:00:00Z",
                                       "RatingPlanId": "RP", "FallbackSubjects": ""}]}},
    }
    numbers = [p + str(rnd.randint(1000, 9999)) for p in rnd.sample(ordered, min(200, size))]
    return docs, numbers


def write_csv(docs: Docs, folder: Path) -> Path:
    """The generated plan as a CSV folder (so it loads like any other)."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "Destinations.csv").open("w") as f:
        for d in docs["destinations"].values():
            f.write(f"{d['ID']},{d['Prefixes'][0]}\n")
    with (folder / "Rates.csv").open("w") as f:
        for r in docs["rates"].values():
            s = r["RateSlots"][0]
            f.write(f"{r['ID']},{s['ConnectFee']},{s['Rate']},60s,1s,0s\n")
    with (folder / "DestinationRates.csv").open("w") as f:
        for row in docs["destination_rates"]["DR"]["DestinationRates"]:
            f.write(f"DR,{row['DestinationId']},{row['RateId']},*up,4,0,\n")
    (folder / "RatingPlans.csv").write_text("RP,DR,*any,10\n")
    (folder / "RatingProfiles.csv").write_text(
        "cgrates.org,call,1001,2014-01-01T00:00:00Z,RP,\n")
    (folder / "AccountActions.csv").write_text("cgrates.org,1001,,,false,false\n")
    return folder


def bench_memory(size: int) -> None:
    docs, _ = big_plan_docs(size)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    tariffs = compile_tariffs(docs)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    emit(bench="plan_memory", prefixes=size, compiled_mb=round((after - before) / 2**20, 1),
         destinations=len(tariffs.destinations))


def _lookup(tariffs: Tariffs, plan: RatingPlan, numbers: list[str]) -> Callable[[int], object]:
    def lookup(i: int) -> object:
        tariffs._match_cache.clear()  # measure the index, not the memo
        return tariffs.prefix_candidates(plan, numbers[i % len(numbers)])

    return lookup


def bench_lookup(sizes: list[int], seconds: float) -> None:
    for size in sizes:
        docs, numbers = big_plan_docs(size)
        tariffs = compile_tariffs(docs)
        plan = tariffs.plans["RP"]

        per_s, n = rate(_lookup(tariffs, plan, numbers), seconds)
        emit(bench="prefix_lookup", prefixes=size, microseconds=round(1e6 / per_s, 2),
             lookups=n)


def run_plans(plans: list[str], seconds: float, only: list[str]) -> None:
    """The per-plan measurements (and, for the big plan, how long it takes to load)."""
    if "tutorial" in plans:
        bench_plan("tutorial", engine_for(TUTORIAL), TUTORIAL_NUMBERS, seconds, only,
                   TUTORIAL)
    if "100k_prefixes" in plans:
        docs, numbers = big_plan_docs(100_000)
        with tempfile.TemporaryDirectory() as tmp:
            folder = write_csv(docs, Path(tmp) / "big")
            begin = time.process_time()
            engine = engine_for(folder)
            emit(bench="load_folder", prefixes=100_000,
                 seconds=round(time.process_time() - begin, 2))
            bench_plan("100k_prefixes", engine, numbers, seconds, only, folder)


def compare(other: Path, plans: list[str], seconds: float, only: list[str],
            rounds: int) -> None:
    """Each measurement in this checkout and in `other` alternately, `rounds` times."""
    script = str(Path(__file__).resolve())
    best: dict[tuple[str, str, str], float] = {}
    for _ in range(rounds):
        for root in (ROOT, other):
            for plan in plans:
                out = subprocess.run(
                    [sys.executable, script, "--root", str(root), "--plans", plan, "--only",
                     ",".join(only), "--seconds", str(seconds)],
                    check=True, capture_output=True, text=True, env=dict(os.environ)).stdout
                for line in out.splitlines():
                    row = json.loads(line)
                    if "per_second" in row:
                        key = (row["bench"], row["plan"], str(root))
                        best[key] = max(best.get(key, 0.0), row["per_second"])
    for (bench, plan, where), per_s in best.items():
        if where == str(ROOT):
            base = best.get((bench, plan, str(other)), 0.0)
            emit(bench=bench, plan=plan, per_second=round(per_s),
                 baseline_per_second=round(base),
                 ratio=round(per_s / base, 2) if base else None, rounds=rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs (smoke test)")
    parser.add_argument("--seconds", type=float, help="CPU seconds per measurement")
    parser.add_argument("--plans", default="tutorial,100k_prefixes",
                        help="comma-separated: tutorial, 100k_prefixes")
    parser.add_argument("--only", default=",".join(PLAN_BENCHES),
                        help="comma-separated per-plan measurements to run")
    parser.add_argument("--root", help="checkout whose rating package is measured")
    parser.add_argument("--compare", type=Path, help="checkout to compare with (alternating)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of --compare")
    args = parser.parse_args()
    seconds = args.seconds or (0.5 if args.quick else 3.0)
    plans = args.plans.split(",")
    only = args.only.split(",")
    if args.compare:
        compare(args.compare.resolve(), plans, seconds, only, args.rounds)
        return
    run_plans(plans, seconds, only)
    if args.root is None and args.only == parser.get_default("only") and len(plans) == 2:
        bench_memory(100_000)
        bench_lookup([100, 1_000, 10_000, 100_000], seconds / 3)


if __name__ == "__main__":
    main()
