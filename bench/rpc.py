"""JSON-RPC throughput and latency over TCP (issue 5): one JSON object per measurement.

    python bench/rpc.py                                   # memory store, default methods
    python bench/rpc.py --store-url sqlite:////tmp/b.db   # or redis://127.0.0.1:6390/0
    python bench/rpc.py --methods APIerSv1.Ping --clients 1,10,100 --requests 20000

The server (this script with --serve) runs in its own process with the chosen store;
clients run in separate processes (greenlets inside), each with one request in flight.
Closed-loop runs report req/s and p50/p99 latency; the paced run (--rate, default 1000
req/s) reports the latency at that load. Methods that need the engine are measured only
when rating.engine is importable.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

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
ENGINE_METHODS = {"Responder.GetMaxSessionTime", "APIerSv2.GetAccount"}


def serve(port: int, store_url: str) -> None:
    """The server process: a store, the engine when there is one, seeded data, the listener."""
    from gevent import monkey

    monkey.patch_all()
    import gevent

    from agent.config import Config
    from agent.rpc.access import Limits
    from agent.rpc.server import RpcTcpServer
    from agent.rpc.wiring import make_dispatcher
    from rating.store import open_store

    store = open_store(store_url)
    engine = _engine(store)
    dispatcher = make_dispatcher(Config(), store, engine=engine)
    _seed(dispatcher)
    server = RpcTcpServer(("127.0.0.1", port), dispatcher, Limits(max_connections=10000))
    server.start()
    print("ready", flush=True)
    gevent.wait()


def _engine(store: Any) -> Any:
    try:
        from rating.engine import Engine
    except ImportError:
        return None
    return Engine(store)


def _seed(dispatcher: Any) -> None:
    from agent.rpc import jsonvalue

    requests = [
        ("APIerSv1.SetTPActionTriggers", {"TPid": "BENCH", "ID": "STANDARD_TRIGGERS",
                                          "ActionTriggers": [{"ThresholdType": "*min_balance",
                                                              "ThresholdValue": 2}]}),
        ("APIerSv2.SetAccount", ACCOUNT),
        ("APIerSv1.SetBalance", {**ACCOUNT, "BalanceType": "*monetary", "Value": 1000,
                                 "Balance": {"ID": "*default"}}),
    ]
    for method, params in requests:
        doc = {"method": method, "params": [params], "id": 1}
        dispatcher.handle_text(jsonvalue.dumps(doc).encode())


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

    def one_client() -> None:
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        buffer = b""
        next_at = time.monotonic()
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
    gevent.joinall([gevent.spawn(one_client) for _ in range(clients)], raise_error=True)
    return latencies, started, time.monotonic()


def measure(port: int, method: str, clients: int, total: int, rate: float = 0.0) -> dict[str, Any]:
    processes = min(clients, max(1, (os.cpu_count() or 2) - 1), 4)
    per_process = [clients // processes + (1 if i < clients % processes else 0)
                   for i in range(processes)]
    per_client = max(1, total // clients)
    jobs = [(port, method, n, per_client, rate * n / clients if rate else 0.0)
            for n in per_process]
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        results = pool.map(_client_process, jobs)
    elapsed = max(r[2] for r in results) - min(r[1] for r in results)
    latencies = sorted(x for r in results for x in r[0])
    return {"bench": "rpc", "method": method, "clients": clients, "requests": len(latencies),
            "mode": f"paced {rate:g} req/s" if rate else "closed loop",
            "req_per_s": round(len(latencies) / elapsed, 1),
            "p50_ms": round(latencies[len(latencies) // 2] * 1000, 3),
            "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 3)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--store-url", default="memory://")
    parser.add_argument("--methods", default=",".join(REQUESTS))
    parser.add_argument("--clients", default="1,10,100")
    parser.add_argument("--requests", type=int, default=20000, help="per measurement")
    parser.add_argument("--rate", type=float, default=1000.0, help="paced run (0 = skip)")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.store_url)
        return 0
    from tests.support.net import free_port

    port = free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port),
                               "--store-url", args.store_url], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        has_engine = _engine_available()
        for method in args.methods.split(","):
            if method in ENGINE_METHODS and not has_engine:
                print(json.dumps({"bench": "rpc", "method": method,
                                  "skipped": "rating.engine is not available"}), flush=True)
                continue
            for clients in (int(c) for c in args.clients.split(",")):
                result = measure(port, method, clients, args.requests)
                print(json.dumps({**result, "store": args.store_url.split(":")[0]}), flush=True)
            if args.rate:
                result = measure(port, method, 10, int(args.rate * 10), args.rate)
                print(json.dumps({**result, "store": args.store_url.split(":")[0]}), flush=True)
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0


def _engine_available() -> bool:
    try:
        import rating.engine  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    raise SystemExit(main())
