"""Engine action methods on real stores: SetActions, GetActions, ExecuteAction, balance APIs."""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal
from typing import Any

import pytest

from rating.action_context import PartiallyExecuted
from rating.action_model import resolve_expiry
from rating.errors import Exists, MandatoryIEMissing, NotFound, ServerError
from rating.store import Store

from .support import NOW_NS, FullEngine, make_engine

SEED_TOPUP = {"Identifier": "*topup", "BalanceId": "Balance_Signup_Bonus", "BalanceUuid": "",
              "BalanceType": "*monetary", "Directions": "*out", "Units": Decimal(99),
              "ExpiryTime": "*month", "Filter": "", "TimingTags": "", "DestinationIds": "",
              "RatingSubject": "", "Categories": "", "SharedGroups": "",
              "BalanceWeight": Decimal(1200), "ExtraParameters": "", "BalanceBlocker": "false",
              "BalanceDisabled": "false", "Weight": Decimal(90)}
SEED_CDRLOG = {**SEED_TOPUP, "Identifier": "*cdrlog", "BalanceId": "", "Units": Decimal(0),
               "ExpiryTime": "", "BalanceWeight": Decimal(0), "Weight": Decimal(80),
               "ExtraParameters": '{"Category":"^activation","Destination":"Your sign up Bonus"}'}
SEED_POST = {"Identifier": "*http_post_async", "ExtraParameters": "http://127.0.0.1:9/hook",
             "ExpiryTime": "*unlimited", "Weight": Decimal(70)}
SEED_LOG = {"Identifier": "*log", "Weight": Decimal(60)}
ACCOUNT = ("cgrates.org", "Nick_Test_123")
KEY = "cgrates.org:Nick_Test_123"


@pytest.fixture
def engine(any_store: Store) -> FullEngine:
    eng = make_engine(any_store)
    eng.set_account(*ACCOUNT)
    return eng


def jobs(store: Store) -> list[dict[str, Any]]:
    return [j["job"] for j in store.outbox_claim("test", 100, 60_000, NOW_NS // 10**6 + 10**9)]


def test_set_actions_stores_the_set_and_refuses_to_overwrite_by_default(engine: FullEngine) -> None:
    assert engine.set_actions("A", [SEED_TOPUP]) == "OK"
    with pytest.raises(Exists):
        engine.set_actions("A", [SEED_LOG])
    engine.set_actions("A", [SEED_LOG], overwrite=True)
    assert [a["Identifier"] for a in engine.get_tp_actions("A")] == ["*log"]


def test_get_actions_v1_answers_tp_actions_with_string_fields(engine: FullEngine) -> None:
    engine.set_actions("A", [SEED_TOPUP])
    (tp,) = engine.get_tp_actions("A")
    assert (tp["Units"], tp["BalanceWeight"], tp["BalanceBlocker"], tp["ExpiryTime"]) == (
        "99", "1200", "false", "*month")
    assert tp["BalanceId"] == "Balance_Signup_Bonus" and tp["Weight"] == Decimal(90)


def test_get_actions_v2_answers_actions_by_id(engine: FullEngine) -> None:
    engine.set_actions("A", [SEED_TOPUP])
    engine.set_actions("B", [SEED_LOG])
    assert list(engine.get_actions(None)) == ["A", "B"]
    assert list(engine.get_actions(None, 1, 1)) == ["B"]
    (act,) = engine.get_actions(["A"])["A"]
    assert act["ActionType"] == "*topup" and act["Balance"]["Value"]["Static"] == Decimal(99)
    with pytest.raises(ServerError):
        engine.get_actions(["missing"])


@pytest.mark.parametrize("bad", [{"ExpiryTime": "next tuesday"}, {"Units": "ninety"},
                                 {"Filter": "{not json"}, {"Filter": '{"Colour": 1}'},
                                 {"BalanceBlocker": "maybe"}, {"Identifier": ""}])
def test_bad_actions_are_refused_and_nothing_is_stored(engine: FullEngine,
                                                       bad: dict[str, Any]) -> None:
    with pytest.raises((ServerError, MandatoryIEMissing)):
        engine.set_actions("A", [SEED_LOG, {**SEED_TOPUP, **bad}])
    with pytest.raises(NotFound):
        engine.get_tp_actions("A")


def test_v2_units_for_voice_accept_durations(engine: FullEngine) -> None:
    engine.set_actions("V", [{"Identifier": "*topup", "BalanceType": "*voice", "Units": "1m",
                              "BalanceWeight": "10", "Weight": Decimal(1)}])
    engine.execute_action(*ACCOUNT, "V")
    assert engine.get_account(*ACCOUNT).BalanceMap["*voice"][0].Value == Decimal(60 * 10**9)


def test_remove_actions(engine: FullEngine) -> None:
    engine.set_actions("A", [SEED_LOG])
    with pytest.raises(NotFound):
        engine.remove_actions(None)
    engine.remove_actions(["A", "never-there"])
    with pytest.raises(NotFound):
        engine.load_actions("A")


def test_execute_action_runs_the_seed_set_in_one_transaction(engine: FullEngine,
                                                             any_store: Store) -> None:
    engine.set_actions("Action_Add_Signup_Bonus", [SEED_TOPUP, SEED_CDRLOG, SEED_POST, SEED_LOG])
    assert engine.execute_action(*ACCOUNT, "Action_Add_Signup_Bonus") == "OK"
    (bonus,) = engine.get_account(*ACCOUNT).BalanceMap["*monetary"]
    assert (bonus.ID, bonus.Value, bonus.Weight) == ("Balance_Signup_Bonus", 99, 1200)
    assert bonus.ExpirationDate == resolve_expiry("*month", NOW_NS, UTC)
    (cdr,) = engine.get_cdrs({"Accounts": ["Nick_Test_123"]})
    assert (cdr["RunID"], cdr["Cost"], cdr["Category"], cdr["Destination"], cdr["Source"]) == (
        "*topup", Decimal(99), "activation", "Your sign up Bonus", "*cdrlog")
    (job,) = jobs(any_store)
    assert job["url"] == "http://127.0.0.1:9/hook" and '"Value":99' in job["body"]


def test_a_failing_action_keeps_nothing_of_the_set(engine: FullEngine, any_store: Store) -> None:
    engine.set_actions("BAD", [SEED_TOPUP, SEED_CDRLOG, SEED_POST,
                               {"Identifier": "*remove_balance", "BalanceType": "*voice",
                                "Units": Decimal(0), "Weight": Decimal(1)}])
    with pytest.raises(PartiallyExecuted):
        engine.execute_action(*ACCOUNT, "BAD")
    assert engine.get_account(*ACCOUNT).BalanceMap == {}
    assert jobs(any_store) == []
    with pytest.raises(NotFound):
        engine.get_cdrs({})


def test_execute_action_of_unknown_set_is_not_found_and_unknown_account_is_skipped(
        engine: FullEngine) -> None:
    with pytest.raises(NotFound):
        engine.execute_action(*ACCOUNT, "nope")
    engine.set_actions("A", [SEED_TOPUP])
    assert engine.execute_action("cgrates.org", "ghost", "A") == "OK"
    with pytest.raises(NotFound):
        engine.get_account("cgrates.org", "ghost")


def test_remove_account_action_deletes_the_account(engine: FullEngine) -> None:
    engine.set_actions("RM", [{"Identifier": "*remove_account", "Weight": Decimal(1)}])
    engine.execute_action(*ACCOUNT, "RM")
    with pytest.raises(NotFound):
        engine.get_account(*ACCOUNT)


# -- balance APIs ----------------------------------------------------------------------------

def test_add_balance_creates_the_account_and_adds(engine: FullEngine) -> None:
    engine.balance_action("*topup", "cgrates.org", "new", "*monetary", Decimal(10),
                          {"ID": "main", "ExpiryTime": "*month_end", "Weight": Decimal(5)})
    engine.balance_action("*topup", "cgrates.org", "new", "*monetary", Decimal(2), {"ID": "main"})
    (b,) = engine.get_account("cgrates.org", "new").BalanceMap["*monetary"]
    assert (b.Value, b.Weight) == (12, 5)
    assert b.ExpirationDate == resolve_expiry("*month_end", NOW_NS, UTC)


def test_add_balance_overwrite_and_debit_balance(engine: FullEngine) -> None:
    engine.balance_action("*topup", *ACCOUNT, "*voice", Decimal(100), {"ID": "v"})
    engine.balance_action("*topup_reset", *ACCOUNT, "*voice", Decimal(30), {"ID": "v"})
    engine.balance_action("*debit", *ACCOUNT, "*voice", Decimal(5), {"ID": "v"})
    assert engine.get_account(*ACCOUNT).BalanceMap["*voice"][0].Value == 25


def test_set_balance_needs_an_id_or_uuid_and_sets_fields(engine: FullEngine) -> None:
    with pytest.raises(MandatoryIEMissing):
        engine.balance_action("*set_balance", *ACCOUNT, "*voice", Decimal(1), {})
    engine.balance_action("*set_balance", *ACCOUNT, "*voice", Decimal(120 * 10**9),
                          {"ID": "free", "DestinationIDs": "DST_1003;DST_1002",
                           "Weight": Decimal(20), "ExpiryTime": "*month_end"})
    (b,) = engine.get_account(*ACCOUNT).BalanceMap["*voice"]
    assert b.to_json()["DestinationIDs"] == {"DST_1003": True, "DST_1002": True}
    assert b.to_json()["Categories"] is None  # maps not given stay null (SPEC E.4)


def test_set_balance_with_bad_expiry_is_refused(engine: FullEngine) -> None:
    with pytest.raises(ServerError):
        engine.balance_action("*set_balance", *ACCOUNT, "*voice", Decimal(1),
                              {"ID": "x", "ExpiryTime": "soon"})


def test_remove_balances(engine: FullEngine) -> None:
    with pytest.raises(NotFound):
        engine.balance_action("*remove_balance", "cgrates.org", "ghost", "*monetary", None,
                              {"ID": "x"})
    engine.balance_action("*topup", *ACCOUNT, "*monetary", Decimal(1), {"ID": "x"})
    engine.balance_action("*remove_balance", *ACCOUNT, "*monetary", None, {"ID": "x"})
    assert engine.get_account(*ACCOUNT).BalanceMap["*monetary"] == []


def test_balance_api_with_cdrlog_writes_a_cdr(engine: FullEngine) -> None:
    engine.balance_action("*topup", *ACCOUNT, "*monetary", Decimal(5), {"ID": "x"},
                          cdrlog=True, extra_data={"Category": "^refill"})
    (cdr,) = engine.get_cdrs({}, v1=True)
    assert (cdr["RunID"], cdr["Cost"], cdr["Category"], cdr["Usage"]) == (
        "*topup", Decimal(5), "refill", "1")


def test_process_cdr_stores_it_and_get_event_cost_returns_its_details(engine: FullEngine) -> None:
    from datetime import datetime

    from rating.cdrs import cgr_id

    engine.process_cdr({"OriginID": "o1", "OriginHost": "h", "Account": "1001",
                        "Destination": "1002", "AnswerTime": datetime(2026, 3, 1, tzinfo=UTC),
                        "Usage": 60 * 10**9, "Cost": Decimal("0.6"),
                        "CostDetails": {"Cost": Decimal("0.6")}})
    (cdr,) = engine.get_cdrs({"OriginIDs": ["o1"]})
    assert (cdr["CGRID"], cdr["Tenant"], cdr["Usage"], cdr["Cost"]) == (
        cgr_id("o1", "h"), "cgrates.org", "1m0s", Decimal("0.6"))
    assert engine.get_cdr_event_cost(cgr_id("o1", "h"), "") == {"Cost": Decimal("0.6")}
    with pytest.raises(NotFound):
        engine.get_cdr_event_cost("nope", "*default")
    with pytest.raises(MandatoryIEMissing):
        engine.process_cdr({"Account": "1001"})
