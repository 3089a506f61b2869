"""Rejected engine requests change nothing, and pipelined engine requests are answered by id,
against a real `callmeter run` (SQLite) over TCP and HTTP."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from agent.rpc import jsonvalue

from .live import Api, LiveDaemon, balance_values, raw_exchange, seed_account, snapshot, unique

SECOND = 1_000_000_000
CD = {"Tenant": "cgrates.org", "Category": "call", "Subject": "1001", "Account": "1001",
      "Destination": "1002", "TimeStart": "2014-08-04T13:00:00Z",
      "TimeEnd": "2014-08-04T13:01:00Z"}
USAGE = {"Tenant": "cgrates.org", "Account": "1001", "Destination": "1002", "Usage": "1m",
         "AnswerTime": "2014-08-04T13:00:00Z"}

#: (method, params, expected error or its start): every one must change nothing.
REJECTED: list[tuple[str, Any, str]] = [
    ("Responder.Debit", {**CD, "Account": "nobody-here"}, "ACCOUNT_NOT_FOUND"),
    ("Responder.Debit", {**CD, "TimeEnd": "2014-08-09T00:00:00Z"}, "MAX_USAGE_EXCEEDED"),
    ("Responder.Debit", {**CD, "Destination": "999"}, "UNAUTHORIZED_DESTINATION"),
    ("Responder.Debit", {**CD, "LoopIndex": "zero"}, "SERVER_ERROR: field LoopIndex"),
    ("Responder.Debit", {**CD, "Increments": [{"Cost": "x"}]}, "SERVER_ERROR: field Increments"),
    ("Responder.MaxDebit", {**CD, "ForceDuration": True, "Account": "1002",
                            "TimeEnd": "2014-08-04T16:00:00Z"}, "INSUFFICIENT_CREDIT"),
    ("Responder.MaxDebit", {**CD, "TimeStart": 12}, "SERVER_ERROR: field TimeStart"),
    ("Responder.GetMaxSessionTime", {**CD, "Tenant": "nosuch.org"}, "ACCOUNT_NOT_FOUND"),
    ("Responder.GetCost", [1, 2], "SERVER_ERROR: params"),
    ("Responder.RefundIncrements", {**CD, "Account": "nobody-here", "Increments": [
        {"Cost": 1, "BalanceInfo": {"Monetary": {"UUID": "u"}}}]}, "ACCOUNT_NOT_FOUND"),
    ("Responder.RefundRounding", {**CD, "TimeEnd": "2014-08-09T00:00:00Z"},
     "MAX_USAGE_EXCEEDED"),
    ("APIerSv1.DebitUsage", {**USAGE, "Account": "nobody-here"}, "SERVER_ERROR: ACCOUNT_NOT_FOUND"),
    ("APIerSv1.DebitUsage", {**USAGE, "Usage": "forever"}, "SERVER_ERROR: field Usage"),
    ("APIerSv1.DebitUsageWithOptions", {"UsageRecord": {**USAGE, "Destination": "999"}},
     "SERVER_ERROR: UNAUTHORIZED_DESTINATION"),
    ("APIerSv1.GetMaxUsage", {**USAGE, "SetupTime": "later", "AnswerTime": ""},
     "SERVER_ERROR: AnswerTime"),
    ("APIerSv1.SetAccount", {"Tenant": "cgrates.org", "Account": ""},
     "MANDATORY_IE_MISSING: [Account]"),
    ("APIerSv1.SetAccount", {"Tenant": "cgrates.org", "Account": "x",
                             "ExtraOptions": {"AllowNegative": "yes"}},
     "SERVER_ERROR: field ExtraOptions.AllowNegative"),
    ("APIerSv1.RemoveAccount", {"Tenant": "cgrates.org", "Account": "nobody-here"}, "NOT_FOUND"),
    ("APIerSv1.SetDestination", {"Id": "DST_1002", "Prefixes": ["1"]}, "EXISTS"),
    ("APIerSv1.SetDestination", {"Id": "DST_NEW", "Prefixes": [""]}, "SERVER_ERROR: prefix"),
    ("APIerSv1.SetRatingProfile", {"Tenant": "cgrates.org", "Category": "call", "Subject": "s",
                                   "RatingPlanActivations": [
                                       {"ActivationTime": "2014-01-01T00:00:00Z",
                                        "RatingPlanId": "RP_1001"},
                                       {"ActivationTime": "2015-01-01T00:00:00Z",
                                        "RatingPlanId": "RP_NOPE"}]},
     "NOT_FOUND:RatingPlanId:RP_NOPE"),
    ("APIerSv1.LoadTariffPlanFromFolder", {"FolderPath": "/nonexistent"}, "INVALID_PATH"),
    ("APIerSv1.LoadTariffPlanFromFolder", {"FolderPath": "/etc", "DryRun": "no"},
     "SERVER_ERROR: field DryRun"),
    ("APIerSv1.ImportTariffPlanFromFolder", {"TPid": "T", "FolderPath": "/nonexistent"},
     "INVALID_PATH"),
    ("APIerSv1.ImportTariffPlanFromFolder", {"TPid": "T", "FolderPath": "/",
                                             "CsvSeparator": "ab"},
     "SERVER_ERROR: Invalid field separator"),
    ("APIerSv1.GetCost", {"Tenant": "cgrates.org", "Subject": "1001", "Destination": "1002",
                          "AnswerTime": "teatime", "Usage": "1m"}, "SERVER_ERROR: AnswerTime"),
]


@pytest.mark.parametrize(("method", "params", "expected"), REJECTED,
                         ids=[f"{m}-{i}" for i, (m, _, _) in enumerate(REJECTED)])
def test_every_rejected_engine_request_leaves_the_store_unchanged(
        api: Api, method: str, params: Any, expected: str) -> None:
    before = snapshot(api.daemon.store)
    assert api.error(method, params).startswith(expected)
    assert snapshot(api.daemon.store) == before


def test_100_pipelined_max_session_time_requests_are_answered_by_id(
        live_sqlite: LiveDaemon) -> None:
    account = seed_account(live_sqlite.store, unique("pipe"), [("*monetary", "*default", "0.5")])
    requests = []
    for i in range(100):  # 0.01/s; 1003: MaxCost 0.12 *disconnect; 1004: free after 0.5
        end = f"2014-08-04T13:{i // 60:02d}:{i % 60:02d}Z"
        destination = "1003" if i % 2 else "1004"
        requests.append({"method": "Responder.GetMaxSessionTime", "id": f"r{i}", "params": [
            {**CD, "Account": account, "Destination": destination, "TimeEnd": end}]})
    data = b"".join(json.dumps(r).encode() for r in requests)
    replies = raw_exchange(live_sqlite.proc.rpc_port, data, 100)
    by_id = {reply["id"]: reply for reply in replies}
    assert sorted(by_id) == sorted(r["id"] for r in requests)
    for i in range(100):
        expected = (min(i, 12) if i % 2 else i) * SECOND
        assert by_id[f"r{i}"] == {"id": f"r{i}", "result": expected, "error": None}


def test_pipelined_debits_on_one_account_are_all_applied_exactly_once(
        live_sqlite: LiveDaemon) -> None:
    account = seed_account(live_sqlite.store, unique("pipe"), [("*monetary", "*default", "10")])
    call = {**CD, "Account": account, "Destination": "1003", "TimeEnd": "2014-08-04T13:00:01Z"}
    requests = [jsonvalue.dumps({"method": "Responder.Debit", "id": i, "params": [call]})
                for i in range(60)]
    replies = raw_exchange(live_sqlite.proc.rpc_port, "".join(requests).encode(), 60)
    assert sorted(r["id"] for r in replies) == list(range(60))
    assert all(r["error"] is None and r["result"]["Cost"] == Decimal("0.01") for r in replies)
    assert balance_values(live_sqlite.store, account) == {"*default": Decimal("9.4")}
