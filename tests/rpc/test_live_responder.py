"""Responder.* end to end: a real `callmeter run` (SQLite and Redis), over TCP and HTTP.

Tutorial plan (conf/tariffplans/tutorial), subject 1001 on 2014-08-04 (a Monday):
1002 → RT_20CNT (0.4 connect fee, first minute 0.2, then 0.1/min per second, *up 4),
1003 → 0.01/s with MaxCost 0.12 *disconnect, 1004 → 0.01/s with MaxCost 0.5 *free.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .live import Api, balance_values, seed_account, unique

HOUR = 3_600_000_000_000
SECOND = 1_000_000_000


def cd(account: str, destination: str, seconds: int, **extra: Any) -> dict[str, Any]:
    """A CallDescriptor starting 2014-08-04 13:00:00 UTC lasting `seconds`."""
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return {"Tenant": "cgrates.org", "Category": "call", "Subject": "1001", "Account": account,
            "Destination": destination, "TimeStart": "2014-08-04T13:00:00Z",
            "TimeEnd": f"2014-08-04T{13 + hours:02d}:{minutes:02d}:{secs:02d}Z", **extra}


def funded(api: Api, value: str = "10", **flags: Any) -> str:
    return seed_account(api.daemon.store, unique("resp"), [("*monetary", "*default", value)],
                        **flags)


# -- GetCost ---------------------------------------------------------------------------------

def test_get_cost_prices_the_tutorial_call_with_connect_fee_and_increments(store_api: Api) -> None:
    cost = store_api.ok("Responder.GetCost", cd("1001", "1002", 130))
    assert cost["Cost"] == Decimal("0.7169")
    assert cost["RatedUsage"] == 130 * SECOND
    assert [ts["Cost"] for ts in cost["Timespans"]] == [Decimal("0.6"), Decimal("0.1169")]
    assert set(cost) >= {"Category", "Tenant", "Subject", "Account", "Destination", "ToR",
                         "Cost", "Timespans", "RatedUsage", "AccountSummary"}


def test_get_cost_errors_are_the_engine_texts(store_api: Api) -> None:
    assert store_api.error("Responder.GetCost", {**cd("x", "1002", 60), "Tenant": "nosuch.org"}) \
        == "RATING_PLAN_NOT_FOUND"
    assert store_api.error("Responder.GetCost", cd("x", "999", 60)) == "UNAUTHORIZED_DESTINATION"
    too_long = {**cd("x", "1002", 0), "TimeEnd": "2014-08-07T14:00:00Z"}  # 73 h of *voice
    assert store_api.error("Responder.GetCost", too_long) == "MAX_USAGE_EXCEEDED"
    assert store_api.error("Responder.GetCost", {"TimeStart": "noon"}).startswith(
        "SERVER_ERROR: field TimeStart")


# -- GetMaxSessionTime ------------------------------------------------------------------------

def test_max_session_time_is_what_the_credit_pays_in_whole_increments(store_api: Api) -> None:
    account = funded(store_api)
    assert store_api.ok("Responder.GetMaxSessionTime", cd(account, "1002", 3 * 3600)) \
        == 5688 * SECOND  # SPEC B.5a
    assert store_api.ok("Responder.GetMaxSessionTime", cd(account, "1002", 30)) == 30 * SECOND
    # MaxCost 0.12 *disconnect at 0.01/s: exactly 12 s (CGRateS's float sum gives 13 s)
    assert store_api.ok("Responder.GetMaxSessionTime", cd(account, "1003", 3 * 3600)) \
        == 12 * SECOND
    assert balance_values(store_api.daemon.store, account) == {"*default": Decimal(10)}


def test_max_session_time_is_unlimited_for_allow_negative_and_zero_without_credit(
        store_api: Api) -> None:
    unlimited = funded(store_api, "0", allow_negative=True)
    assert store_api.ok("Responder.GetMaxSessionTime", cd(unlimited, "1002", 60)) == -1
    broke = funded(store_api, "0")
    assert store_api.ok("Responder.GetMaxSessionTime", cd(broke, "1002", 60)) == 0


def test_max_session_time_errors(store_api: Api) -> None:
    assert store_api.error("Responder.GetMaxSessionTime", cd(unique("nobody"), "1002", 60)) \
        == "ACCOUNT_NOT_FOUND"
    disabled = funded(store_api, disabled=True)
    assert store_api.error("Responder.GetMaxSessionTime", cd(disabled, "1002", 60)) \
        == "ACCOUNT_DISABLED"
    account = funded(store_api)
    assert store_api.error("Responder.GetMaxSessionTime", cd(account, "999", 60)) \
        == "UNAUTHORIZED_DESTINATION"
    other = seed_account(store_api.daemon.store, unique("other"),
                         [("*monetary", "*default", "1")], tenant="nosuch.org")
    assert store_api.error("Responder.GetMaxSessionTime",
                           {**cd(other, "1002", 60), "Tenant": "nosuch.org"}) \
        == "RATING_PLAN_NOT_FOUND"


# -- Debit, MaxDebit -----------------------------------------------------------------------

def test_debit_charges_the_account_and_answers_the_call_cost_with_its_summary(
        store_api: Api) -> None:
    account = funded(store_api)
    cost = store_api.ok("Responder.Debit", cd(account, "1002", 130))
    assert cost["Cost"] == Decimal("0.7169")
    summary = cost["AccountSummary"]
    assert (summary["Tenant"], summary["ID"]) == ("cgrates.org", account)
    assert [(b["ID"], b["Type"], b["Value"]) for b in summary["BalanceSummaries"]] == [
        ("*default", "*monetary", Decimal("9.2831"))]
    assert balance_values(store_api.daemon.store, account) == {"*default": Decimal("9.2831")}


def test_debit_goes_negative_on_the_default_balance_like_postpaid_rating(store_api: Api) -> None:
    account = funded(store_api, "0.05")
    cost = store_api.ok("Responder.Debit", cd(account, "1003", 10))
    assert cost["Cost"] == Decimal("0.1")
    assert balance_values(store_api.daemon.store, account) == {"*default": Decimal("-0.05")}


def test_debit_errors(store_api: Api) -> None:
    assert store_api.error("Responder.Debit", cd(unique("nobody"), "1002", 60)) \
        == "ACCOUNT_NOT_FOUND"
    disabled = funded(store_api, disabled=True)
    assert store_api.error("Responder.Debit", cd(disabled, "1002", 60)) == "ACCOUNT_DISABLED"
    account = funded(store_api)
    too_long = {**cd(account, "1002", 0), "TimeEnd": "2014-08-07T14:00:00Z"}
    assert store_api.error("Responder.Debit", too_long) == "MAX_USAGE_EXCEEDED"
    assert balance_values(store_api.daemon.store, account) == {"*default": Decimal(10)}


def test_max_debit_charges_only_what_the_credit_covers(store_api: Api) -> None:
    account = funded(store_api, "0.05")
    cost = store_api.ok("Responder.MaxDebit", cd(account, "1003", 60))
    assert (cost["Cost"], cost["RatedUsage"]) == (Decimal("0.05"), 5 * SECOND)
    assert balance_values(store_api.daemon.store, account) == {"*default": Decimal(0)}


def test_max_debit_with_force_duration_refuses_a_call_it_cannot_cover(store_api: Api) -> None:
    account = funded(store_api, "0.05")
    assert store_api.error("Responder.MaxDebit", cd(account, "1003", 60, ForceDuration=True)) \
        == "INSUFFICIENT_CREDIT"
    assert balance_values(store_api.daemon.store, account) == {"*default": Decimal("0.05")}


# -- refunds ---------------------------------------------------------------------------------

def _increments(cost: dict[str, Any]) -> list[dict[str, Any]]:
    return [inc for ts in cost["Timespans"] for inc in ts["Increments"]]


def test_refund_increments_gives_back_what_a_debit_took(store_api: Api) -> None:
    account = funded(store_api)
    cost = store_api.ok("Responder.Debit", cd(account, "1003", 10))
    assert balance_values(store_api.daemon.store, account) == {"*default": Decimal("9.9")}
    refund = {"Tenant": "cgrates.org", "Account": account, "Increments": _increments(cost)}
    result = store_api.ok("Responder.RefundIncrements", refund)
    assert result["ID"] == f"cgrates.org:{account}"
    assert result["BalanceMap"]["*monetary"][0]["Value"] == Decimal(10)
    assert balance_values(store_api.daemon.store, account) == {"*default": Decimal(10)}


def test_refund_rounding_charges_the_rounding_increments_and_answers_zero(store_api: Api) -> None:
    account = funded(store_api)
    doc = store_api.daemon.store.get_account(f"cgrates.org:{account}")
    uuid = doc["BalanceMap"]["*monetary"][0]["Uuid"]
    rounding = {"Tenant": "cgrates.org", "Account": account, "Increments": [
        {"Cost": 0.004, "BalanceInfo": {"Monetary": {"UUID": uuid},
                                        "AccountID": f"cgrates.org:{account}"}}]}
    assert store_api.ok("Responder.RefundRounding", rounding) == 0
    assert balance_values(store_api.daemon.store, account) == {"*default": Decimal("9.996")}


def test_refunds_on_an_unknown_account_fail(store_api: Api) -> None:
    refund = {"Tenant": "cgrates.org", "Account": unique("nobody"), "Increments": []}
    assert store_api.error("Responder.RefundIncrements", refund) == "ACCOUNT_NOT_FOUND"
    assert store_api.error("Responder.RefundRounding", refund) == "ACCOUNT_NOT_FOUND"
