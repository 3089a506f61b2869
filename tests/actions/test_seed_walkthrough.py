"""Seed 000 (CGRateS actions walk-through) end to end over JSON-RPC.

The same exchanges run twice: in-process, through the API dispatcher on a real Engine, a
SQLite file, an outbox worker and a local HTTP server; and against a real `callmeter run`
subprocess over TCP once the daemon wires the engine, the outbox worker and the scheduler
(until then that variant is skipped, saying why).
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from agent.config import Config, Duration, OutboxConfig, SmtpConfig
from agent.outbox import OutboxWorker
from agent.rpc import jsonvalue
from agent.rpc.engine_adapter import EngineAdapter
from agent.rpc.wiring import make_dispatcher
from rating.engine import Engine
from rating.plan_scheduler import PlanScheduler
from rating.store.sqlite import SqliteStore
from rating.timeutil import add_date, format_time, to_ns
from tests.support.daemon import CallmeterProcess
from tests.support.net import wait_for

from .servers import Hook, http_hook
from .support import ids

ACCOUNT = "Nick_Test_123"
NOW = datetime(2023, 10, 15, 10, 27, 52, tzinfo=UTC)
Rpc = Callable[[str, dict[str, Any]], dict[str, Any]]


def signup_actions(hook_url: str) -> dict[str, Any]:
    """The seed's final SetActions request (its hook address replaced by ours)."""
    common = {"BalanceUuid": "", "BalanceType": "*monetary", "Directions": "*out",
              "Filter": "", "TimingTags": "", "DestinationIds": "", "RatingSubject": "",
              "Categories": "", "SharedGroups": "", "BalanceBlocker": "false",
              "BalanceDisabled": "false"}
    return {"ActionsId": "Action_Add_Signup_Bonus", "Overwrite": True, "Actions": [
        {**common, "Identifier": "*topup", "BalanceId": "Balance_Signup_Bonus", "Units": 99,
         "ExpiryTime": "*month", "BalanceWeight": 1200, "ExtraParameters": "", "Weight": 90},
        {**common, "Identifier": "*cdrlog", "BalanceId": "", "Units": 0, "ExpiryTime": "",
         "BalanceWeight": 0, "Weight": 80,
         "ExtraParameters": "{\"Category\":\"^activation\",\"Destination\":\"Your sign up Bonus\"}"},
        {"Identifier": "*http_post_async", "ExtraParameters": hook_url,
         "ExpiryTime": "*unlimited", "Weight": 70},
        {"Identifier": "*log", "Weight": 60}]}


SIGNUP_PLAN = {"Id": "ActionPlan_Signup_Bonus", "ActionPlan": [{
    "ActionsId": "Action_Add_Signup_Bonus", "Years": "*any", "Months": "*any",
    "MonthDays": "*any", "WeekDays": "*any", "Time": "*asap", "Weight": 10}],
    "Overwrite": True, "ReloadScheduler": True}


def ok(reply: dict[str, Any]) -> Any:
    assert reply["error"] is None, reply
    return reply["result"]


def walk(rpc: Rpc, hook: Hook, deliver: Callable[[], None], month_later: str | None) -> None:
    """The seed's exchanges, checking what the document shows after each."""
    assert ok(rpc("ApierV2.SetAccount", {"Tenant": "cgrates.org", "Account": ACCOUNT})) == "OK"
    assert ok(rpc("ApierV1.SetActions", signup_actions(hook.url))) == "OK"
    assert ok(rpc("APIerSv1.ExecuteAction", {"Tenant": "cgrates.org", "Account": ACCOUNT,
                                             "ActionsId": "Action_Add_Signup_Bonus"})) == "OK"
    account = ok(rpc("ApierV2.GetAccount", {"Tenant": "cgrates.org", "Account": ACCOUNT}))
    (bonus,) = account["BalanceMap"]["*monetary"]
    assert (bonus["ID"], bonus["Value"], bonus["Weight"]) == ("Balance_Signup_Bonus", 99, 1200)
    assert {k: bonus[k] for k in ("Categories", "DestinationIDs", "SharedGroups", "TimingIDs",
                                  "Factor", "Timings")} == {
        "Categories": {}, "DestinationIDs": {}, "SharedGroups": {}, "TimingIDs": {},
        "Factor": None, "Timings": None}
    if month_later is not None:
        assert bonus["ExpirationDate"] == month_later
    (cdr,) = ok(rpc("APIerSv2.GetCDRs", {"Accounts": [ACCOUNT]}))
    assert (cdr["RunID"], cdr["Source"], cdr["Category"], cdr["Destination"], cdr["Cost"]) \
        == ("*topup", "*cdrlog", "activation", "Your sign up Bonus", 99)
    deliver()
    wait_for(lambda: len(hook.bodies()) == 1, timeout=10, what="the *http_post_async post")
    assert hook.bodies()[0]["ID"] == f"cgrates.org:{ACCOUNT}"  # type: ignore[index]

    assert ok(rpc("ApierV1.SetActionPlan", SIGNUP_PLAN)) == "OK"
    assert ok(rpc("ApierV2.SetAccount", {
        "Tenant": "cgrates.org", "Account": ACCOUNT, "ActionPlanIds": ["ActionPlan_Signup_Bonus"],
        "ActionPlansOverwrite": True, "ReloadScheduler": True})) == "OK"
    ok(rpc("SchedulerSv1.Reload", {}))  # a later reload must not run it again
    deliver()
    wait_for(lambda: len(hook.bodies()) == 2, timeout=10, what="the plan's post")
    account = ok(rpc("ApierV2.GetAccount", {"Tenant": "cgrates.org", "Account": ACCOUNT}))
    assert account["BalanceMap"]["*monetary"][0]["Value"] == 198  # ran once and only once
    assert len(ok(rpc("APIerSv2.GetCDRs", {"Accounts": [ACCOUNT]}))) == 2
    assert len(hook.bodies()) == 2


# -- in process --------------------------------------------------------------------------------

class Adapter(EngineAdapter):
    """EngineAdapter passing SetAccount/RemoveAccount with plans, triggers and reloads on
    to the Engine (what agent/rpc/engine_adapter.py must do: the Engine implements them)."""

    def set_account(self, tenant: str, account: str, **kwargs: Any) -> Any:
        return self.engine.set_account(tenant, account, **kwargs)

    def remove_account(self, tenant: str, account: str, *,
                       reload_scheduler: bool = False) -> None:
        self.engine.remove_account(tenant, account, reload_scheduler=reload_scheduler)


def test_seed_walkthrough_through_the_api_dispatcher(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "callmeter.db")
    engine = Engine(store, clock=lambda: NOW, new_id=ids("uuid"))
    dispatcher = make_dispatcher(Config(), store, engine=Adapter(engine))
    worker = OutboxWorker(store, OutboxConfig(http_timeout=Duration.parse("2s")), SmtpConfig(),
                          "test")
    counter = iter(range(1, 10_000))

    def rpc(method: str, params: dict[str, Any]) -> dict[str, Any]:
        request = {"method": method, "params": [params], "id": next(counter)}
        reply = dispatcher.handle_bytes(jsonvalue.dumps(request).encode())
        assert reply is not None
        decoded: dict[str, Any] = json.loads(reply)
        return decoded

    try:
        with http_hook() as hook:
            walk(rpc, hook, lambda: worker.deliver_due(),
                 format_time(to_ns(add_date(NOW, 0, 1, 0))))
        # and the plan scheduler has nothing left to run for it
        scheduler = PlanScheduler(engine, "node")
        scheduler.tick()
        assert scheduler.runs == 0
    finally:
        store.close()


# -- against `callmeter run` ------------------------------------------------------------------

class JsonRpcClient:
    """The Go net/rpc JSON codec over one TCP connection."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.reader = self.sock.makefile("rb")
        self.next_id = 0

    def __call__(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self.next_id += 1
        self.sock.sendall(json.dumps({"method": method, "params": [params],
                                      "id": self.next_id}).encode() + b"\n")
        reply: dict[str, Any] = json.loads(self.reader.readline())
        assert reply["id"] == self.next_id
        return reply

    def close(self) -> None:
        self.reader.close()
        self.sock.close()


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[CallmeterProcess]:
    proc = CallmeterProcess(tmp_path, {"scheduler": {"poll_interval": "200ms"}}).start()
    yield proc
    proc.stop()


def test_seed_walkthrough_against_callmeter_run(daemon: CallmeterProcess) -> None:
    components = daemon.health().get("components", {})
    missing = sorted({"outbox", "scheduler"} - set(components))
    if missing:
        pytest.skip(f"callmeter run does not start {', '.join(missing)} yet "
                    "(agent/components.py: OutboxComponent, SchedulerComponent)")
    client = JsonRpcClient(daemon.rpc_port)
    try:
        probe = client("ApierV2.GetAccount", {"Tenant": "cgrates.org", "Account": "x"})
        if "NOT_IMPLEMENTED" in str(probe["error"]) or "can't find" in str(probe["error"]):
            pytest.skip(f"callmeter run does not wire the engine yet: {probe['error']}")
        with http_hook() as hook:
            walk(client, hook, lambda: None, None)
    finally:
        client.close()


