"""Action triggers and unit counters: when they fire, and what firing does (SPEC.md D.5)."""

from __future__ import annotations

import json
from datetime import UTC
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from rating.calldesc import CallDescriptor
from rating.engine import Engine
from rating.errors import MandatoryIEMissing, NotFound
from rating.spans import Increment, MonetaryInfo
from rating.store import Store
from rating.timeutil import SECOND, to_ns

from .conftest import FakeClock
from .support import make_engine

PLAN = {  # 0.01 per second, 1 s increments, no connect fee
    "Destinations.csv": "DST_1002,1002",
    "Rates.csv": "RT_1CNT,0,0.01,1s,1s,0s",
    "DestinationRates.csv": "DR_1002,DST_1002,RT_1CNT,*up,4,0,",
    "RatingPlans.csv": "RP_1,DR_1002,*any,10",
    "RatingProfiles.csv": "cgrates.org,call,*any,2014-01-14T00:00:00Z,RP_1,",
}
HOOK = "http://127.0.0.1:9/low-balance"
M = "*monetary"


@pytest.fixture
def engine(any_store: Store, clock: FakeClock, tmp_path: Path) -> Engine:
    eng = make_engine(any_store, clock)
    folder = tmp_path / "tp"
    folder.mkdir()
    for name, row in PLAN.items():
        (folder / name).write_text("# header\n" + row + "\n")
    assert eng.load_folder(str(folder)).ok
    eng.set_actions("WARN", [{"Identifier": "*http_post_async", "ExtraParameters": HOOK,
                              "Weight": Decimal(10)},
                             {"Identifier": "*log", "Weight": Decimal(5)}])
    eng.balance_action("*topup", "cgrates.org", "1001", M, Decimal(1), {"ID": "main"})
    return eng


def trigger(engine: Engine, unique: str, threshold: str, **fields: Any) -> None:
    at = {"ThresholdType": "*min_balance", "ThresholdValue": Decimal(threshold),
          "BalanceType": M, "BalanceID": "main", "ActionsID": "WARN", **fields}
    engine.set_account_action_triggers("cgrates.org", "1001", "G", unique, at)


class Call:
    """A live call debited every `interval` seconds, as the FreeSWITCH agent does."""

    def __init__(self, engine: Engine, clock: FakeClock, interval: int = 10) -> None:
        self.engine, self.clock, self.interval = engine, clock, interval
        self.start = to_ns(clock())
        self.loop = 0

    def debit(self, method: str = "max_debit") -> None:
        begin = self.start + self.loop * self.interval * SECOND
        cd = CallDescriptor(Tenant="cgrates.org", Category="call", Subject="1001",
                            Account="1001", Destination="1002", TimeStart=begin,
                            TimeEnd=begin + self.interval * SECOND, tz=UTC,
                            LoopIndex=self.loop,
                            DurationIndex=(self.loop + 1) * self.interval * SECOND)
        getattr(self.engine, method)(cd, debit_id=f"call1-{self.loop}")
        self.loop += 1
        self.clock.advance(seconds=self.interval)


def posts(store: Store) -> list[dict[str, Any]]:
    """The bodies of the queued low-balance posts (the account as it was when fired)."""
    jobs = store.outbox_claim("test", 100, 60_000, 4 * 10**12)
    return [json.loads(j["job"]["body"]) for j in jobs if j["job"]["url"] == HOOK]


def main_value(body: dict[str, Any]) -> Decimal:
    (b,) = [b for b in body["BalanceMap"][M] if b["ID"] == "main"]
    return Decimal(str(b["Value"]))


def test_low_balance_warning_fires_once_at_the_crossing_increment(
        engine: Engine, clock: FakeClock, any_store: Store) -> None:
    trigger(engine, "low", "0.455")
    call = Call(engine, clock)
    for _ in range(8):
        call.debit()
    (body,) = posts(any_store)
    assert main_value(body) == Decimal("0.45")  # fired mid-debit, at increment 55
    acc = engine.get_account("cgrates.org", "1001")
    assert acc.BalanceMap[M][0].Value == Decimal("0.2")
    assert acc.ActionTriggers and acc.ActionTriggers[0].Executed


def test_recurrent_trigger_fires_again_only_after_min_sleep(
        engine: Engine, clock: FakeClock, any_store: Store) -> None:
    trigger(engine, "low", "0.8", Recurrent=True, MinSleep="30s")
    call = Call(engine, clock)
    for _ in range(8):  # one debit of 10 increments every 10 s, from t=0 to t=70 s
        call.debit()
    # crossed at the last increment of the t=10 s debit; then the first increment once
    # 30 s have passed: at t=40 s and t=70 s
    assert [main_value(b) for b in posts(any_store)] == [
        Decimal("0.8"), Decimal("0.59"), Decimal("0.29")]


def test_recurrent_trigger_without_min_sleep_fires_at_every_increment_below(
        engine: Engine, clock: FakeClock, any_store: Store) -> None:
    trigger(engine, "low", "0.95", Recurrent=True)
    Call(engine, clock).debit()
    assert [main_value(b) for b in posts(any_store)] == [
        Decimal("0.95"), Decimal("0.94"), Decimal("0.93"), Decimal("0.92"), Decimal("0.91"),
        Decimal("0.9")]


def test_counter_trigger_tops_up_in_the_middle_of_a_debit(engine: Engine,
                                                          clock: FakeClock) -> None:
    engine.set_actions("REFILL", [{"Identifier": "*topup", "BalanceId": "main",
                                   "BalanceType": M, "Units": Decimal(1),
                                   "Weight": Decimal(1)}])
    engine.set_account_action_triggers("cgrates.org", "1001", "C", "spent", {
        "ThresholdType": "*max_event_counter", "ThresholdValue": Decimal("0.3"),
        "BalanceType": M, "ActionsID": "REFILL"})
    Call(engine, clock, interval=120).debit(method="debit")  # 1.20 on a 1.00 balance
    acc = engine.get_account("cgrates.org", "1001")
    assert [(b.ID, b.Value) for b in acc.BalanceMap[M]] == [("main", Decimal("0.8"))]
    assert acc.UnitCounters and acc.UnitCounters[M][0].Counters[0].Value == Decimal("1.2")


def test_refunds_count_back(engine: Engine, clock: FakeClock) -> None:
    engine.set_account_action_triggers("cgrates.org", "1001", "C", "spent", {
        "ThresholdType": "*max_event_counter", "ThresholdValue": Decimal(100),
        "BalanceType": M, "ActionsID": "WARN"})
    call = Call(engine, clock)
    call.debit()
    acc = engine.get_account("cgrates.org", "1001")
    assert acc.UnitCounters and acc.UnitCounters[M][0].Counters[0].Value == Decimal("0.1")
    main = engine.get_account("cgrates.org", "1001").BalanceMap[M][0]
    last_four = Increment(SECOND, Decimal("0.01"), 4, None,
                          MonetaryInfo(main.Uuid, "main", main.Value), "cgrates.org:1001")
    engine.refund_increments(CallDescriptor(Tenant="cgrates.org", Account="1001",
                                            Category="call", Destination="1002",
                                            Increments=[last_four]), refund_id="r1")
    acc = engine.get_account("cgrates.org", "1001")
    assert acc.UnitCounters and acc.UnitCounters[M][0].Counters[0].Value == Decimal("0.06")


def test_topup_over_a_max_balance_threshold_fires_in_the_same_transaction(
        engine: Engine) -> None:
    engine.set_actions("OFF", [{"Identifier": "*disable_account", "Weight": Decimal(1)}])
    engine.set_account_action_triggers("cgrates.org", "1001", "MAX", "ceiling", {
        "ThresholdType": "*max_balance", "ThresholdValue": Decimal(100), "BalanceType": M,
        "BalanceID": "main", "ActionsID": "OFF"})
    engine.balance_action("*topup", "cgrates.org", "1001", M, Decimal(50), {"ID": "main"})
    assert not engine.get_account("cgrates.org", "1001").Disabled
    engine.balance_action("*topup", "cgrates.org", "1001", M, Decimal(60), {"ID": "main"})
    assert engine.get_account("cgrates.org", "1001").Disabled


def test_balance_expired_trigger_fires_on_evaluation(engine: Engine, clock: FakeClock,
                                                     any_store: Store) -> None:
    engine.balance_action("*topup", "cgrates.org", "1001", M, Decimal(5),
                          {"ID": "promo", "ExpiryTime": "+1h"})
    engine.set_account_action_triggers("cgrates.org", "1001", "EXP", "gone", {
        "ThresholdType": "*balance_expired", "ThresholdValue": Decimal(0), "BalanceType": M,
        "BalanceID": "promo", "ActionsID": "WARN"})
    assert posts(any_store) == []
    clock.advance(hours=2)
    engine.reset_account_action_triggers("cgrates.org", "1001", "EXP", "", False)
    (body,) = posts(any_store)
    assert [b["ID"] for b in body["BalanceMap"][M]] == ["main", "promo"]
    # the expired balance is cleaned up after the evaluation
    assert [b.ID for b in engine.get_account("cgrates.org", "1001").BalanceMap[M]] == ["main"]


def test_triggers_outside_their_activation_window_do_not_fire(engine: Engine,
                                                              any_store: Store) -> None:
    trigger(engine, "later", "5", ActivationDate="+1h")
    trigger(engine, "past", "5", ExpirationDate="2020-01-01T00:00:00Z")
    engine.balance_action("*debit", "cgrates.org", "1001", M, Decimal("0.5"), {"ID": "main"})
    assert posts(any_store) == []
    uniques = [t["UniqueID"] for t in engine.get_account_action_triggers("cgrates.org", "1001")]
    assert uniques == ["later"]  # expired triggers are removed from the account


def test_set_account_action_triggers_updates_or_creates_and_evaluates(
        engine: Engine, any_store: Store) -> None:
    with pytest.raises(MandatoryIEMissing):
        engine.set_account_action_triggers("cgrates.org", "1001", "G", "x", {"Weight": 1})
    trigger(engine, "low", "0.5")
    trigger(engine, "low", "2")  # update: the balance (1.00) is already below: but clean
    (at,) = engine.get_account_action_triggers("cgrates.org", "1001")
    assert (at["ID"], at["UniqueID"], at["ThresholdValue"]) == ("G", "low", Decimal(2))
    engine.balance_action("*debit", "cgrates.org", "1001", M, Decimal("0.1"), {"ID": "main"})
    assert len(posts(any_store)) == 1


def test_reset_and_remove_account_action_triggers(engine: Engine, any_store: Store) -> None:
    trigger(engine, "low", "2")
    engine.balance_action("*debit", "cgrates.org", "1001", M, Decimal("0.1"), {"ID": "main"})
    engine.balance_action("*debit", "cgrates.org", "1001", M, Decimal("0.1"), {"ID": "main"})
    assert len(posts(any_store)) == 1  # Executed blocks the second
    engine.reset_account_action_triggers("cgrates.org", "1001", "G", "", False)
    engine.balance_action("*debit", "cgrates.org", "1001", M, Decimal("0.1"), {"ID": "main"})
    assert len(posts(any_store)) == 1  # one more, after the reset
    engine.remove_account_action_triggers("cgrates.org", "1001", "", "low")
    assert engine.get_account_action_triggers("cgrates.org", "1001") == []
    with pytest.raises(NotFound):
        engine.get_account_action_triggers("cgrates.org", "ghost")


def test_stored_trigger_groups(engine: Engine) -> None:
    engine.set_action_trigger("STD", "a", {"ThresholdType": "*min_balance",
                                           "ThresholdValue": Decimal(1), "ActionsID": "WARN"})
    engine.set_action_trigger("STD", "b", {"ThresholdType": "*max_balance",
                                           "ThresholdValue": Decimal(9), "ActionsID": "WARN"})
    engine.set_action_trigger("STD", "a", {"Weight": Decimal(20)})
    rows = engine.get_action_triggers(["STD"])
    assert [(r["UniqueID"], r["Weight"]) for r in rows] == [("a", Decimal(20)), ("b", 0)]
    engine.add_account_action_triggers("cgrates.org", "1001", ["STD"], executed=True)
    engine.add_account_action_triggers("cgrates.org", "1001", ["STD"])
    assert len(engine.get_account_action_triggers("cgrates.org", "1001")) == 2
    engine.remove_action_trigger("STD", "a")
    assert [r["UniqueID"] for r in engine.get_action_triggers(None)] == ["b"]
    engine.remove_action_trigger("STD", "")
    with pytest.raises(NotFound):
        engine.get_action_triggers(["STD"])


def test_add_triggered_action_adds_one_trigger(engine: Engine) -> None:
    engine.add_triggered_action({"Tenant": "cgrates.org", "Account": "1001",
                                 "ActionTriggersId": "OLD", "ThresholdType": "*min_balance",
                                 "ThresholdValue": Decimal(1), "BalanceType": M,
                                 "ActionsId": "WARN"})
    (at,) = engine.get_account_action_triggers("cgrates.org", "1001")
    assert (at["ID"], at["ActionsID"], at["UniqueID"] != "") == ("OLD", "WARN", True)


def test_disabled_account_triggers_do_not_run(engine: Engine, any_store: Store) -> None:
    trigger(engine, "low", "2")
    engine.set_account("cgrates.org", "1001", disabled=True)
    engine.balance_action("*debit", "cgrates.org", "1001", M, Decimal("0.1"), {"ID": "main"})
    assert posts(any_store) == []

