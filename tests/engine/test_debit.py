"""Debit: which balances pay, connect fee, going negative, blockers, rounding (SPEC.md C.2-C.3).

Tutorial plan, D = 5; the account is built directly in the store for each case.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from rating.calldesc import CallDescriptor
from rating.engine import Engine
from rating.errors import (
    AccountDisabled,
    AccountNotFound,
    InsufficientCreditBalanceBlocker,
    RatingPlanNotFound,
)
from rating.timeutil import SECOND

from .support import balance, cd, make_engine, put_account, values, write_plan

ACC = "cgrates.org:1001"


@pytest.fixture
def engine() -> Engine:
    return make_engine()


def test_money_balance_pays_the_whole_call(engine: Engine) -> None:
    put_account(engine.store, ACC, {"*monetary": [balance("m", 10, ID="*default")]})
    cc = engine.debit(cd("1002", 130), debit_id="d1")
    assert cc.Cost == Decimal("0.7169")
    assert values(engine, "1001") == {"m": Decimal("9.2831")}
    fee = cc.Timespans[0].increments[0]
    assert (fee.duration, fee.cost, fee.monetary and fee.monetary.uuid) == (0, Decimal("0.4"), "m")
    assert cc.AccountSummary == {"Tenant": "cgrates.org", "ID": "1001", "BalanceSummaries": [
        {"UUID": "m", "ID": "*default", "Type": "*monetary", "Value": Decimal("9.2831"),
         "Disabled": False}], "AllowNegative": False, "Disabled": False}


def test_debit_cost_is_not_destination_rate_rounded(tmp_path: Path) -> None:
    # SPEC.md B.6 with D = 6: 180 s at 0.1/60 s, 1 s increments, *middle 4
    folder = write_plan(tmp_path, {
        "Destinations.csv": "DST,1", "Rates.csv": "RT,0,0.1,60s,1s,0s",
        "DestinationRates.csv": "DR,DST,RT,*middle,4,0,", "RatingPlans.csv": "RP,DR,*any,10",
        "RatingProfiles.csv": "cgrates.org,call,1001,2014-01-01T00:00:00Z,RP,"})
    engine = make_engine(folder=folder, decimals=6)
    put_account(engine.store, ACC, {"*monetary": [balance("m", 10)]})
    assert engine.get_cost(cd("100", 180)).Cost == Decimal("0.3001")
    assert engine.debit(cd("100", 180), debit_id="a").Cost == Decimal("0.30006")
    assert values(engine, "1001") == {"m": Decimal("9.69994")}
    rounded = engine.debit(cd("100", 180, PerformRounding=True), debit_id="b")
    assert rounded.Cost == Decimal("0.3001")
    assert rounded.Timespans[0].round_increment is not None
    assert rounded.Timespans[0].round_increment.cost == Decimal("0.00004")
    assert values(engine, "1001") == {"m": Decimal("9.39984")}


def test_free_units_pay_first_and_no_connect_fee_is_due(engine: Engine) -> None:
    put_account(engine.store, ACC, {
        "*voice": [balance("v", 90 * SECOND, DestinationIDs={"DST_1002": True})],
        "*monetary": [balance("m", 10)]})
    cc = engine.debit(cd("1002", 130), debit_id="d1")
    # 90 s of units; [90, 130) at the per-second row: 0.06667 / 40 -> 0.00167 x 40
    assert cc.Cost == Decimal("0.0668")
    assert values(engine, "1001") == {"v": Decimal(0), "m": Decimal("9.9332")}
    units = cc.Timespans[0]
    assert (units.matched_subject, units.rating_plan_id, units.matched_dest_id) == (
        "v", "*none", "DST_1002")
    inc = units.increments[0]
    assert (inc.duration, inc.count, inc.cost) == (SECOND, 90, Decimal(0))
    assert inc.unit is not None and inc.unit.consumed == SECOND


def test_free_units_in_larger_increments_round_up_and_never_split(engine: Engine) -> None:
    put_account(engine.store, ACC, {
        "*voice": [balance("v", 150 * SECOND, RatingSubject="*zero60s")],
        "*monetary": [balance("m", 10)]})
    cc = engine.debit(cd("1002", 130), debit_id="d1")
    # 130 s needs three 60 s units; only two fit in 150 s: [0, 120) free, [120, 130) money
    assert values(engine, "1001")["v"] == 30 * SECOND
    assert cc.Timespans[0].end - cc.Timespans[0].start == 120 * SECOND
    assert cc.Cost == Decimal("0.0167")  # 10 s at the per-second row, no connect fee


def test_unit_factor_divides_consumption(engine: Engine) -> None:
    put_account(engine.store, ACC, {
        "*generic": [balance("g", 100, Factor={"*voice": str(SECOND)})]})
    engine.debit(cd("1002", 30), debit_id="d1")
    assert values(engine, "1001") == {"g": Decimal(70)}  # 30 s = 30 units of one second


def test_money_balances_pay_in_order_without_splitting_an_increment(engine: Engine) -> None:
    put_account(engine.store, ACC, {"*monetary": [
        balance("small", "0.705", Weight="20"), balance("big", 10, Weight="10")]})
    cc = engine.debit(cd("1002", 130), debit_id="d1")
    # small: fee 0.4 + 0.2 + 62 x 0.00167 (a 63rd would need 0.00167 > 0.00146 left);
    # big pays the last 8 seconds
    assert values(engine, "1001") == {"small": Decimal("0.00146"), "big": Decimal("9.98664")}
    payers = [(i.monetary.uuid, i.count) for ts in cc.Timespans for i in ts.increments
              if i.monetary is not None]
    assert payers == [("small", 1), ("small", 1), ("small", 62), ("big", 8)]


def test_what_balances_cannot_pay_goes_to_the_default_balance(engine: Engine) -> None:
    put_account(engine.store, ACC, {"*monetary": [balance("m", "0.5", ID="*default")]})
    cc = engine.debit(cd("1002", 130), debit_id="d1")
    # the fee is paid once (0.5 -> 0.1), the rest goes below zero on *default
    assert cc.Cost == Decimal("0.7169")
    assert values(engine, "1001") == {"m": Decimal("-0.2169")}


def test_a_default_balance_is_created_to_go_negative(engine: Engine) -> None:
    put_account(engine.store, ACC, {})
    cc = engine.debit(cd("1002", 130), debit_id="d1")
    assert cc.Cost == Decimal("0.7169")
    account = engine.get_account("cgrates.org", "1001")
    (default,) = account.BalanceMap["*monetary"]
    assert (default.ID, default.Value) == ("*default", Decimal("-0.7169"))


def test_deny_negative_account_charges_only_what_balances_pay(engine: Engine) -> None:
    put_account(engine.store, ACC, {"*monetary": [balance("m", "0.7", ID="*default")]})
    cc = engine.debit(cd("1002", 130, DenyNegativeAccount=True), debit_id="d1")
    # 0.4 fee + 0.2 first minute + 59 x 0.00167 = 0.69853; the 60th second is not affordable
    assert cc.rated_usage == 119 * SECOND
    assert values(engine, "1001") == {"m": Decimal("0.00147")}


def test_deny_negative_account_never_pays_a_fee_from_debt(engine: Engine) -> None:
    put_account(engine.store, ACC, {"*monetary": [balance("m", "0.3", ID="*default")]})
    cc = engine.debit(cd("1002", 130, DenyNegativeAccount=True), debit_id="d1")
    assert cc.Cost == 0 and cc.Timespans == []
    assert values(engine, "1001") == {"m": Decimal("0.3")}
    engine.debit(cd("1002", 130), debit_id="d2")  # without the flag it goes negative
    assert values(engine, "1001") == {"m": Decimal("0.3") - Decimal("0.7169")}


def test_a_fee_the_first_balance_cannot_follow_with_increments_is_taken_once(
        engine: Engine) -> None:
    put_account(engine.store, ACC, {"*monetary": [balance("a", "0.45", Weight="20"),
                                                  balance("b", 5, Weight="10")]})
    cc = engine.debit(cd("1002", 130), debit_id="d1")
    # a pays the 0.4 fee (it is the first balance holding it), b pays the call
    assert values(engine, "1001") == {"a": Decimal("0.05"), "b": Decimal("4.6831")}
    assert cc.Cost == Decimal("0.7169")


def test_blocker_stops_a_real_debit_with_an_error_and_changes_nothing(engine: Engine) -> None:
    put_account(engine.store, ACC, {"*monetary": [
        balance("blocker", "0.3", Weight="20", Blocker=True), balance("m", 10, Weight="10")]})
    with pytest.raises(InsufficientCreditBalanceBlocker) as err:
        engine.debit(cd("1003", 45), debit_id="d1")
    assert str(err.value) == "INSUFFICIENT_CREDIT_BALANCE_BLOCKER"
    assert values(engine, "1001") == {"blocker": Decimal("0.3"), "m": Decimal(10)}


PRICED_UNITS = {
    "Destinations.csv": "DST,1",
    "Rates.csv": "RT,0,0.6,60s,1s,0s\nRT_SPECIAL,0.1,0.06,60s,1s,0s",
    "DestinationRates.csv": "DR,DST,RT,*up,4,0,\nDR_S,DST,RT_SPECIAL,*up,4,0,",
    "RatingPlans.csv": "RP,DR,*any,10\nRP_S,DR_S,*any,10",
    "RatingProfiles.csv": ("cgrates.org,call,1001,2014-01-01T00:00:00Z,RP,\n"
                           "cgrates.org,call,SPECIAL,2014-01-01T00:00:00Z,RP_S,")}


def test_priced_unit_balance_pays_units_and_money(tmp_path: Path) -> None:
    engine = make_engine(folder=write_plan(tmp_path, PRICED_UNITS))
    put_account(engine.store, ACC, {
        "*voice": [balance("v", 30 * SECOND, RatingSubject="SPECIAL")],
        "*monetary": [balance("m", 10)]})
    cc = engine.debit(cd("100", 40), debit_id="d1")
    # 30 s on units at 0.001/s plus the special fee 0.1, then 10 s at 0.01/s
    assert cc.Cost == Decimal("0.23")
    assert values(engine, "1001") == {"v": Decimal(0), "m": Decimal("9.77")}
    unit_inc = cc.Timespans[0].increments[1]
    assert unit_inc.unit is not None and unit_inc.monetary is not None


def test_unknown_subject_of_a_priced_money_balance_is_an_error(tmp_path: Path) -> None:
    engine = make_engine(folder=write_plan(tmp_path, PRICED_UNITS))  # no *any profile
    put_account(engine.store, ACC, {"*monetary": [balance("m", 10, RatingSubject="NOPE")]})
    with pytest.raises(RatingPlanNotFound):
        engine.debit(cd("100", 30), debit_id="d1")
    assert values(engine, "1001") == {"m": Decimal(10)}


def test_debit_errors_for_missing_or_disabled_accounts(engine: Engine) -> None:
    with pytest.raises(AccountNotFound):
        engine.debit(cd("1002", 30, subject="nobody"), debit_id="d1")
    put_account(engine.store, ACC, {"*monetary": [balance("m", 10)]}, Disabled=True)
    with pytest.raises(AccountDisabled) as err:
        engine.debit(cd("1002", 30), debit_id="d2")
    assert str(err.value) == "ACCOUNT_DISABLED"


def test_the_same_debit_id_is_applied_once(engine: Engine) -> None:
    put_account(engine.store, ACC, {"*monetary": [balance("m", 10)]})
    first = engine.debit(cd("1002", 130), debit_id="same")
    again = engine.debit(cd("1002", 130), debit_id="same")
    assert values(engine, "1001") == {"m": Decimal("9.2831")}
    assert again.to_json() == first.to_json()


def test_dry_run_debit_changes_nothing(engine: Engine) -> None:
    put_account(engine.store, ACC, {"*monetary": [balance("m", 10)]})
    cc = engine.debit(cd("1002", 130, DryRun=True), debit_id="dry")
    assert cc.Cost == Decimal("0.7169")
    assert values(engine, "1001") == {"m": Decimal(10)}
    engine.debit(cd("1002", 130), debit_id="dry")  # the id was not used up by the dry run
    assert values(engine, "1001") == {"m": Decimal("9.2831")}


def test_expired_balances_are_not_used_and_removed_by_a_real_debit(engine: Engine) -> None:
    put_account(engine.store, ACC, {"*monetary": [
        balance("old", 10, ExpirationDate="2014-08-04T12:00:00Z", Weight="50"),
        balance("m", 10)]})
    engine.debit(cd("1002", 130, DryRun=True), debit_id="dry")
    assert values(engine, "1001") == {"old": Decimal(10), "m": Decimal(10)}
    cc = engine.debit(cd("1002", 130), debit_id="d1")
    assert values(engine, "1001") == {"m": Decimal("9.2831")}
    assert cc.AccountSummary is not None
    assert [b["UUID"] for b in cc.AccountSummary["BalanceSummaries"]] == ["m"]


def test_a_balance_expiring_during_the_call_still_pays(engine: Engine) -> None:
    # expiry is checked at the call's start; removal uses the engine clock (2024 here)
    put_account(engine.store, ACC, {"*monetary": [
        balance("soon", 10, ExpirationDate="2014-08-04T13:00:30Z", Weight="50"),
        balance("m", 10)]})
    engine.debit(cd("1002", 130, DryRun=True), debit_id="dry")
    cc = engine.debit(cd("1002", 130, DryRun=True), debit_id="dry2")
    assert {i.monetary.uuid for i in cc.increments() if i.monetary} == {"soon"}


def test_zero_duration_debit_charges_nothing(engine: Engine) -> None:
    put_account(engine.store, ACC, {"*monetary": [balance("m", 10)]})
    cc = engine.debit(cd("1002", 0), debit_id="d1")
    assert cc.Cost == 0 and values(engine, "1001") == {"m": Decimal(10)}


def test_max_debit_never_lets_priced_units_go_below_zero(tmp_path: Path) -> None:
    plan = dict(PRICED_UNITS)
    plan["Rates.csv"] = "RT,0,0.6,60s,1s,0s\nRT_SPECIAL,0,3,60s,1s,0s"  # 0.01/s and 0.05/s
    engine = make_engine(folder=write_plan(tmp_path, plan))
    put_account(engine.store, ACC, {
        "*voice": [balance("v", 30 * SECOND, RatingSubject="SPECIAL")],
        "*monetary": [balance("m", "0.03")]})
    # no money balance can pay a unit's 0.05, so the units stop; money pays 3 s at 0.01
    assert engine.max_session_time(cd("100", 10)) == 3 * SECOND
    cc = engine.max_debit(cd("100", 3), debit_id="d1")
    assert (cc.Cost, cc.rated_usage) == (Decimal("0.03"), 3 * SECOND)
    assert values(engine, "1001") == {"v": Decimal(30 * SECOND), "m": Decimal(0)}
    # a plain Debit (postpaid) charges the units' money to *default, below zero, as CGRateS
    put_account(engine.store, ACC, {
        "*voice": [balance("v", 30 * SECOND, RatingSubject="SPECIAL")],
        "*monetary": [balance("m", "0.03", ID="*default")]})
    engine.debit(cd("100", 3), debit_id="d2")
    assert values(engine, "1001") == {"v": Decimal(27 * SECOND), "m": Decimal("-0.12")}


def test_the_seed_debit_request_with_zero_times_charges_nothing(engine: Engine) -> None:
    # tests/fixtures/seeds (balanceManagement.rst 3.5): Responder.Debit with zero times
    put_account(engine.store, ACC, {"*monetary": [balance("m", 5)]})
    request = CallDescriptor.from_json({
        "Direction": "*out", "Category": "", "Tenant": "cgrates.org", "Subject": "",
        "Account": "1001", "Destination": "", "TimeStart": "0001-01-01T00:00:00Z",
        "TimeEnd": "0001-01-01T00:00:00Z", "LoopIndex": 0, "DurationIndex": 0,
        "FallbackSubject": "", "RatingInfos": None, "Increments": None, "ToR": "",
        "ExtraFields": None, "MaxRate": 0, "MaxRateUnit": 0, "MaxCostSoFar": 0, "CgrID": "",
        "RunID": "", "ForceDuration": False, "PerformRounding": False, "DryRun": False,
        "DenyNegativeAccount": False})
    shape = engine.debit(request, debit_id="seed").to_json()
    assert (shape["Cost"], shape["Timespans"], shape["RatedUsage"]) == (0, None, 0)
    assert (shape["Subject"], shape["Account"], shape["ToR"]) == ("1001", "1001", "")
    assert shape["AccountSummary"]["BalanceSummaries"] == [
        {"UUID": "m", "ID": "m", "Type": "*monetary", "Value": Decimal(5), "Disabled": False}]
