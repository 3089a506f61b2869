"""`callmeter demo`: prepaid enforcement in one command, against an emulated FreeSWITCH.

It starts the FreeSWITCH emulator, starts `callmeter run` on a throw-away SQLite store
connected to it (or uses a running callmeter with --server), loads a small tariff plan,
gives a few accounts some credit, places a scripted set of calls and prints a live table
of calls, balances and cut-offs until every call has ended.
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from .console import RpcClient

TENANT = "cgrates.org"

#: A tariff plan in CGRateS CSV: 1 ct per second to 1002/1003, billed per second.
PLAN = {
    "Destinations.csv": "#Id,Prefix\nDST_DEMO,100\n",
    "Rates.csv": "#Id,ConnectFee,Rate,RateUnit,RateIncrement,GroupIntervalStart\n"
                 "RT_DEMO,0,0.01,1s,1s,0s\n",
    "DestinationRates.csv": "#Id,DestinationId,RatesTag,RoundingMethod,RoundingDecimals,"
                            "MaxCost,MaxCostStrategy\nDR_DEMO,DST_DEMO,RT_DEMO,*up,4,0,\n",
    "Timings.csv": "#Tag,Years,Months,MonthDays,WeekDays,Time\n",
    "RatingPlans.csv": "#Id,DestinationRatesId,TimingTag,Weight\nRP_DEMO,DR_DEMO,*any,10\n",
    "RatingProfiles.csv": "#Tenant,Category,Subject,ActivationTime,RatingPlanId,"
                          "RatesFallbackSubject\ncgrates.org,call,*any,2020-01-01T00:00:00Z,"
                          "RP_DEMO,\n",
}


@dataclass(frozen=True)
class Scenario:
    """One scripted call: who calls, with how much credit, talking how long."""

    account: str
    credit: Decimal | None  # None: no account at all
    talk_seconds: float
    reqtype: str
    expect: str


def scenarios(quick: bool) -> list[Scenario]:
    scale = 1 if quick else 2
    return [
        Scenario("1001", Decimal("0.08") * scale, 20 * scale, "*prepaid",
                 f"cut off after {8 * scale} s: credit for {8 * scale} s only"),
        Scenario("1002", Decimal("1.00"), 5.5, "*prepaid",
                 "completes 5.5 s, pays 0.06 (6 started seconds)"),
        Scenario("1003", Decimal("0"), 10, "*prepaid", "rejected at park: no credit"),
        Scenario("1009", None, 10, "*prepaid", "rejected at park: unknown account"),
        Scenario("1004", Decimal("0"), 4.5, "*postpaid",
                 "postpaid: allowed, charged 0.05 after the call"),
    ]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--server", metavar="HOST:PORT",
                        help="use this running callmeter's JSON-RPC instead of starting one; "
                             "its freeswitch.connections must list the emulator (--listen)")
    parser.add_argument("--listen", default="127.0.0.1:0", metavar="HOST:PORT",
                        help="where the emulated FreeSWITCH listens (default: a free port)")
    parser.add_argument("--password", default="ClueCon", help="the emulator's ESL password")
    parser.add_argument("--quick", action="store_true", help="shorter calls (about 15 s)")
    parser.add_argument("--no-live", action="store_true",
                        help="print only the final table (for logs and scripts)")


def run(args: argparse.Namespace) -> int:
    from .config import Address
    from .emulator import Emulator

    host, _, port = args.listen.rpartition(":")
    if args.listen != "127.0.0.1:0":
        listen = Address.parse(args.listen)
        host, port = listen.host, str(listen.port)
    with Emulator(password=args.password, host=host, port=int(port)) as emulator:
        print(f"emulated FreeSWITCH listening on {emulator.host}:{emulator.port}")
        with _callmeter(args, emulator) as server:
            client = RpcClient(server, timeout=10)
            try:
                return _play(client, emulator, args)
            finally:
                client.close()


@contextlib.contextmanager
def _callmeter(args: argparse.Namespace, emulator: Any) -> Iterator[str]:
    """The JSON-RPC address of the callmeter to use: --server, or one started here."""
    if args.server:
        yield args.server
        return
    from .config import Address

    with tempfile.TemporaryDirectory(prefix="callmeter-demo-") as workdir:
        rpc, http = _free_port(), _free_port()
        config = {
            "general": {"log_level": "INFO"},
            "store": {"url": f"sqlite:///{workdir}/demo.db"},
            "listen": {"rpc_json": f"127.0.0.1:{rpc}", "http": f"127.0.0.1:{http}"},
            "freeswitch": {"connections": [{"address": str(Address(emulator.host, emulator.port)),
                                            "password": args.password, "alias": "demo-fs"}]},
            "sessions": {"debit_interval": "2s", "channel_sync_interval": "5s"},
        }
        config_file = Path(workdir) / "callmeter.yaml"
        config_file.write_text(yaml.safe_dump(config))
        log_path = Path(workdir) / "callmeter.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen([sys.executable, "-m", "agent", "run", "-c", str(config_file)],
                                    stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_healthy(http, proc, log_path)
            print(f"callmeter running (JSON-RPC 127.0.0.1:{rpc}, log {log_path})")
            yield f"127.0.0.1:{rpc}"
        finally:
            proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=15)
            if proc.poll() is None:
                proc.kill()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(port: int, proc: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"callmeter exited early:\n{log_path.read_text(errors='replace')}")
        url = f"http://127.0.0.1:{port}/healthz"
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1) as reply:
            if reply.status == 200:
                return
        time.sleep(0.1)
    raise SystemExit("callmeter did not become healthy within 30 s")


def _play(client: RpcClient, emulator: Any, args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="callmeter-demo-plan-") as plan_dir:
        for name, text in PLAN.items():
            (Path(plan_dir) / name).write_text(text)
        client.call("APIerSv1.LoadTariffPlanFromFolder", {"FolderPath": plan_dir})
    plays = scenarios(args.quick)
    for play in plays:
        with contextlib.suppress(Exception):
            client.call("APIerSv1.RemoveAccount", {"Tenant": TENANT, "Account": play.account})
        if play.credit is not None:
            client.call("APIerSv1.SetBalance", {
                "Tenant": TENANT, "Account": play.account, "BalanceType": "*monetary",
                "Value": play.credit, "Balance": {"ID": "demo"}})
    print("\ncalls: 1 ct per second, debited every 2 s, cut when the credit is gone\n")
    calls = [(play, emulator.place_call(play.account, destination="1002",
                                        talk_seconds=play.talk_seconds, reqtype=play.reqtype))
             for play in plays]
    started = time.monotonic()
    live = not args.no_live and sys.stdout.isatty()
    while not all(call.ended or _rejected(call) for _, call in calls):
        if time.monotonic() - started > 120:
            print("some calls did not end within 120 s", file=sys.stderr)
            return 1
        if live:
            _print_table(client, calls, clear=True)
        time.sleep(0.5)
    time.sleep(1.0)  # let the last settlement commit before the final balances
    _print_table(client, calls, clear=live)
    return 0


def _rejected(call: Any) -> bool:
    return call.seen("CHANNEL_HANGUP") and not call.seen("CHANNEL_ANSWER")


def _state(call: Any) -> str:
    if call.ended or call.seen("CHANNEL_HANGUP"):
        cause = call.hangup_cause or "?"
        if not call.seen("CHANNEL_ANSWER"):
            return f"rejected ({cause})"
        return f"ended ({cause})"
    if call.seen("CHANNEL_ANSWER"):
        return "talking"
    return "parked" if call.seen("CHANNEL_PARK") else "ringing"


def _talk(call: Any) -> str:
    if call.billmsec is not None:
        return f"{call.billmsec / 1000:.1f}"
    if call.answered_at is not None:
        return f"{max(0.0, time.time() - call.answered_at):.1f}"
    return "-"


def _balance(client: RpcClient, account: str) -> str:
    try:
        doc = client.call("APIerSv2.GetAccount", {"Tenant": TENANT, "Account": account})
    except Exception as exc:  # an unknown account is part of the demo
        return str(exc)
    total = sum((Decimal(str(b["Value"])) for b in doc["BalanceMap"].get("*monetary", [])),
                Decimal(0))
    return f"{total:.2f}"


def _print_table(client: RpcClient, calls: list[tuple[Scenario, Any]], clear: bool) -> None:
    lines = [f"{'account':8} {'type':10} {'state':32} {'talk s':>7} {'balance':>14}  expected"]
    for play, call in calls:
        lines.append(f"{play.account:8} {play.reqtype:10} {_state(call):32} {_talk(call):>7} "
                     f"{_balance(client, play.account):>14}  {play.expect}")
    if clear:
        sys.stdout.write("\x1b[H\x1b[2J")
    print("\n".join(lines), flush=True)

