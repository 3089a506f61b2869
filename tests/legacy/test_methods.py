"""Every old method through the real method table, dispatcher, EngineAdapter and Engine,
each effect checked through the v0.10 API on the same account."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from agent.rpc.methods import build_table
from rating.store.memory import MemoryStore

from .support import DOC_CD, SUBJECT, TENANT, Rpc, make_engine

ACCOUNT = {"Tenant": TENANT, "Account": SUBJECT}
TO_0257 = {**DOC_CD, "DestinationPrefix": "0257"}
SECOND = 10**9


@pytest.fixture
def rpc() -> Iterator[Rpc]:
    client = Rpc(make_engine(MemoryStore()))
    client.load_plan()
    yield client


def balance(rpc: Rpc, balance_id: str, account: str = SUBJECT) -> Any:
    return rpc.ok("ApierV1.GetBalance", {"Tenant": TENANT, "Account": account,
                                         "BalanceId": balance_id})


# -- the call API ----------------------------------------------------------------------------

def test_responder_get_answers_the_old_call_cost_of_the_documented_call(rpc: Rpc) -> None:
    cost = rpc.ok("Responder.Get", DOC_CD)
    assert {k: cost[k] for k in ("TOR", "CstmId", "Subject", "DestinationPrefix", "Cost",
                                 "ConnectFee")} == {
        "TOR": 0, "CstmId": "vdf", "Subject": "rif", "DestinationPrefix": "0256",
        "Cost": 36, "ConnectFee": Decimal("0.1")}
    assert [(ts["TimeStart"], ts["TimeEnd"]) for ts in cost["Timespans"]] == [
        ("2012-02-02T17:30:00Z", "2012-02-02T18:30:00Z")]


def test_get_cost_answers_in_the_dialect_it_was_asked_in(rpc: Rpc) -> None:
    old = rpc.ok("Responder.GetCost", DOC_CD)
    new = rpc.ok("Responder.GetCost", {"Tenant": "vdf", "Category": "call", "Subject": "rif",
                                       "Destination": "0256", "TimeStart": DOC_CD["TimeStart"],
                                       "TimeEnd": DOC_CD["TimeEnd"]})
    assert old == rpc.ok("Responder.Get", DOC_CD)
    assert new["Cost"] == old["Cost"] + old["ConnectFee"] == Decimal("36.1")
    assert "Timespans" in new and new["Timespans"][0]["Increments"]


def test_max_session_time_is_exact_seconds_and_never_more_than_the_account_pays(
        rpc: Rpc) -> None:
    asked = {**DOC_CD, "Amount": 100}
    assert rpc.ok("Responder.GetMaxSessionTime", asked) == 100
    # 200 of money at 0.01/s after a 0.1 connect fee: 19990 s, fewer than the 72 h asked
    assert rpc.ok("Responder.GetMaxSessionTime", {**DOC_CD, "Amount": 72 * 3600}) == 19990
    v010 = rpc.ok("Responder.GetMaxSessionTime", {
        "Tenant": "vdf", "Subject": "rif", "Destination": "0256",
        "TimeStart": "2012-02-02T17:30:00Z", "TimeEnd": "2012-02-03T17:30:00Z"})
    assert v010 == 19990 * SECOND


def test_max_session_time_of_a_postpaid_account_is_minus_one_unlimited(rpc: Rpc) -> None:
    rpc.ok("ApierV1.SetAccount", {**ACCOUNT, "Type": "*postpaid"})
    assert rpc.ok("Responder.GetMaxSessionTime", {**DOC_CD, "Amount": 100}) == -1


def test_max_session_time_without_amount_asks_for_time_end_minus_time_start(rpc: Rpc) -> None:
    assert rpc.ok("Responder.GetMaxSessionTime", DOC_CD) == 3600


def test_debit_charges_the_call_and_the_v0_10_account_shows_it(rpc: Rpc) -> None:
    cost = rpc.ok("Responder.Debit", DOC_CD)
    assert cost["Cost"] + cost["ConnectFee"] == Decimal("36.1")
    assert rpc.balances()["*default"] == Decimal("163.9")
    assert balance(rpc, "MONETARY") == Decimal("163.9")


def test_max_debit_debits_amount_seconds_of_the_call(rpc: Rpc) -> None:
    cost = rpc.ok("Responder.MaxDebit", {**TO_0257, "Amount": 90})
    minutes = [ts["MinuteInfo"]["Quantity"] for ts in cost["Timespans"]]
    assert (cost["Cost"], minutes) == (0, [90])  # from the free 300 s, by the second
    assert rpc.balances()["free_0257"] == 210 * SECOND


# -- budgets -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("method", "amount", "balance_id", "left", "shown"), [
    ("Responder.DebitBalance", 100, "*default", 100, Decimal(100)),
    ("Responder.DebitBalance", Decimal("0.25"), "*default", Decimal("199.75"),
     Decimal("199.75")),
    ("Responder.DebitSMS", 3, "free_sms", 97, Decimal(97)),
    ("Responder.DebitSeconds", 100, "free_0257", 200, Decimal(200 * SECOND)),
])
def test_budget_debits_answer_what_is_left_and_v0_10_shows_the_same(
        rpc: Rpc, method: str, amount: Any, balance_id: str, left: Any, shown: Decimal) -> None:
    assert rpc.ok(method, {**TO_0257, "Amount": amount}) == left
    assert rpc.balances()[balance_id] == shown


def test_a_negative_debit_balance_gives_money_back(rpc: Rpc) -> None:
    assert rpc.ok("Responder.DebitBalance", {**TO_0257, "Amount": -5}) == 205


@pytest.mark.parametrize(("method", "amount"), [
    ("Responder.DebitBalance", 1000), ("Responder.DebitSMS", 101),
    ("Responder.DebitSeconds", 301)])
def test_a_prepaid_budget_is_never_overdrawn_and_nothing_changes(rpc: Rpc, method: str,
                                                                 amount: int) -> None:
    before = rpc.balances()
    assert rpc.error(method, {**TO_0257, "Amount": amount}) == "INSUFFICIENT_CREDIT"
    assert rpc.balances() == before


def test_received_call_seconds_pay_the_bonus_at_the_threshold(rpc: Rpc) -> None:
    for _ in range(2):
        assert rpc.ok("Responder.AddRecievedCallSeconds", {**TO_0257, "Amount": 60}) == 0
    assert balance(rpc, "MONETARY") == 201
    counters = rpc.ok("APIerSv2.GetAccount", ACCOUNT)["UnitCounters"]["*voice"]
    values = {c["Filter"]["ID"]: c["Value"] for uc in counters for c in uc["Counters"]}
    assert values == {"RECEIVED_CALLS": 0, "VOLUME_600": 0}


def test_the_correct_spelling_is_an_alias_of_the_documented_one(rpc: Rpc) -> None:
    rpc.ok("Responder.AddReceivedCallSeconds", {**TO_0257, "Amount": 100})
    assert balance(rpc, "MONETARY") == 201


def test_volume_seconds_reach_the_discount_and_reset_to_zero(rpc: Rpc) -> None:
    rpc.ok("Responder.AddVolumeDiscountSeconds", {**DOC_CD, "Amount": 600})
    assert balance(rpc, "MINUTES") == 360  # 300 s to 0257 + the 60 s volume bonus
    rpc.ok("Responder.ResetVolumeDiscountSeconds", DOC_CD)
    counters = rpc.ok("APIerSv2.GetAccount", ACCOUNT)["UnitCounters"]["*voice"]
    assert all(c["Value"] == 0 for uc in counters for c in uc["Counters"])


def test_reset_user_budget_restores_the_plans_topup_reset_amounts(rpc: Rpc) -> None:
    rpc.ok("Responder.DebitBalance", {**TO_0257, "Amount": 50})
    rpc.ok("Responder.DebitSMS", {**TO_0257, "Amount": 10})
    rpc.ok("Responder.DebitSeconds", {**TO_0257, "Amount": 60})
    assert rpc.ok("Responder.ResetUserBudget", TO_0257) == 0
    assert rpc.balances() == {"*default": 200, "free_sms": 100, "free_0257": 300 * SECOND}


def test_reset_user_budget_of_an_account_without_a_plan_is_not_found(rpc: Rpc) -> None:
    rpc.ok("ApierV1.AddAccount", {"Tenant": "vdf", "Account": "bare", "Type": "*prepaid"})
    assert rpc.error("Responder.ResetUserBudget", {**DOC_CD, "Subject": "bare"}) == "NOT_FOUND"


@pytest.mark.parametrize("method", ["Responder.DebitBalance", "Responder.ResetUserBudget",
                                    "Responder.AddRecievedCallSeconds"])
def test_budget_calls_on_an_unknown_account_are_refused(rpc: Rpc, method: str) -> None:
    assert rpc.error(method, {**DOC_CD, "Subject": "nobody", "Amount": 1}) == "ACCOUNT_NOT_FOUND"


@pytest.mark.parametrize("method", ["Responder.DebitSMS", "Responder.AddVolumeDiscountSeconds",
                                    "Responder.ResetUserBudget"])
def test_budget_calls_on_a_disabled_account_are_refused(rpc: Rpc, method: str) -> None:
    rpc.ok("APIerSv1.SetAccount", {**ACCOUNT, "ExtraOptions": {"Disabled": True}})
    before = rpc.balances()
    assert rpc.error(method, {**DOC_CD, "Amount": 1}) == "ACCOUNT_DISABLED"
    assert rpc.balances() == before


@pytest.mark.parametrize(("method", "params", "error"), [
    ("Responder.DebitSMS", DOC_CD, "MANDATORY_IE_MISSING: [Amount]"),
    ("Responder.DebitSMS", {"CstmId": "vdf", "Amount": 1}, "MANDATORY_IE_MISSING: [Subject]"),
    ("Responder.DebitSMS", {**DOC_CD, "Amount": 0},
     "SERVER_ERROR: field Amount: 0 must be positive"),
    ("Responder.DebitSeconds", {**DOC_CD, "Amount": "ten"},
     "SERVER_ERROR: field Amount: expected a number, got string"),
    ("Responder.Get", {**DOC_CD, "Direction": "UP"},
     "SERVER_ERROR: Direction 'UP': use OUT or IN"),
    ("Responder.Get", {**DOC_CD, "TimeEnd": "2012-02-02T17:00:00Z"},
     "SERVER_ERROR: TimeEnd is before TimeStart"),
])
def test_bad_old_calls_get_clear_errors(rpc: Rpc, method: str, params: Any, error: str) -> None:
    before = rpc.balances()
    assert rpc.error(method, params) == error
    assert rpc.balances() == before


def test_flush_cache_recompiles_the_tariffs(rpc: Rpc) -> None:
    compiled = rpc.engine.tariffs()
    assert rpc.ok("Responder.FlushCache", {}) == 0
    assert rpc.engine.tariffs() is not compiled


# -- management ------------------------------------------------------------------------------

@pytest.mark.parametrize(("balance_id", "value"), [
    ("MONETARY", 200), ("SMS", 100), ("MINUTES", 300), ("INTERNET", 0), ("INTERNET_TIME", 0)])
def test_get_balance_totals_each_2013_balance_type(rpc: Rpc, balance_id: str,
                                                   value: int) -> None:
    assert balance(rpc, balance_id) == value


def test_get_balance_in_direction_in_sees_only_balances_marked_inbound(rpc: Rpc) -> None:
    assert rpc.ok("ApierV1.GetBalance", {**ACCOUNT, "BalanceId": "MONETARY",
                                         "Direction": "IN"}) == 0


def test_add_balance_2013_tops_up_the_default_balance_of_the_type(rpc: Rpc) -> None:
    assert rpc.ok("ApierV1.AddBalance", {**ACCOUNT, "BalanceId": "MINUTES", "Direction": "OUT",
                                         "Value": 60}) == 360
    assert rpc.balances(btype="*voice")["*default"] == 60 * SECOND
    assert rpc.balances(btype="*monetary")["*default"] == 200
    assert rpc.ok("ApierV1.AddBalance", {**ACCOUNT, "BalanceId": "SMS", "Value": -10}) == 90


def test_add_balance_v0_10_is_unchanged(rpc: Rpc) -> None:
    assert rpc.ok("APIerSv1.AddBalance", {**ACCOUNT, "BalanceType": "*sms", "Value": 5,
                                          "Balance": {"ID": "free_sms"}}) == "OK"
    assert rpc.balances()["free_sms"] == 105


@pytest.mark.parametrize(("params", "error"), [
    ({**ACCOUNT, "BalanceId": "SMS", "Direction": "IN", "Value": 1},
     "SERVER_ERROR: Direction IN: v0.10 balances have no direction, use OUT"),
    ({**ACCOUNT, "BalanceId": "SMS", "Value": 0}, "SERVER_ERROR: field Value: must not be 0"),
    ({"Tenant": "vdf", "BalanceId": "SMS", "Value": 1}, "MANDATORY_IE_MISSING: [Account]"),
])
def test_bad_2013_add_balances_change_nothing(rpc: Rpc, params: Any, error: str) -> None:
    before = rpc.balances()
    assert rpc.error("ApierV1.AddBalance", params) == error
    assert rpc.balances() == before


def test_add_account_with_a_plan_runs_its_topups_and_attaches_the_account(rpc: Rpc) -> None:
    assert rpc.ok("ApierV1.AddAccount", {"Tenant": "vdf", "Direction": "OUT", "Account": "new",
                                         "Type": "*postpaid",
                                         "ActionTimingsId": "PLAN_RIF"}) == "OK"
    account = rpc.ok("APIerSv2.GetAccount", {"Tenant": "vdf", "Account": "new"})
    assert account["AllowNegative"] is True
    assert rpc.balances("new") == {"*default": 200, "free_sms": 100, "free_0257": 300 * SECOND}
    plans = rpc.ok("APIerSv1.GetAccountActionPlan", {"Tenant": "vdf", "Account": "new"})
    assert [p["ActionPlanId"] for p in plans] == ["PLAN_RIF"]
    rpc.ok("Responder.DebitSMS", {**DOC_CD, "Subject": "new", "Amount": 1})
    rpc.ok("Responder.ResetUserBudget", {**DOC_CD, "Subject": "new"})
    assert balance(rpc, "SMS", "new") == 100


def test_set_account_2013_type_prepaid_clears_allow_negative(rpc: Rpc) -> None:
    rpc.ok("APIerSv1.SetAccount", {**ACCOUNT, "Type": "*postpaid"})
    assert rpc.ok("APIerSv2.GetAccount", ACCOUNT)["AllowNegative"] is True
    rpc.ok("APIerSv1.SetAccount", {**ACCOUNT, "Type": "*prepaid"})
    assert rpc.ok("APIerSv2.GetAccount", ACCOUNT)["AllowNegative"] is False
    assert rpc.error("APIerSv1.SetAccount", {**ACCOUNT, "Type": "*rated"}) == (
        "SERVER_ERROR: Type '*rated': use *prepaid or *postpaid")


def test_add_triggered_action_2013_makes_a_received_calls_counter_trigger(rpc: Rpc) -> None:
    rpc.ok("ApierV1.AddTriggeredAction", {**ACCOUNT, "Direction": "IN", "BalanceId": "MINUTES",
                                          "ThresholdValue": 10, "DestinationId": "DST_0257",
                                          "Weight": 5, "ActionsId": "RECEIVED_BONUS"})
    triggers = rpc.ok("APIerSv1.GetAccountActionTriggers", ACCOUNT)
    added = next(t for t in triggers if t["UniqueID"] not in ("RECEIVED_CALLS", "VOLUME_600"))
    assert (added["ThresholdType"], added["ThresholdValue"], added["ActionsID"]) == (
        "*max_event_counter", 10 * SECOND, "RECEIVED_BONUS")
    assert (added["Balance"]["Type"], added["Balance"]["Categories"],
            added["Balance"]["DestinationIDs"]) == ("*voice", {"*in": True}, {"DST_0257": True})
    rpc.ok("Responder.AddRecievedCallSeconds", {**TO_0257, "Amount": 10})
    assert balance(rpc, "MONETARY") == 201


def test_get_destination_takes_the_2013_object_or_the_v0_10_id(rpc: Rpc) -> None:
    expected = {"Id": "DST_0256", "Prefixes": ["0256"]}
    assert rpc.ok("ApierV1.GetDestination", {"Id": "DST_0256"}) == expected
    assert rpc.ok("APIerSv1.GetDestination", "DST_0256") == expected
    assert rpc.error("ApierV1.GetDestination", {"Id": "NOPE"}) == "NOT_FOUND"


def test_the_old_methods_are_reachable_under_the_documented_services() -> None:
    names = set(build_table().names())
    responder = {"Get", "GetCost", "Debit", "MaxDebit", "DebitBalance", "DebitSMS",
                 "DebitSeconds", "GetMaxSessionTime", "AddVolumeDiscountSeconds",
                 "ResetVolumeDiscountSeconds", "AddRecievedCallSeconds", "ResetUserBudget",
                 "FlushCache"}
    management = {"GetDestination", "GetBalance", "AddBalance", "ExecuteAction",
                  "AddTriggeredAction", "AddAccount", "SetAccount"}
    assert {f"Responder.{m}" for m in responder} <= names
    assert {f"ApierV1.{m}" for m in management} <= names
    assert {f"APIerSv2.{m}" for m in management} <= names
