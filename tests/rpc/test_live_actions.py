"""Balances, actions, action plans, triggers and CDRs end to end: a real `callmeter run`,
over TCP and HTTP; the account and balance methods on SQLite and on Redis."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from typing import Any

from tests.support.daemon import ROOT

from .live import Api, LiveDaemon, balance_values, seed_account, snapshot, unique

SECOND = 1_000_000_000


def new_account(api: Api) -> dict[str, str]:
    name = seed_account(api.daemon.store, unique("act"))
    return {"Tenant": "cgrates.org", "Account": name}


def balances(api: Api, key: dict[str, str]) -> dict[str, Decimal]:
    return balance_values(api.daemon.store, key["Account"])


# -- balances: SetBalance, AddBalance, DebitBalance, RemoveBalances ------------------------------

def test_balance_methods_set_add_debit_and_remove(store_api: Api) -> None:
    key = new_account(store_api)
    money = {**key, "BalanceType": "*monetary"}
    assert store_api.ok("APIerSv1.SetBalance", {**money, "Value": 10,
                                                "Balance": {"ID": "main"}}) == "OK"
    assert store_api.ok("APIerSv1.AddBalance", {**money, "Value": 5, "BalanceId": "main"}) == "OK"
    assert store_api.ok("APIerSv1.DebitBalance", {**money, "Value": 2.5,
                                                  "Balance": {"ID": "main"}}) == "OK"
    assert balances(store_api, key) == {"main": Decimal("12.5")}
    voice = {**key, "BalanceType": "*voice", "Balance": {"ID": "free",
                                                         "DestinationIDs": "DST_1002"}}
    assert store_api.ok("APIerSv2.SetBalance", {**voice, "Value": 60 * SECOND}) == "OK"
    call = {**key, "Subject": "1001", "Destination": "1002", "TimeStart": "2014-08-04T13:00:00Z",
            "TimeEnd": "2014-08-04T13:01:00Z"}
    cost = store_api.ok("Responder.Debit", call)  # the free minute pays the call
    assert (cost["Cost"], balances(store_api, key)["free"]) == (Decimal(0), Decimal(0))
    assert store_api.ok("APIerSv1.RemoveBalances", {**voice}) == "OK"
    assert balances(store_api, key) == {"main": Decimal("12.5")}


def test_balance_methods_create_the_account_when_missing(store_api: Api) -> None:
    key = {"Tenant": "cgrates.org", "Account": unique("fresh")}
    assert store_api.ok("APIerSv1.AddBalance", {**key, "BalanceType": "*monetary", "Value": 3,
                                                "Balance": {"ID": "*default"}}) == "OK"
    assert balances(store_api, key) == {"*default": Decimal(3)}


def test_balance_method_errors_change_nothing(store_api: Api) -> None:
    key = new_account(store_api)
    money = {**key, "BalanceType": "*monetary"}
    before = snapshot(store_api.daemon.store)
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("APIerSv1.SetBalance", {**money, "Value": 1}, "MANDATORY_IE_MISSING: [BalanceID or "
                                                       "BalanceUUID]"),
        ("APIerSv1.SetBalance", {**money, "Balance": {"ID": "x"}},
         "MANDATORY_IE_MISSING: [Value]"),
        ("APIerSv1.SetBalance", {**money, "Value": 1, "Balance": {"UUID": "no-such-uuid"}},
         "SERVER_ERROR: PARTIALLY_EXECUTED"),
        ("APIerSv1.AddBalance", {**key, "Value": 1}, "MANDATORY_IE_MISSING: [BalanceType]"),
        ("APIerSv1.AddBalance", {**money, "Value": "ten"},
         "SERVER_ERROR: field Value: expected a number, got string"),
        ("APIerSv1.DebitBalance", {"Tenant": "cgrates.org", "BalanceType": "*monetary",
                                   "Value": 1}, "MANDATORY_IE_MISSING: [Account]"),
        ("APIerSv1.RemoveBalances", {**money, "Balance": {"ID": "absent"}},
         "SERVER_ERROR: PARTIALLY_EXECUTED"),
        ("APIerSv1.RemoveBalances", {**money, "Account": unique("nobody")}, "NOT_FOUND"),
    ]
    for method, params, text in cases:
        assert store_api.error(method, params) == text, (method, params)
    assert snapshot(store_api.daemon.store) == before


def test_the_issue_console_example_tops_up_a_balance(live_sqlite: LiveDaemon) -> None:
    api = live_sqlite.api("tcp")
    account = new_account(api)["Account"]
    line = f'balance_add Tenant="cgrates.org" Account="{account}" BalanceId="123456" Value=10'
    done = subprocess.run([sys.executable, "-m", "agent", "console", "--server",
                           f"127.0.0.1:{api.daemon.proc.rpc_port}", line],
                          capture_output=True, text=True, timeout=30, cwd=ROOT)
    assert (done.returncode, done.stdout, done.stderr) == (0, '"OK"\n', "")
    assert balances(api, {"Account": account}) == {"123456": Decimal(10)}


# -- SetAccount with plans and triggers -----------------------------------------------------------

def test_set_account_links_plans_and_copies_trigger_groups(store_api: Api) -> None:
    key = {"Tenant": "cgrates.org", "Account": unique("plan")}
    assert store_api.ok("APIerSv2.SetAccount", {**key, "ActionPlanIDs": ["PACKAGE_MONTHLY"],
                                                "ActionTriggerIDs": ["STANDARD_TRIGGERS"]}) == "OK"
    plans = store_api.ok("APIerSv1.GetAccountActionPlan", key)
    assert [(p["ActionPlanId"], p["ActionsId"]) for p in plans] == [
        ("PACKAGE_MONTHLY", "TOPUP_RST_10")]
    triggers = store_api.ok("APIerSv1.GetAccountActionTriggers", key)
    assert sorted(t["UniqueID"] for t in triggers) == ["HIGH_BALANCE", "LOW_BALANCE",
                                                       "MANY_CALLS_1003"]
    assert store_api.ok("APIerSv1.RemoveAccount", key) == "OK"
    assert store_api.ok("APIerSv1.GetAccountActionPlan", key) == []  # unlinked from its plans


def test_set_account_with_unknown_plans_or_triggers_changes_nothing(store_api: Api) -> None:
    key = {"Tenant": "cgrates.org", "Account": unique("plan")}
    before = snapshot(store_api.daemon.store)
    assert store_api.error("APIerSv1.SetAccount", {**key, "ActionPlanID": "NOPE"}) \
        == "SERVER_ERROR: NOT_FOUND"
    assert store_api.error("APIerSv2.SetAccount", {**key, "ActionTriggerIDs": ["NOPE"]}) \
        == "SERVER_ERROR: NOT_FOUND"
    assert snapshot(store_api.daemon.store) == before


# -- actions ---------------------------------------------------------------------------------------

def test_actions_are_set_read_executed_and_removed(api: Api) -> None:
    actions_id, key = unique("ACT"), new_account(api)
    action = {"Identifier": "*topup", "BalanceType": "*monetary", "BalanceId": "gift",
              "Units": 4, "Weight": 10}
    assert api.ok("APIerSv1.SetActions", {"ActionsId": actions_id, "Actions": [action]}) == "OK"
    (read,) = api.ok("APIerSv1.GetActions", actions_id)
    assert (read["Identifier"], read["BalanceId"], read["Units"]) == ("*topup", "gift", "4")
    v2 = api.ok("APIerSv2.GetActions", {"ActionIDs": [actions_id]})
    assert v2[actions_id][0]["ActionType"] == "*topup"
    assert api.ok("APIerSv1.ExecuteAction", {**key, "ActionsId": actions_id}) == "OK"
    assert balances(api, key) == {"gift": Decimal(4)}
    assert api.ok("APIerSv2.SetActions", {"ActionsId": actions_id, "Overwrite": True, "Actions": [
        {**action, "Units": "1.5"}]}) == "OK"
    assert api.ok("APIerSv1.ExecuteAction", {**key, "ActionsId": actions_id}) == "OK"
    assert balances(api, key) == {"gift": Decimal("5.5")}
    assert api.ok("APIerSv1.RemoveActions", {"ActionIDs": [actions_id]}) == "OK"
    assert api.error("APIerSv1.GetActions", actions_id) == "NOT_FOUND"


def test_action_errors_change_nothing(api: Api) -> None:
    before = snapshot(api.daemon.store)
    topup = {"Identifier": "*topup", "BalanceType": "*monetary", "Weight": 10}
    cases: list[tuple[str, Any, str]] = [
        ("APIerSv1.SetActions", {"ActionsId": "TOPUP_RST_10", "Actions": [{**topup, "Units": 1}]},
         "EXISTS"),
        ("APIerSv1.SetActions", {"ActionsId": unique("A"), "Actions": [topup]},
         "MANDATORY_IE_MISSING:Action:*topup:[Units]"),
        ("APIerSv1.SetActions", {"Actions": []}, "MANDATORY_IE_MISSING: [ActionsId Actions]"),
        ("APIerSv1.GetActions", unique("A"), "NOT_FOUND"),
        ("APIerSv1.ExecuteAction", {"Tenant": "cgrates.org", "Account": "1001",
                                    "ActionsId": unique("A")}, "NOT_FOUND"),
        ("APIerSv1.RemoveActions", {}, "NOT_FOUND"),
    ]
    for method, params, text in cases:
        assert api.error(method, params) == text, (method, params)
    assert snapshot(api.daemon.store) == before


# -- action plans and the scheduler ------------------------------------------------------------------

def test_action_plans_are_set_read_run_and_removed(api: Api) -> None:
    plan_id, key = unique("AP"), new_account(api)
    monthly = {"ActionsId": "TOPUP_RST_10", "MonthDays": "1", "Time": "00:00:00", "Weight": 10}
    assert api.ok("APIerSv1.SetActionPlan", {"Id": plan_id, "ActionPlan": [monthly]}) == "OK"
    (plan,) = api.ok("APIerSv1.GetActionPlan", {"ID": plan_id})
    assert plan["Id"] == plan_id and plan["ActionTimings"][0]["ActionsID"] == "TOPUP_RST_10"
    assert api.ok("APIerSv1.SetAccount", {**key, "ActionPlanID": plan_id}) == "OK"
    scheduled = api.ok("APIerSv1.GetScheduledActions", {"Tenant": "cgrates.org",
                                                        "Account": key["Account"]})
    assert [s["ActionPlanID"] for s in scheduled] == [plan_id]
    assert scheduled[0]["NextRunTime"].endswith("-01T00:00:00Z")
    assert api.ok("SchedulerSv1.ExecuteActionPlans", {"ActionPlanIDs": [plan_id],
                                                      "Tenant": "cgrates.org",
                                                      "AccountID": key["Account"]}) == "OK"
    assert balances(api, key) == {"*default": Decimal(10)}
    assert api.ok("APIerSv1.ReloadScheduler", {}) == "OK"
    assert api.ok("SchedulerSv1.Reload", "") == "OK"
    timing = plan["ActionTimings"][0]["Uuid"]
    assert api.ok("APIerSv1.RemoveActionTiming", {"ActionPlanId": plan_id,
                                                  "ActionTimingId": timing}) == "OK"
    assert api.ok("APIerSv1.RemoveActionPlan", {"ID": plan_id}) == "OK"
    assert api.error("APIerSv1.RemoveActionPlan", {"ID": plan_id}) == "NOT_FOUND"


def test_action_plan_errors_change_nothing(api: Api) -> None:
    before = snapshot(api.daemon.store)
    asap = {"ActionsId": "TOPUP_RST_10", "Time": "*asap", "Weight": 10}
    cases: list[tuple[str, Any, str]] = [
        ("APIerSv1.SetActionPlan", {"Id": "PACKAGE_1001", "ActionPlan": [asap]}, "EXISTS"),
        ("APIerSv1.SetActionPlan", {"Id": unique("AP"), "ActionPlan": [
            {**asap, "ActionsId": "NOPE"}]}, "BROKEN_REFERENCE:NOPE"),
        ("APIerSv1.SetActionPlan", {"Id": unique("AP"), "ActionPlan": [
            {**asap, "Time": "*fortnightly"}]}, "UNSUPPORTED_FORMAT:*fortnightly"),
        ("APIerSv1.SetActionPlan", {"Id": unique("AP"), "ActionPlan": [
            {"ActionsId": "A", "Weight": 10}]}, "MANDATORY_IE_MISSING:Action:A:[Time]"),
        ("APIerSv1.RemoveActionPlan", {"ID": unique("AP")}, "NOT_FOUND"),
        ("APIerSv1.RemoveActionPlan", {}, "MANDATORY_IE_MISSING: [ID]"),
        ("SchedulerSv1.ExecuteActionPlans", {}, "MANDATORY_IE_MISSING: [ActionPlanIDs]"),
    ]
    for method, params, text in cases:
        assert api.error(method, params) == text, (method, params)
    assert snapshot(api.daemon.store) == before


# -- triggers -----------------------------------------------------------------------------------------

def test_account_triggers_are_set_reset_read_and_removed(store_api: Api) -> None:
    key = new_account(store_api)
    trigger = {"ThresholdType": "*min_balance", "ThresholdValue": 2, "BalanceType": "*monetary",
               "ActionsID": "LOG_WARNING"}
    assert store_api.ok("APIerSv1.SetAccountActionTriggers",
                        {**key, "GroupID": "G1", "UniqueID": "u1", "ActionTrigger": trigger}) \
        == "OK"
    assert store_api.ok("APIerSv1.ResetAccountActionTriggers",
                        {**key, "GroupID": "G1", "Executed": True}) == "OK"
    (read,) = store_api.ok("APIerSv1.GetAccountActionTriggers", key)
    assert (read["ID"], read["UniqueID"], read["ThresholdValue"], read["Executed"]) == (
        "G1", "u1", 2, True)
    assert store_api.ok("APIerSv1.AddAccountActionTriggers",
                        {**key, "ActionTriggerIDs": ["STANDARD_TRIGGERS"]}) == "OK"
    assert len(store_api.ok("APIerSv1.GetAccountActionTriggers", key)) == 4
    assert store_api.ok("APIerSv1.RemoveAccountActionTriggers", {**key, "GroupID": "G1"}) == "OK"
    assert len(store_api.ok("APIerSv1.GetAccountActionTriggers", key)) == 3


def test_stored_trigger_groups_are_set_read_and_removed(api: Api) -> None:
    group = unique("GT")
    trigger = {"ThresholdType": "*max_balance", "ThresholdValue": 50, "ActionsID": "LOG_WARNING"}
    assert api.ok("APIerSv1.SetActionTrigger", {"GroupID": group, "UniqueID": "u1",
                                                "ActionTrigger": trigger}) == "OK"
    (read,) = api.ok("APIerSv1.GetActionTriggers", {"GroupIDs": [group]})
    assert (read["ID"], read["ThresholdType"], read["ThresholdValue"]) == (
        group, "*max_balance", 50)
    key = new_account(api)
    assert api.ok("APIerSv1.AddTriggeredAction", {**key, "ActionTriggersId": group,
                                                  "ThresholdType": "*min_balance",
                                                  "ThresholdValue": 1, "ActionsId": "LOG_WARNING",
                                                  "BalanceType": "*monetary"}) == "OK"
    assert [t["ID"] for t in api.ok("APIerSv1.GetAccountActionTriggers", key)] == [group]
    assert api.ok("APIerSv1.RemoveActionTrigger", {"GroupID": group}) == "OK"
    assert api.error("APIerSv1.GetActionTriggers", {"GroupIDs": [group]}) == "NOT_FOUND"


def test_trigger_errors_change_nothing(store_api: Api) -> None:
    key = new_account(store_api)
    before = snapshot(store_api.daemon.store)
    cases: list[tuple[str, Any, str]] = [
        ("APIerSv1.SetAccountActionTriggers", {**key, "GroupID": "G",
                                               "ActionTrigger": {"ThresholdValue": 2}},
         "MANDATORY_IE_MISSING: [ThresholdType]"),
        ("APIerSv1.AddAccountActionTriggers", {**key, "ActionTriggerIDs": ["NOPE"]},
         "NOT_FOUND"),
        ("APIerSv1.GetAccountActionTriggers", {**key, "Account": unique("nobody")}, "NOT_FOUND"),
        ("APIerSv1.SetActionTrigger", {"ActionTrigger": {}}, "MANDATORY_IE_MISSING: [GroupID]"),
        ("APIerSv1.ResetAccountActionTriggers", {"Tenant": "cgrates.org"},
         "MANDATORY_IE_MISSING: [Account]"),
    ]
    for method, params, text in cases:
        assert store_api.error(method, params) == text, (method, params)
    assert snapshot(store_api.daemon.store) == before


# -- CDRs ------------------------------------------------------------------------------------------------

def test_cdrs_are_processed_and_queried(api: Api) -> None:
    account = unique("cdr")
    cdr = {"OriginID": unique("o"), "OriginHost": "127.0.0.1", "ToR": "*voice",
           "RequestType": "*rated", "Tenant": "cgrates.org", "Category": "call",
           "Account": account, "Subject": "1001", "Destination": "1002",
           "SetupTime": "2014-08-04T13:00:00Z", "AnswerTime": "2014-08-04T13:00:00Z",
           "Usage": 60 * SECOND}
    assert api.ok("CDRsV1.ProcessCDR", cdr) == "OK"
    (v2,) = api.ok("APIerSv2.GetCDRs", {"Accounts": [account]})
    assert (v2["OriginID"], v2["Usage"], v2["Destination"]) == (cdr["OriginID"], "1m0s", "1002")
    assert len(api.ok("APIerSv1.GetCDRs", {"Accounts": [account]})) == 1
    assert len(api.ok("CDRsV2.GetCDRs", {"Accounts": [account]})) == 1
    assert api.ok("CDRsV1.GetCDRsCount", {"Accounts": [account]}) == 1
    assert api.error("CDRsV1.GetCDRs", {"Accounts": [unique("nobody")]}) == "NOT_FOUND"
    assert api.error("APIerSv1.GetEventCost", {"CgrId": v2["CGRID"]}) == "NOT_FOUND"  # unrated
    assert api.error("APIerSv1.GetEventCost", {}) == "MANDATORY_IE_MISSING: [CgrId]"


def test_the_event_cost_of_a_rated_cdr_is_read_back(api: Api) -> None:
    cost = api.ok("APIerSv1.GetCost", {"Tenant": "cgrates.org", "Subject": "1001",
                                       "Destination": "1002", "Usage": "1m",
                                       "AnswerTime": "2014-08-04T13:00:00Z"})
    origin = unique("o")
    assert api.ok("CDRsV1.ProcessCDR", {
        "OriginID": origin, "OriginHost": "127.0.0.1", "ToR": "*voice", "RequestType": "*rated",
        "Tenant": "cgrates.org", "Account": "1001", "Subject": "1001", "Destination": "1002",
        "AnswerTime": "2014-08-04T13:00:00Z", "Usage": 60 * SECOND, "Cost": cost["Cost"],
        "CostDetails": cost, "PreRated": True}) == "OK"
    (cdr,) = api.ok("APIerSv2.GetCDRs", {"OriginIDs": [origin]})
    stored = api.ok("APIerSv1.GetEventCost", {"CgrId": cdr["CGRID"], "RunId": "*default"})
    assert (stored["Cost"], stored["Usage"], stored["Charges"]) == (
        Decimal("0.6"), 60 * SECOND, cost["Charges"])
