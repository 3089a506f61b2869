"""Store benchmark: account debits per second in one process, per backend.

    /work/venv/bin/python bench/store.py [--seconds 3] [--backends sqlite,redis,...]

Backends: sqlite (synchronous=full), sqlite-normal, redis, redis-cluster. For each: a
serial loop, 50 greenlets on 50 accounts, and 50 greenlets on one hot account; every
debiting greenlet yields to the hub after each debit, as the agent's do. The SQLite runs
also report how late a 1 ms ticker greenlet woke up (worst and p99: how long the gevent
hub was stalled), with commits in the hub's thread pool and inline. ``redis-benchmark``
runs a comparable script (HINCRBY + HSET + SET PX, as commit.lua does) against the same
server with 1 and 50 clients, and the Redis figures are also given as a ratio of it.
One JSON object per line; "loadavg" says how busy the machine was.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from decimal import Decimal  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import gevent  # noqa: E402
import gevent.pool  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rating.store import Store, open_store  # noqa: E402
from tests.store.debits import debit, set_balance  # noqa: E402
from tests.support.redis_server import RedisClusterGroup, RedisServer  # noqa: E402

GREENLETS = 50
COMPARABLE_LUA = ("redis.call('HINCRBY', KEYS[1], 'v', 1) "
                  "redis.call('HSET', KEYS[1], 'doc', ARGV[1]) "
                  "return redis.call('SET', KEYS[2], ARGV[1], 'PX', 60000)")


def emit(**fields: Any) -> None:
    load = round(os.getloadavg()[0], 2)  # the machine may be shared: say how busy it was
    print(json.dumps({"bench": "store", **fields, "loadavg": load}), flush=True)


class HubProbe:
    """A greenlet that sleeps 1 ms at a time and records how late it wakes up."""

    def __init__(self) -> None:
        self.worst = 0.0
        self.lates: list[float] = []
        self._greenlet = gevent.spawn(self._run)

    def _run(self) -> None:
        while True:
            start = time.perf_counter()
            gevent.sleep(0.001)
            late = time.perf_counter() - start - 0.001
            self.lates.append(late)
            self.worst = max(self.worst, late)

    def stop(self) -> dict[str, float]:
        self._greenlet.kill()
        lates = sorted(self.lates) or [0.0]
        return {"hub_stall_max_ms": round(self.worst * 1000, 2),
                "hub_stall_p99_ms": round(lates[int(len(lates) * 0.99)] * 1000, 2)}


def run_debits(store: Store, accounts: list[str], workers: int, seconds: float,
               tag: str) -> tuple[int, float]:
    """Debit for `seconds` with `workers` greenlets (1 = a plain loop); (debits, elapsed)."""
    for account in accounts:
        store.transact(account, set_balance("1000000000"))
    deadline = time.monotonic() + seconds
    counts = [0] * workers

    def loop(w: int) -> None:
        account = accounts[w % len(accounts)]
        n = 0
        while time.monotonic() < deadline:
            n += 1
            store.transact(account, debit(Decimal("0.01")), txn_id=f"{tag}-{w}-{n}")
            gevent.sleep(0)  # as the agent's greenlets do between debits: let the hub run
        counts[w] = n

    started = time.monotonic()
    if workers == 1:
        loop(0)
    else:
        pool = gevent.pool.Pool(workers)
        for w in range(workers):
            pool.spawn(loop, w)
        pool.join(raise_error=True)
    return sum(counts), time.monotonic() - started


def measure(backend: str, opener: Callable[[], Store], seconds: float,
            probe_hub: bool = False, **extra: Any) -> dict[str, float]:
    """Serial, 50 greenlets on 50 accounts, 50 on one account; returns debits/s by mode."""
    rates = {}
    modes = [("serial", 1, 1), ("greenlets", GREENLETS, GREENLETS), ("hot-account", GREENLETS, 1)]
    for mode, workers, n_accounts in modes:
        store = opener()
        probe = HubProbe() if probe_hub else None
        tag = f"{mode}-{time.monotonic_ns()}"
        debits, elapsed = run_debits(store, [f"bench:{tag}-{i}" for i in range(n_accounts)],
                                     workers, seconds, tag)
        hub = probe.stop() if probe else {}
        store.close()
        rates[mode] = debits / elapsed
        emit(backend=backend, mode=mode, greenlets=workers, accounts=n_accounts, debits=debits,
             seconds=round(elapsed, 2), debits_per_s=round(debits / elapsed), **hub, **extra)
    return rates


def redis_benchmark(port: int, clients: int, requests: int) -> float:
    """Requests/s of redis-benchmark running the comparable script with `clients`."""
    sha = subprocess.run(["redis-cli", "-p", str(port), "script", "load", COMPARABLE_LUA],
                         capture_output=True, text=True, check=True).stdout.strip()
    out = subprocess.run(
        ["redis-benchmark", "-p", str(port), "-c", str(clients), "-n", str(requests), "-r",
         "100000", "--csv", "evalsha", sha, "2", "bench:{__rand_int__}",
         "bench:{__rand_int__}:txn", '{"Balance":"999.99","Applied":1,"Granted":"0.01"}'],
        capture_output=True, text=True, check=True).stdout
    # The command text is not CSV-quoted; the seven numbers at the end are.
    rps = float(out.strip().splitlines()[-1].rsplit(",", 7)[1].strip('"'))
    emit(backend="redis-benchmark", command="EVALSHA HINCRBY+HSET+SET PX", clients=clients,
         requests=requests, requests_per_s=round(rps))
    return rps


@contextmanager
def temp_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="callmeter-bench-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def bench_sqlite(seconds: float, synchronous: str) -> None:
    name = "sqlite" if synchronous == "full" else "sqlite-normal"
    with temp_dir() as folder:
        for pool in (True, False):
            url = f"sqlite:///{folder}/bench-{pool}.db"
            run_blocking = gevent.get_hub().threadpool.apply if pool else None
            measure(name, lambda u=url, r=run_blocking: open_store(
                u, sqlite_synchronous=synchronous, run_blocking=r), seconds, probe_hub=True,
                commits="threadpool" if pool else "inline")


def bench_redis(seconds: float, cluster: bool) -> None:
    if cluster:
        group = RedisClusterGroup(3).start()
        url, port, cleanup = group.url, group.nodes[0].port, group.cleanup
    else:
        server = RedisServer().start()
        url, port, cleanup = server.url, server.port, server.cleanup
    try:
        rates = measure("redis-cluster" if cluster else "redis",
                        lambda: open_store(url + "?max_connections=64"), seconds)
        if cluster:
            return  # redis-benchmark's cluster mode would spread over every node: not comparable
        serial = redis_benchmark(port, 1, 20_000)
        parallel = redis_benchmark(port, GREENLETS, 100_000)
        for mode, rps in (("serial", serial), ("greenlets", parallel)):
            emit(backend="redis", mode=mode, vs="redis-benchmark",
                 ratio=round(rates[mode] / rps, 3))
    finally:
        cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per measurement")
    parser.add_argument("--backends", default="sqlite,sqlite-normal,redis,redis-cluster")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        if backend in ("sqlite", "sqlite-normal"):
            bench_sqlite(args.seconds, "full" if backend == "sqlite" else "normal")
        elif backend in ("redis", "redis-cluster"):
            bench_redis(args.seconds, backend == "redis-cluster")
        else:
            parser.error(f"unknown backend {backend!r}")


if __name__ == "__main__":
    main()
