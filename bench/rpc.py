"""JSON-RPC throughput and latency over TCP (issue 5): one JSON object per measurement.

    python bench/rpc.py --store sqlite                    # engine methods, 1/10/100 clients
    python bench/rpc.py --store redis                     # a private redis-server is started
    python bench/rpc.py --store memory --methods APIerSv1.Ping --requests 20000
    python bench/rpc.py --store sqlite --compare /tmp/base   # A/B: this tree vs another one

The server (this script with --serve) runs in its own process with the chosen store, the
tutorial tariff plan loaded and account 1001 given a credit of 1000; clients run in
separate processes (greenlets inside), each with one request in flight. Closed-loop runs
report req/s and p50/p99 latency; the paced run (--rate, default 1000 req/s, 10 clients)
reports the latency at that load. Every measurement also reports the server process's
CPU time per request (user + system, from /proc), which stays meaningful on a busy,
shared machine where req/s does not. With --compare, a second server runs from another
source tree and the two are measured alternately, so their ratio is taken under the
same load.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TUTORIAL = ROOT / "conf" / "tariffplans" / "tutorial"

ACCOUNT = {"Tenant": "cgrates.org", "Account": "1001"}
REQUESTS: dict[str, dict[str, Any]] = {
    "Responder.GetMaxSessionTime": {
        "Tenant": "cgrates.org", "Category": "call", "Subject": "1001", "Account": "1001",
        "Destination": "1002", "TimeStart": "2014-08-04T13:00:00Z",
        "TimeEnd": "2014-08-04T13:10:00Z"},
    "APIerSv2.GetAccount": ACCOUNT,
    "APIerSv1.GetTPActionTriggers": {"TPid": "BENCH", "ID": "STANDARD_TRIGGERS"},
    "APIerSv1.Ping": {},
}
DEFAULT_METHODS = "Responder.GetMaxSessionTime,APIerSv2.GetAccount"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def serve(port: int, store_url: str) -> None:
    """The server process: a store, the engine, seeded data, the listener."""
    from gevent import monkey

    monkey.patch_all()
    import gevent

    from agent.config import Config
    from agent.rpc.access import Limits
    from agent.rpc.server import RpcTcpServer
    from agent.rpc.wiring import make_dispatcher
    from rating.store import open_store

    store = open_store(store_url, run_blocking=gevent.get_hub().threadpool.apply)  # as the daemon
    dispatcher = make_dispatcher(Config(), store, engine=_engine(store))
    _seed(dispatcher, store)
    server = RpcTcpServer(("127.0.0.1", port), dispatcher, Limits(max_connections=10000))
    server.start()
    print("ready", flush=True)
    gevent.wait()


def _engine(store: Any) -> Any:
    import uuid
    from datetime import UTC, datetime

    from rating.engine import Engine

    return Engine(store, clock=lambda: datetime.now(UTC), new_id=lambda: str(uuid.uuid4()))


def _seed(dispatcher: Any, store: Any) -> None:
    """The tutorial plan (loaded through the API) and account 1001 with 1000 of credit."""
    from agent.rpc import jsonvalue
    from rating.accounts import Account
    from rating.balances import Balance
    from rating.store import Commit

    requests = [
        ("APIerSv1.LoadTariffPlanFromFolder", {"FolderPath": str(TUTORIAL)}),
        ("APIerSv1.SetTPActionTriggers", {"TPid": "BENCH", "ID": "STANDARD_TRIGGERS",
                                          "ActionTriggers": [{"ThresholdType": "*min_balance",
                                                              "ThresholdValue": 2}]}),
    ]
    for method, params in requests:
        doc = {"method": method, "params": [params], "id": 1}
        reply = dispatcher.handle_text(jsonvalue.dumps(doc).encode())
        assert reply is not None and reply["error"] is None, reply

    def fund(doc: Any) -> Any:
        account = Account.from_doc(doc)
        account.BalanceMap["*monetary"] = [Balance("bench-default", "*default", Decimal(1000))]
        return Commit(account.to_doc(), "OK")

    store.transact("cgrates.org:1001", fund)


def _client_process(args: tuple[int, str, int, int, float]) -> tuple[list[float], float, float]:
    """Run `clients` greenlet clients; every request's latency (s), and when they ran."""
    port, method, clients, requests, rate = args
    from gevent import monkey

    monkey.patch_all()
    import socket

    import gevent

    line = json.dumps({"method": method, "params": [REQUESTS[method]], "id": 1}).encode() + b"\n"
    latencies: list[float] = []
    interval = clients / rate if rate else 0.0

    def one_client(index: int) -> None:
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        buffer = b""
        next_at = time.monotonic() + interval * index / clients  # spread, not in bursts
        for _ in range(requests):
            if interval:
                gevent.sleep(max(0.0, next_at - time.monotonic()))
                next_at += interval
            started = time.perf_counter()
            sock.sendall(line)
            while b"\n" not in buffer:
                buffer += sock.recv(65536)
            reply, buffer = buffer.split(b"\n", 1)
            latencies.append(time.perf_counter() - started)
            if b'"error":null' not in reply:
                raise RuntimeError(reply.decode())
        sock.close()

    started = time.monotonic()  # system-wide clock: comparable between the client processes
    gevent.joinall([gevent.spawn(one_client, i) for i in range(clients)], raise_error=True)
    return latencies, started, time.monotonic()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def measure(server: Server, method: str, clients: int, total: int,
            rate: float = 0.0) -> dict[str, Any]:
    processes = min(clients, max(1, (os.cpu_count() or 2) - 1), 4)
    per_process = [clients // processes + (1 if i < clients % processes else 0)
                   for i in range(processes)]
    per_client = max(1, total // clients)
    jobs = [(server.port, method, n, per_client, rate * n / clients if rate else 0.0)
            for n in per_process]
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        cpu_before = cpu_seconds(server.proc.pid)
        results = pool.map(_client_process, jobs)
        cpu = cpu_seconds(server.proc.pid) - cpu_before
    elapsed = max(r[2] for r in results) - min(r[1] for r in results)
    latencies = sorted(x for r in results for x in r[0])
    return {"bench": "rpc", "method": method, "clients": clients, "requests": len(latencies),
            "mode": f"paced {rate:g} req/s" if rate else "closed loop",
            "req_per_s": round(len(latencies) / elapsed, 1),
            "p50_ms": round(latencies[len(latencies) // 2] * 1000, 3),
            "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 3),
            "server_cpu_us_per_req": round(cpu / len(latencies) * 1e6, 1)}


class Server:
    """A `--serve` process from a source tree, on a free port, with its own store."""

    def __init__(self, root: Path, store_url: str, label: str) -> None:
        from tests.support.net import free_port

        self.port = free_port()
        self.label = label
        env = {**os.environ, "PYTHONPATH": str(root)}
        self.proc = subprocess.Popen(
            [sys.executable, str(root / "bench" / "rpc.py"), "--serve", str(self.port),
             "--store-url", store_url], stdout=subprocess.PIPE, text=True, cwd=root, env=env)
        assert self.proc.stdout is not None and self.proc.stdout.readline().strip() == "ready"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def store_urls(kind: str, workdir: Path, label: str, redis: Any) -> str:
    if kind == "sqlite":
        path = workdir / f"bench-{label}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    if kind == "redis":
        return f"redis://127.0.0.1:{redis.port}/{0 if label == 'this' else 1}"
    return "memory://"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--store-url", default="memory://", help=argparse.SUPPRESS)
    parser.add_argument("--store", choices=("sqlite", "redis", "memory"), default="sqlite")
    parser.add_argument("--methods", default=DEFAULT_METHODS)
    parser.add_argument("--clients", default="1,10,100", help='closed-loop runs ("" = none)')
    parser.add_argument("--requests", type=int, default=10000, help="per measurement")
    parser.add_argument("--rate", type=float, default=1000.0, help="paced run (0 = skip)")
    parser.add_argument("--compare", type=Path, help="another source tree to measure against")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp"))
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.store_url)
        return 0
    redis = None
    if args.store == "redis":
        from tests.support.redis_server import RedisServer

        redis = RedisServer().start()
    roots = [(ROOT, "this")] + ([(args.compare.resolve(), "other")] if args.compare else [])
    servers = [Server(root, store_urls(args.store, args.workdir, label, redis), label)
               for root, label in roots]
    try:
        for method in args.methods.split(","):
            runs = [(int(c), 0.0) for c in args.clients.split(",") if c.strip()]
            runs += [(10, args.rate)] if args.rate else []
            for clients, rate in runs:
                total = int(args.rate * 10) if rate else args.requests
                for server in servers:
                    result = measure(server, method, clients, total, rate)
                    print(json.dumps({**result, "store": args.store, "server": server.label}),
                          flush=True)
    finally:
        for server in servers:
            server.stop()
        if redis is not None:
            redis.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
