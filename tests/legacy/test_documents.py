"""The examples of seeds 001 and 004, verbatim, against a running `callmeter run`.

The documents' Python snippet is read from the seed files and run as written, with the
Python 3 fix (``sendall`` of bytes, ``print()``) and the daemon's port in place of 2001; the
curl examples are run with curl (or urllib), the daemon's HTTP port in place of 8000. Each
effect is then checked through the v0.10 API on the same account.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import shutil
import socket
import subprocess
import urllib.request
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from agent.rpc import jsonvalue
from rating.engine import Engine
from rating.legacy_ops import supports
from tests.support.daemon import CallmeterProcess, http_get

from .support import TARIFF_PLAN, curl_urls, python_snippet, seed_text

ACTION_SIDE = supports(Engine)
needs_action_side = pytest.mark.skipif(
    not ACTION_SIDE, reason="waits for the actions engine: rating.engine.Engine without "
                            "change_account/plans (its action side) cannot keep budgets")
SECOND = 10**9


class Daemon:
    """A `callmeter run` with listen.legacy_http on and the test tariff plan loaded."""

    def __init__(self, workdir: Path) -> None:
        self.proc = CallmeterProcess(workdir, {"listen": {"legacy_http": True},
                                               "general": {"log_level": "INFO"}})

    def start(self) -> Daemon:
        self.proc.start()
        self.ok("APIerSv1.LoadTariffPlanFromFolder", {"FolderPath": str(TARIFF_PLAN)})
        if ACTION_SIDE:
            self.ok("APIerSv1.ReloadScheduler", {})  # the plan's *asap top-ups
        return self

    def call(self, method: str, params: Any) -> dict[str, Any]:
        """One JSON-RPC request over HTTP POST /jsonrpc."""
        body = jsonvalue.dumps({"id": 1, "method": method, "params": [params]}).encode()
        request = urllib.request.Request(f"{self.proc.base_url}/jsonrpc", data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as reply:
            doc: dict[str, Any] = jsonvalue.loads(reply.read())
        return doc

    def ok(self, method: str, params: Any) -> Any:
        reply = self.call(method, params)
        assert reply["error"] is None, (method, reply)
        return reply["result"]

    def account(self) -> dict[str, Any]:
        """vdf:rif as the v0.10 API shows it."""
        acc: dict[str, Any] = self.ok("APIerSv2.GetAccount", {"Tenant": "vdf", "Account": "rif"})
        return acc

    def balances(self) -> dict[str, Decimal]:
        return {b["ID"]: b["Value"] for chain in self.account()["BalanceMap"].values()
                for b in chain}

    def counters(self) -> dict[str, Decimal]:
        return {c["Filter"]["ID"]: c["Value"]
                for uc in self.account()["UnitCounters"]["*voice"] for c in uc["Counters"]}


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    running = Daemon(tmp_path_factory.mktemp("legacy")).start()
    try:
        yield running
    finally:
        running.proc.stop()


def run_snippet(snippet: str, port: int) -> bytes:
    """Run the documents' snippet against the daemon; what it printed (one recv(4096))."""
    code = snippet.replace('("127.0.0.1", 2001)', f'("127.0.0.1", {port})')
    printed = io.StringIO()
    namespace: dict[str, Any] = {"json": json, "socket": socket}
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(10)  # the snippet sets none; a hang must fail, not block
    try:
        with contextlib.redirect_stdout(printed):
            exec(compile(code, "seed-snippet", "exec"), namespace)
    finally:
        socket.setdefaulttimeout(previous)
        namespace["s"].close()
    text = printed.getvalue().strip()
    assert text.startswith("b'") and text.endswith("'"), text
    data = ast.literal_eval(text)  # the repr of the bytes the snippet printed
    assert isinstance(data, bytes)
    return data


@pytest.mark.parametrize("seed", ["001", "004"])
def test_the_documents_python_snippet_gets_the_call_cost_in_one_read(daemon: Daemon,
                                                                     seed: str) -> None:
    data = run_snippet(python_snippet(seed_text(seed)), daemon.proc.rpc_port)
    assert len(data) < 4096 and data.endswith(b"\n")
    reply = jsonvalue.loads(data)
    assert (reply["id"], reply["error"]) == (1, None)
    cost = reply["result"]
    assert {k: cost[k] for k in ("TOR", "CstmId", "Subject", "DestinationPrefix", "Cost",
                                 "ConnectFee")} == {
        "TOR": 0, "CstmId": "vdf", "Subject": "rif", "DestinationPrefix": "0256",
        "Cost": 36, "ConnectFee": Decimal("0.1")}
    assert cost["Timespans"][0]["TimeStart"] == "2012-02-02T17:30:00Z"


def fetch(url: str, port: int) -> tuple[int, Any]:
    """GET a document's URL (its port 8000 replaced) with curl when installed."""
    url = url.replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    curl = shutil.which("curl")
    if curl is None:
        status, body = http_get(url, timeout=10)
    else:
        done = subprocess.run([curl, "-s", "-w", "\n%{http_code}", url], capture_output=True,
                              timeout=20, check=True)
        body, _, code = done.stdout.rpartition(b"\n")
        status = int(code)
    return status, jsonvalue.loads(body)


URLS = curl_urls(seed_text("004"))


def test_the_document_lists_nine_http_examples() -> None:
    assert [u.split("?")[0].rsplit("/", 1)[1] for u in URLS] == [
        "getcost", "debitbalance", "debitsms", "debitseconds", "getmaxsessiontime",
        "addvolumediscountseconds", "resetvolumediscountseconds", "addrecievedcallseconds",
        "resetuserbudget"]


def test_getcost_over_http_as_documented(daemon: Daemon) -> None:
    status, cost = fetch(URLS[0], daemon.proc.http_port)
    assert status == 200
    assert (cost["TOR"], cost["CstmId"], cost["Subject"], cost["DestinationPrefix"]) == (
        0, "vdf", "rif", "0257")


@needs_action_side
def test_the_documented_http_examples_in_order_each_seen_through_the_v0_10_api(
        daemon: Daemon) -> None:
    port = daemon.proc.http_port
    daemon.ok("Responder.ResetUserBudget", {"CstmId": "vdf", "Subject": "rif"})
    expected: list[tuple[str, Any, Callable[[], bool]]] = [
        (URLS[1], 100, lambda: daemon.balances()["*default"] == 100),
        (URLS[2], 0, lambda: daemon.balances()["free_sms"] == 0),
        # seconds debited count as placed-call seconds, as a call's debit does
        (URLS[3], 200, lambda: (daemon.balances()["free_0257"], daemon.counters()["VOLUME_600"])
         == (Decimal(200 * SECOND), Decimal(100 * SECOND))),
        (URLS[4], 100, lambda: daemon.balances()["free_0257"] == 200 * SECOND),
        (URLS[5], 0, lambda: daemon.counters()["VOLUME_600"] == 200 * SECOND),
        (URLS[6], 0, lambda: daemon.counters()["VOLUME_600"] == 0),
        (URLS[7], 0, lambda: (daemon.balances()["*default"], daemon.counters()["RECEIVED_CALLS"])
         == (Decimal(101), Decimal(0))),
        (URLS[8], 0, lambda: daemon.balances() == {"*default": 200, "free_sms": 100,
                                                   "free_0257": 300 * SECOND}),
    ]
    for url, result, effect in expected:
        assert fetch(url, port) == (200, result), url
        assert effect(), (url, daemon.account())


@needs_action_side
def test_old_and_v0_10_calls_see_one_account(daemon: Daemon) -> None:
    daemon.ok("Responder.ResetUserBudget", {"CstmId": "vdf", "Subject": "rif"})
    left = daemon.ok("Responder.DebitBalance", {"CstmId": "vdf", "Subject": "rif",
                                                "DestinationPrefix": "0256", "Amount": 12})
    daemon.ok("APIerSv1.DebitBalance", {"Tenant": "vdf", "Account": "rif",
                                        "BalanceType": "*monetary", "Value": 8,
                                        "Balance": {"ID": "*default"}})
    assert left == 188
    assert daemon.ok("ApierV1.GetBalance", {"Tenant": "vdf", "Account": "rif",
                                            "BalanceId": "MONETARY"}) == 180
    assert daemon.balances()["*default"] == 180


def test_the_endpoints_are_off_by_default(tmp_path: Path) -> None:
    proc = CallmeterProcess(tmp_path, {"general": {"log_level": "INFO"}}).start()
    try:
        assert http_get(f"{proc.base_url}/getcost?cstmid=vdf&subj=rif&dest=0257")[0] == 404
        assert http_get(f"{proc.base_url}/healthz")[0] == 200
    finally:
        proc.stop()
