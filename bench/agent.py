"""Benchmark of the FreeSWITCH agent: how many concurrent prepaid calls one process meters.

    python bench/agent.py --interval 10s --levels 1000,2500,5000,10000
    python bench/agent.py --interval 1s --levels 500,1000,2000 --format plain

For each level N the emulated FreeSWITCH runs in its own process and places prepaid calls at
N / talk_mean calls per second, each lasting talk_mean x U(0.5, 1.5) seconds, so that N calls
are up at once after a ramp; 5 % of the calls have an account that runs dry mid-call. The
agent (store, engine, agent: this process, one gevent hub) meters them. Printed per level,
one JSON object: park-to-transfer latency (emulator clock), debit lateness (agent),
cut-off lateness (hangup received by the switch minus the moment the paid time ended, and
the agent's own timer lateness), lost events, unsettled calls, overdrafts and write-offs,
memory per live session and the agent's CPU use. Targets (issue 7): p99 park-to-transfer
< 5 ms, p99 debit lateness < 100 ms, p99 cut-off lateness < 200 ms, nothing lost, no
overdraft, < 10 KB per session, 10,000 calls at a 10 s interval and 300 new calls/s.
"""

from __future__ import annotations

from gevent import monkey

if not monkey.is_module_patched("socket"):
    monkey.patch_all()

import argparse
import gc
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import gevent

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PLAN = {
    "Destinations.csv": "DST_1002,1002\n",
    "Rates.csv": "RT_1C,0,0.01,1s,1s,0s\n",
    "DestinationRates.csv": "DR_1002,DST_1002,RT_1C,*up,4,0,\n",
    "RatingPlans.csv": "RP_STD,DR_1002,*any,10\n",
    "RatingProfiles.csv": "cgrates.org,call,*any,2014-01-14T00:00:00Z,RP_STD,\n",
}
CENT = Decimal("0.01")


class HubLag:
    """How long the gevent hub was kept from running a 10 ms timer (blocked by work)."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self.greenlet = gevent.spawn(self._run)

    def _run(self) -> None:
        while True:
            before = time.monotonic()
            gevent.sleep(0.01)
            self.samples.append(max(0.0, time.monotonic() - before - 0.01))


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(values: list[float], scale: float = 1000.0) -> dict[str, Any]:
    """p50 / p99 / max in milliseconds (rounded)."""
    out: dict[str, Any] = {"n": len(values)}
    for name, q in (("p50", 0.5), ("p99", 0.99), ("max", 1.0)):
        value = percentile(values, q) if name != "max" else (max(values) if values else None)
        out[name] = None if value is None else round(value * scale, 2)
    return out


# =============================================================================== emulator


def run_emulator(port: int, plan_file: str, rate: float) -> None:
    """The switch side: an EslServer plus a load generator; results as JSON on stdout."""
    from agent.emulator.originate import OriginateRequest, originate
    from agent.emulator.server import EslServer
    from agent.emulator.settings import Settings

    plan = json.loads(Path(plan_file).read_text())
    server = EslServer(Settings(port=port, max_sessions=10**6, sessions_per_second=10**6))
    server.start()
    switch = server.switch
    by_leg: dict[str, dict[str, Any]] = {}  # B uuid -> record
    a_to_call: dict[str, dict[str, Any]] = {}
    live = {"b": 0, "peak": 0}

    def on_session(session: Any) -> None:
        other = getattr(session.endpoint, "other", None)
        if other is not None and session.channel.direction == "inbound" and \
                other.uuid in a_to_call:
            record = a_to_call[other.uuid]
            record["b"] = session.uuid
            by_leg[session.uuid] = record

    def on_event(event: Any) -> None:
        record = by_leg.get(event.unique_id or "")
        if record is None:
            return
        name, now = event.name, time.monotonic()
        if name == "CHANNEL_PARK" and "park" not in record:
            record["park"] = now
        elif name == "CHANNEL_ANSWER":
            record["answer"] = now
            live["b"] += 1
            live["peak"] = max(live["peak"], live["b"])
            gevent.spawn_later(record["talk"], hang_caller, record["a"])
        elif name == "CHANNEL_HANGUP_COMPLETE":
            if "answer" in record:
                live["b"] -= 1
            headers = dict(event.headers)
            record["billmsec"] = int(headers.get("variable_billmsec") or 0)
            record["cause"] = headers.get("Hangup-Cause")
            record["done"] = now

    def on_command(line: str) -> None:
        parts = line.split(" ", 3)
        if len(parts) < 3 or parts[0] != "api":
            return
        record = by_leg.get(parts[2])
        if record is None:
            return
        if parts[1] == "uuid_transfer" and "transfer" not in record:
            record["transfer"] = time.monotonic()
        elif parts[1] == "uuid_kill" and "kill" not in record:
            record["kill"] = time.monotonic()

    def hang_caller(a_uuid: str) -> None:
        session = switch.locate(a_uuid)
        if session is not None:
            session.hangup("NORMAL_CLEARING")

    switch.session_observers.append(on_session)
    switch.observers.append(on_event)
    server.command_observers.append(on_command)
    lag = HubLag()
    print(json.dumps({"ready": server.port}), flush=True)
    from gevent.fileobject import FileObjectPosix
    FileObjectPosix(sys.stdin.fileno(), "rb", close=False).readline()  # "go", cooperatively
    started = time.monotonic()
    cpu0 = os.times()
    records = []
    for index, (account, talk) in enumerate(plan):
        due = started + index / rate
        delay = due - time.monotonic()
        if delay > 0:
            gevent.sleep(delay)
        a_uuid = switch.new_uuid()
        record = {"a": a_uuid, "account": account, "talk": talk}
        a_to_call[a_uuid] = record
        records.append(record)
        dial = (f"{{origination_uuid={a_uuid},cgr_account={account},cgr_tenant=cgrates.org,"
                f"cgr_destination=1002,cgr_reqtype=*prepaid,cgr_category=call,"
                f"cgr_subject={account}}}loopback/1002/callmeter_prepaid")
        switch.spawn(originate, switch, OriginateRequest(dial, "&park()"))
    placed = time.monotonic() - started
    deadline = time.monotonic() + max(talk for _, talk in plan) + 60
    while time.monotonic() < deadline and any("done" not in r for r in records):
        gevent.sleep(0.5)
    lost = sum(listener.lost for listener in list(server.listeners))
    cpu1 = os.times()
    cpu = ((cpu1.user + cpu1.system) - (cpu0.user + cpu0.system)) / (time.monotonic() - started)
    out = [{k: r.get(k) for k in ("b", "account", "talk", "park", "transfer", "answer", "kill",
                                  "billmsec", "cause", "done")} for r in records]
    print(json.dumps({"calls": out, "lost": lost, "peak": live["peak"], "cpu": round(cpu, 2),
                      "hub_lag": summary(lag.samples),
                      "placing_seconds": round(placed, 2)}), flush=True)


# =============================================================================== agent side


class Recorder:
    """Stands in for a histogram metric to keep every sample (percentiles, not buckets)."""

    def __init__(self, metric: Any) -> None:
        self.metric = metric
        self.samples: list[float] = []

    def observe(self, value: float) -> None:
        self.samples.append(value)
        self.metric.observe(value)


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def make_plan(level: int, talk_mean: float, hold: float, cut_fraction: float,
              rng: random.Random) -> tuple[list[tuple[str, float]], dict[str, Decimal]]:
    rate = level / talk_mean
    total = int(rate * (talk_mean * 1.5 + hold))
    calls, balances = [], {}
    for index in range(total):
        account = f"b{index}"
        talk = round(talk_mean * rng.uniform(0.5, 1.5), 3)
        if rng.random() < cut_fraction:
            balances[account] = (Decimal(int(talk * rng.uniform(0.3, 0.8))) * CENT).max(CENT)
        else:
            balances[account] = Decimal(int(talk) + 30) * CENT
        calls.append((account, talk))
    return calls, balances


def all_cdrs(store: Any) -> list[dict[str, Any]]:
    from rating.store.base import CdrQuery
    rows: list[dict[str, Any]] = []
    cursor = None
    while True:
        page, cursor = store.query_cdrs(CdrQuery(limit=10_000, cursor=cursor))
        rows += page
        if not cursor:
            return rows


def open_bench_store(kind: str, workdir: Path) -> tuple[Any, Any]:
    from rating.store import open_store
    if kind == "redis":
        from tests.support.redis_server import RedisServer
        server = RedisServer().start()
        return open_store(server.url), server
    return open_store(f"sqlite:///{workdir / 'bench.db'}",
                      run_blocking=gevent.get_hub().threadpool.apply), None


def seed_accounts(store: Any, balances: dict[str, Decimal]) -> None:
    from rating.store.base import Commit

    def account(name: str, value: Decimal) -> Any:
        doc = {"ID": f"cgrates.org:{name}", "BalanceMap": {"*monetary": [
            {"Uuid": f"{name}-m", "ID": "main", "Value": str(value)}]},
            "AllowNegative": False, "Disabled": False}
        return lambda _doc: Commit(doc, None)

    pool = gevent.pool.Pool(32)
    for name, value in balances.items():
        pool.spawn(store.transact, f"cgrates.org:{name}", account(name, value))
    pool.join()


def run_level(args: argparse.Namespace, level: int) -> dict[str, Any]:
    from agent.config import (
        Address,
        Config,
        Duration,
        FreeSwitchConfig,
        FreeSwitchConnection,
        SessionsConfig,
    )
    from agent.freeswitch import metrics
    from agent.freeswitch.agent import FreeSwitchAgent
    from agent.supervisor import Supervisor
    from tests.agent.support import balance, make_engine
    from tests.support.net import free_port

    rng = random.Random(level)
    workdir = Path(tempfile.mkdtemp(prefix="callmeter-bench-"))
    plan, balances = make_plan(level, args.talk_mean, args.hold, args.cut_fraction, rng)
    (workdir / "plan").mkdir()
    for name, body in PLAN.items():
        (workdir / "plan" / name).write_text("# header\n" + body)
    store, redis_server = open_bench_store(args.store, workdir)
    engine = make_engine(store)
    assert engine.load_folder(str(workdir / "plan")).ok
    seed_accounts(store, balances)
    plan_file = workdir / "calls.json"
    plan_file.write_text(json.dumps(plan))
    port = free_port()
    rate = level / args.talk_mean
    emulator = subprocess.Popen(
        [sys.executable, __file__, "--role", "emulator", "--port", str(port),
         "--plan", str(plan_file), "--rate", str(rate)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert emulator.stdout is not None and emulator.stdin is not None
    json.loads(emulator.stdout.readline())
    debit_late = Recorder(metrics.DEBIT_LATENESS)
    cut_late = Recorder(metrics.CUTOFF_LATENESS)
    authorize = Recorder(metrics.AUTHORIZE_SECONDS)
    metrics.DEBIT_LATENESS, metrics.CUTOFF_LATENESS = debit_late, cut_late  # type: ignore
    metrics.AUTHORIZE_SECONDS = authorize  # type: ignore
    config = Config(
        freeswitch=FreeSwitchConfig(
            connections=(FreeSwitchConnection(Address("127.0.0.1", port), "ClueCon", "fs1"),),
            event_format=args.format),
        sessions=SessionsConfig(debit_interval=Duration.parse(args.interval),
                                channel_sync_interval=Duration.parse(args.sync)))
    from agent.freeswitch.switch import SwitchConnection
    command_times: dict[str, list[float]] = {}
    original_api_many = SwitchConnection.api_many

    def timed_api_many(self: Any, commands: Any, timeout: Any = None, **kwargs: Any) -> Any:
        began = time.monotonic()
        try:
            return original_api_many(self, commands, timeout, **kwargs)
        finally:
            verb = commands[-1].split(" ", 1)[0]
            command_times.setdefault(verb, []).append(time.monotonic() - began)

    SwitchConnection.api_many = timed_api_many  # type: ignore[method-assign]
    decided: list[float] = []
    original_send = FreeSwitchAgent.send

    def timed_send(self: Any, alias: str, lines: Any, clog: Any = None, **kwargs: Any) -> None:
        if kwargs.get("reply") == "authorized_reply":  # data = when the PARK was read
            decided.append((time.time_ns() - kwargs["data"]) / 1e9)
        original_send(self, alias, lines, clog, **kwargs)

    FreeSwitchAgent.send = timed_send  # type: ignore[method-assign]
    supervisor = Supervisor()
    agent = FreeSwitchAgent(config, engine, supervisor, "bench")
    agent.start()
    while not all(s.up and s.state()["control"] for s in agent.switches.values()):
        gevent.sleep(0.05)
    gc.collect()
    base_rss = rss_bytes()
    lag = HubLag()
    emulator.stdin.write("go\n")
    emulator.stdin.flush()
    samples: list[tuple[float, int, int, float]] = []
    result_line: list[str] = []
    reader = gevent.spawn(emulator.stdout.readline)  # patched subprocess: cooperative
    cpu0, started = os.times(), time.monotonic()
    while not reader.ready():
        gevent.sleep(1.0)
        t = os.times()
        samples.append((time.monotonic() - started, len(agent.sessions), rss_bytes(),
                        t.user + t.system))
    result_line.append(reader.get())
    emulator.wait(30)
    agent.wait_idle(30)
    cpu1 = os.times()
    switch_side = json.loads(result_line[0])
    calls = switch_side["calls"]
    # Memory: the RSS growth at the moment most sessions were live, per session.
    peak = max(samples, key=lambda s: s[1]) if samples else (0, 0, base_rss, 0)
    per_session = (peak[2] - base_rss) / peak[1] if peak[1] else None
    # CPU of this process (agent + store client) over the steady part of the run.
    steady = [s for s in samples if s[1] >= 0.9 * peak[1]]
    cpu = None
    if len(steady) >= 2:
        cpu = (steady[-1][3] - steady[0][3]) / (steady[-1][0] - steady[0][0])
    cdr_rows = all_cdrs(store)
    paid = {c["OriginID"]: Decimal(c["Cost"]) / CENT for c in cdr_rows}
    parks = [c["transfer"] - c["park"] for c in calls if c.get("park") and c.get("transfer")]
    cuts = [c["kill"] - c["answer"] - float(paid[c["b"]]) for c in calls
            if c.get("kill") and c.get("answer") and c["b"] in paid]
    answered = [c for c in calls if c.get("answer")]
    overdrawn = sum(1 for name in balances if balance(store, name) < 0)
    out = {
        "bench": "agent", "interval": args.interval, "format": args.format,
        "store": args.store, "level": level, "rate_per_s": round(rate, 1),
        "calls": len(calls), "answered": len(answered), "peak_live_sessions": peak[1],
        "agent_cpu_ms_per_call": round(
            ((cpu1.user + cpu1.system) - (cpu0.user + cpu0.system)) * 1000 / max(1, len(calls)), 2),
        "peak_switch_calls": switch_side["peak"],
        "park_to_transfer_ms": summary(parks),
        "agent_park_decision_ms": summary(decided),
        "agent_park_handling_ms": summary(authorize.samples),
        "debit_lateness_ms": summary(debit_late.samples),
        "cutoff_vs_paid_end_ms": summary(cuts),
        "cutoff_timer_lateness_ms": summary(cut_late.samples),
        "lost_events": switch_side["lost"] + agent.queues.dropped,
        "unsettled": len([c for c in answered if c["b"] not in paid]),
        "overdrawn_accounts": overdrawn,
        "written_off_s": round(metrics.WRITTEN_OFF._value.get(), 3),
        "bytes_per_session": None if per_session is None else int(per_session),
        "agent_cpu_cores": None if cpu is None else round(cpu, 2),
        "agent_hub_lag_ms": summary(lag.samples),
        "emulator_cpu_cores": switch_side["cpu"], "emulator_hub_lag_ms": switch_side["hub_lag"],
        "agent_cpu_total_s": round((cpu1.user + cpu1.system) - (cpu0.user + cpu0.system), 1),
        "placing_seconds": switch_side["placing_seconds"],
        "command_ms": {verb: summary(times) for verb, times in command_times.items()},
    }
    lag.greenlet.kill()
    SwitchConnection.api_many = original_api_many  # type: ignore[method-assign]
    FreeSwitchAgent.send = original_send  # type: ignore[method-assign]
    agent.stop(2.0)
    supervisor.stop(timeout=1.0)
    store.close()
    if redis_server is not None:
        redis_server.cleanup()
    return out


def parse_costs() -> list[dict[str, Any]]:
    """Per-event cost of reading the captured channel events: framing, decoding, mapping."""
    from agent.freeswitch import wire
    from agent.freeswitch.fields import CALL_EVENTS, Defaults, call_event
    from tests.emulator.captures import rx

    out = []
    for fmt in ("plain", "json"):
        data = b"".join(rx(f"{kind}_{fmt}") for kind in (
            "05_call_answer_park", "06_call_park_unanswered", "08_prepaid_sched_hangup"))
        messages = wire.parse_messages(data)
        events = [m for m in messages if m.is_event]
        calls = [m for m in events if wire.parse_event(m).name in CALL_EVENTS]
        rounds, started = 0, time.perf_counter()
        while time.perf_counter() - started < 2.0:
            for message in wire.MessageParser().feed(data):
                if message.is_event:
                    event = wire.parse_event(message)
                    if event.name in CALL_EVENTS:
                        call_event(event, "fs1", Defaults(), 0)
            rounds += 1
        per_event = (time.perf_counter() - started) / (rounds * len(events))
        began, n = time.perf_counter(), 0
        while time.perf_counter() - began < 2.0:
            for message in calls:
                call_event(wire.parse_event(message), "fs1", Defaults(), 0)
                n += 1
        per_call_event = (time.perf_counter() - began) / n
        out.append({"bench": "agent_event_parse", "format": fmt,
                    "avg_event_bytes": sum(len(m.body) for m in events) // len(events),
                    "us_per_event": round(per_event * 1e6, 1),
                    "us_per_channel_event_decoded_and_mapped": round(per_call_event * 1e6, 1),
                    "events_per_s_one_core": int(1 / per_event)})
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--role", default="driver", choices=["driver", "emulator"])
    parser.add_argument("--port", type=int)
    parser.add_argument("--plan")
    parser.add_argument("--rate", type=float)
    parser.add_argument("--interval", default="10s")
    parser.add_argument("--levels", default="1000")
    parser.add_argument("--talk-mean", type=float, default=30.0)
    parser.add_argument("--hold", type=float, default=30.0)
    parser.add_argument("--cut-fraction", type=float, default=0.05)
    parser.add_argument("--sync", default="60s", help="sessions.channel_sync_interval")
    parser.add_argument("--format", default="json", choices=["json", "plain"])
    parser.add_argument("--store", default="sqlite", choices=["sqlite", "redis"])
    parser.add_argument("--parse", action="store_true",
                        help="only measure event parsing, plain vs JSON, on the captures")
    args = parser.parse_args()
    if args.parse:
        for line in parse_costs():
            print(json.dumps(line), flush=True)
        return 0
    if args.role == "emulator":
        run_emulator(args.port, args.plan, args.rate)
        return 0
    import logging
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for level in [int(x) for x in args.levels.split(",")]:
        print(json.dumps(run_level(args, level)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
