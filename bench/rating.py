"""Rating benchmark: GetCost/s, MaxDebit/s, memory of a 100,000-prefix plan, prefix lookup.

Run by hand (one core): ``python bench/rating.py [--quick]``. Prints one JSON object per
measurement on stdout. Uses the in-memory store, so store I/O is not measured.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import random
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
sys.path.insert(0, str(ROOT))

from rating import charging, costdoc  # noqa: E402
from rating.accounts import Account  # noqa: E402
from rating.calldesc import CallDescriptor  # noqa: E402
from rating.engine import Engine  # noqa: E402
from rating.store.base import Commit  # noqa: E402
from rating.store.memory import MemoryStore  # noqa: E402
from rating.tariffdocs import compile_tariffs  # noqa: E402
from rating.tariffs import RatingPlan, Tariffs  # noqa: E402
from rating.timeutil import SECOND, parse_rfc3339  # noqa: E402

TUTORIAL = ROOT / "conf" / "tariffplans" / "tutorial"
START = parse_rfc3339("2014-08-04T13:00:00Z")[0]


def emit(**fields: object) -> None:
    print(json.dumps(fields), flush=True)


def engine_for(folder: Path) -> Engine:
    ids = itertools.count()
    engine = Engine(MemoryStore(), clock=lambda: datetime(2024, 1, 1, tzinfo=UTC),
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
    """Calls per second of fn(i) over about `seconds` (after a short warm-up)."""
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


def bench_plan(name: str, engine: Engine, numbers: list[str], seconds: float) -> None:
    rnd = random.Random(5)
    cds = calls(numbers, 2000, lambda i: rnd.randint(1, 3600))
    per_s, n = rate(lambda i: engine.get_cost(cds[i % len(cds)]), seconds)
    emit(bench="get_cost", plan=name, per_second=round(per_s), calls=n)

    def topup(doc: object) -> Commit:
        return Commit({"ID": "cgrates.org:1001", "BalanceMap": {"*monetary": [
            {"Uuid": "m", "ID": "*default", "Value": "1000000000", "Weight": "10"}]}}, None)

    engine.store.transact("cgrates.org:1001", topup)
    chunks = calls(numbers, 2000, lambda i: 10)
    per_s, n = rate(lambda i: engine.max_debit(chunks[i % len(chunks)], debit_id=f"d{i}"),
                    seconds)
    emit(bench="max_debit", plan=name, per_second=round(per_s), calls=n)
    bench_core(name, engine, chunks, seconds)


def bench_core(name: str, engine: Engine, chunks: list[CallDescriptor], seconds: float) -> None:
    """MaxDebit's transaction function alone, then the store's cost for the same documents."""
    tariffs = engine.tariffs()
    state: dict[str, Any] = {"doc": engine.store.get_account("cgrates.org:1001"), "result": None}

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
    emit(bench="max_debit_core", plan=name, per_second=round(per_s), calls=n)

    def commit(doc: object) -> Commit:
        return Commit(state["doc"], state["result"])

    per_s, n = rate(lambda i: engine.store.transact("cgrates.org:1001", commit, f"s{i}"),
                    seconds)
    emit(bench="store_transaction", plan=name, per_second=round(per_s),
         result_bytes=len(json.dumps(state["result"])),
         account_bytes=len(json.dumps(state["doc"])), calls=n)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs (smoke test)")
    args = parser.parse_args()
    seconds = 0.5 if args.quick else 3.0
    bench_plan("tutorial", engine_for(TUTORIAL), ["1002", "1003", "1004", "1005"],
               seconds)
    docs, numbers = big_plan_docs(100_000)
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_csv(docs, Path(tmp) / "big")
        begin = time.process_time()
        engine = engine_for(folder)
        emit(bench="load_folder", prefixes=100_000,
             seconds=round(time.process_time() - begin, 2))
    bench_plan("100k_prefixes", engine, numbers, seconds)
    bench_memory(100_000)
    bench_lookup([100, 1_000, 10_000, 100_000], seconds / 3)


if __name__ == "__main__":
    main()
