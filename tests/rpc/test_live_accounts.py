"""Account methods end to end: a real `callmeter run` (SQLite and Redis), over TCP and HTTP."""

from __future__ import annotations

from decimal import Decimal

from .live import Api, seed_account, unique

SECOND = 1_000_000_000


def account_of(api: Api, value: str = "10", **flags: object) -> str:
    return seed_account(api.daemon.store, unique("acc"), [("*monetary", "*default", value)],
                        **flags)  # type: ignore[arg-type]


def test_v2_get_account_answers_the_account_struct(store_api: Api) -> None:
    name = account_of(store_api, "7.5")
    account = store_api.ok("APIerSv2.GetAccount", {"Tenant": "cgrates.org", "Account": name})
    assert set(account) == {"ID", "BalanceMap", "UnitCounters", "ActionTriggers",
                            "AllowNegative", "Disabled", "UpdateTime"}
    assert account["ID"] == f"cgrates.org:{name}"
    (balance,) = account["BalanceMap"]["*monetary"]
    assert (balance["ID"], balance["Value"]) == ("*default", Decimal("7.5"))
    assert set(balance) >= {"Uuid", "ID", "Value", "ExpirationDate", "Weight", "DestinationIDs",
                            "RatingSubject", "Categories", "SharedGroups", "Timings",
                            "TimingIDs", "Disabled", "Factor", "Blocker"}


def test_v1_get_account_answers_the_old_structure(store_api: Api) -> None:
    name = account_of(store_api, "7.5")
    account = store_api.ok("APIerSv1.GetAccount", {"Tenant": "cgrates.org", "Account": name})
    assert account["Id"] == f"*out:cgrates.org:{name}"
    (balance,) = account["BalanceMap"]["*monetary*out"]
    assert (balance["Id"], balance["Value"], balance["DestinationIds"]) == (
        "*default", Decimal("7.5"), "")
    assert (account["UnitCounters"], account["ActionTriggers"]) == ([], [])


def test_tutorial_accounts_carry_their_triggers(store_api: Api) -> None:
    account = store_api.ok("APIerSv2.GetAccount", {"Tenant": "cgrates.org", "Account": "1001"})
    assert sorted(t["UniqueID"] for t in account["ActionTriggers"]) == [
        "HIGH_BALANCE", "LOW_BALANCE", "MANY_CALLS_1003"]


def test_get_account_errors(store_api: Api) -> None:
    for method in ("APIerSv1.GetAccount", "APIerSv2.GetAccount", "ApierV2.GetAccount"):
        assert store_api.error(method, {"Tenant": "cgrates.org", "Account": "nope"}) \
            == "NOT_FOUND"
        assert store_api.error(method, {"Tenant": "cgrates.org"}) \
            == "MANDATORY_IE_MISSING: [Account]"


def test_set_account_creates_an_account_without_balances_and_sets_its_flags(
        store_api: Api) -> None:
    name = unique("new")
    key = {"Tenant": "cgrates.org", "Account": name}
    assert store_api.ok("APIerSv1.SetAccount", key) == "OK"
    account = store_api.ok("APIerSv2.GetAccount", key)
    assert (account["BalanceMap"], account["AllowNegative"], account["Disabled"]) == (
        None, False, False)
    assert store_api.ok("APIerSv2.SetAccount",
                        {**key, "ExtraOptions": {"AllowNegative": True}}) == "OK"
    call = {"Tenant": "cgrates.org", "Subject": "1001", "Account": name, "Destination": "1002",
            "TimeStart": "2014-08-04T13:00:00Z", "TimeEnd": "2014-08-04T13:01:00Z"}
    assert store_api.ok("Responder.GetMaxSessionTime", call) == -1
    assert store_api.ok("APIerSv1.SetAccount", {**key, "ExtraOptions": {"Disabled": True}}) \
        == "OK"
    assert store_api.error("Responder.GetMaxSessionTime", call) == "ACCOUNT_DISABLED"
    account = store_api.ok("APIerSv2.GetAccount", key)
    assert (account["AllowNegative"], account["Disabled"]) == (True, True)


def test_set_account_errors(store_api: Api) -> None:
    assert store_api.error("APIerSv1.SetAccount", {"Tenant": "cgrates.org"}) \
        == "MANDATORY_IE_MISSING: [Account]"
    assert store_api.error("APIerSv2.SetAccount", {}) == "MANDATORY_IE_MISSING: [Tenant Account]"


def test_get_accounts_pages_then_filters(store_api: Api) -> None:
    tenant = f"{unique('tenant')}.org"
    names = sorted(seed_account(store_api.daemon.store, f"a{i}", [("*monetary", "*default", "1")],
                                allow_negative=i == 1, tenant=tenant) for i in range(3))
    v2 = store_api.ok("APIerSv2.GetAccounts", {"Tenant": tenant})
    assert [a["ID"] for a in v2] == [f"{tenant}:{n}" for n in names]
    page = store_api.ok("APIerSv2.GetAccounts", {"Tenant": tenant, "Offset": 1, "Limit": 1})
    assert [a["ID"] for a in page] == [f"{tenant}:a1"]
    negative = store_api.ok("APIerSv2.GetAccounts",
                            {"Tenant": tenant, "Filter": {"AllowNegative": True}})
    assert [a["ID"] for a in negative] == [f"{tenant}:a1"]
    chosen = store_api.ok("APIerSv1.GetAccounts", {"Tenant": tenant, "AccountIds": ["a2", "x"]})
    assert [a["Id"] for a in chosen] == [f"*out:{tenant}:a2"]
    assert store_api.ok("APIerSv2.GetAccounts", {"Tenant": "empty.example"}) is None
    assert store_api.ok("APIerSv1.GetAccountsCount", {"Tenant": tenant}) == 3
    assert store_api.ok("APIerSv1.GetAccountsCount", {"Tenant": "empty.example"}) == 0


def test_get_accounts_errors(store_api: Api) -> None:
    for method in ("APIerSv1.GetAccounts", "APIerSv2.GetAccounts", "APIerSv1.GetAccountsCount"):
        assert store_api.error(method, {}) == "MANDATORY_IE_MISSING: [Tenant]"
    assert store_api.error("APIerSv2.GetAccounts", {"Tenant": "x", "Limit": "ten"}) \
        == "SERVER_ERROR: field Limit: expected a whole number, got string"


def test_remove_account_deletes_it(store_api: Api) -> None:
    name = account_of(store_api)
    key = {"Tenant": "cgrates.org", "Account": name}
    assert store_api.ok("APIerSv1.RemoveAccount", key) == "OK"
    assert store_api.error("APIerSv2.GetAccount", key) == "NOT_FOUND"
    assert store_api.daemon.store.get_account(f"cgrates.org:{name}") is None
    assert store_api.error("APIerSv1.RemoveAccount", key) == "NOT_FOUND"
    assert store_api.error("APIerSv1.RemoveAccount", {"Account": name}) \
        == "MANDATORY_IE_MISSING: [Tenant]"


# -- usage records: GetMaxUsage, DebitUsage(WithOptions) -------------------------------------

def usage(account: str, destination: str = "1003", seconds: str = "10s") -> dict[str, str]:
    return {"Tenant": "cgrates.org", "Account": account, "Subject": "1001",
            "Destination": destination, "AnswerTime": "2014-08-04T13:00:00Z", "Usage": seconds}


def test_get_max_usage_answers_nanoseconds_and_minus_one_for_unlimited(store_api: Api) -> None:
    name = account_of(store_api, "0.05")
    assert store_api.ok("APIerSv1.GetMaxUsage", usage(name, seconds="1m")) == 5 * SECOND
    unlimited = account_of(store_api, "0", allow_negative=True)
    assert store_api.ok("APIerSv1.GetMaxUsage", usage(unlimited)) == -1


def test_get_max_usage_errors_are_server_errors(store_api: Api) -> None:
    assert store_api.error("APIerSv1.GetMaxUsage", usage(unique("nobody"))) \
        == "SERVER_ERROR: ACCOUNT_NOT_FOUND"
    assert store_api.error("APIerSv1.GetMaxUsage", {"Tenant": "cgrates.org"}) \
        == "MANDATORY_IE_MISSING: [Account Destination Usage]"
    bad_time = {**usage("1001"), "AnswerTime": "tomorrow-ish"}
    assert store_api.error("APIerSv1.GetMaxUsage", bad_time).startswith(
        "SERVER_ERROR: AnswerTime: ")


def test_debit_usage_charges_the_account(store_api: Api) -> None:
    name = account_of(store_api)
    assert store_api.ok("APIerSv1.DebitUsage", usage(name)) == "OK"
    doc = store_api.ok("APIerSv2.GetAccount", {"Tenant": "cgrates.org", "Account": name})
    assert doc["BalanceMap"]["*monetary"][0]["Value"] == Decimal("9.9")


def test_debit_usage_with_options_denies_going_negative_when_asked(store_api: Api) -> None:
    name = account_of(store_api, "0.05")
    record = usage(name)
    assert store_api.ok("APIerSv1.DebitUsageWithOptions",
                        {"UsageRecord": record, "AllowNegativeAccount": False}) == "OK"
    doc = store_api.ok("APIerSv2.GetAccount", {"Tenant": "cgrates.org", "Account": name})
    assert doc["BalanceMap"]["*monetary"][0]["Value"] == Decimal(0)
    assert store_api.ok("APIerSv1.DebitUsageWithOptions", {"UsageRecord": record}) == "OK"
    doc = store_api.ok("APIerSv2.GetAccount", {"Tenant": "cgrates.org", "Account": name})
    assert doc["BalanceMap"]["*monetary"][0]["Value"] == Decimal("-0.1")


def test_debit_usage_errors(store_api: Api) -> None:
    assert store_api.error("APIerSv1.DebitUsage", usage(unique("nobody"))) \
        == "SERVER_ERROR: ACCOUNT_NOT_FOUND"
    assert store_api.error("APIerSv1.DebitUsage", {"Account": "1001"}) \
        == "MANDATORY_IE_MISSING: [Destination Usage]"
    assert store_api.error("APIerSv1.DebitUsageWithOptions", {}) \
        == "MANDATORY_IE_MISSING: [UsageRecord]"
    assert store_api.error("APIerSv1.DebitUsageWithOptions", {"UsageRecord": {"Usage": "1s"}}) \
        == "MANDATORY_IE_MISSING: [Account Destination]"
