"""Fuzzing the engine-backed methods against the real Engine on a real SQLite file.

Realistic requests of every method the EngineAdapter serves (charging, accounts, usage
records, rating data, tariff-plan loading) are mutated by hypothesis: fields replaced by
arbitrary JSON, dropped, renamed, or their bytes damaged. Every reply must be well formed
and free of internal errors, and the store must be unchanged after every rejected request.
Requests per run: CALLMETER_ENGINE_FUZZ_EXAMPLES (default 1,000); each one snapshots the
whole store before and after, so this suite is smaller than the dispatcher's fuzz.
"""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.config import Config
from agent.rpc import jsonvalue
from agent.rpc.dispatcher import Dispatcher
from agent.rpc.wiring import make_dispatcher
from rating.engine import Engine
from rating.store import Store
from rating.store.sqlite import SqliteStore

from .live import TUTORIAL, seed_account, snapshot
from .test_fuzz import json_values, mutate

TOTAL = int(os.environ.get("CALLMETER_ENGINE_FUZZ_EXAMPLES", "1000"))
BATCH = 10
NOW = datetime(2014, 8, 4, 13, tzinfo=UTC)

CD = {"Tenant": "cgrates.org", "Category": "call", "Subject": "1001", "Account": "fuzz",
      "Destination": "1002", "TimeStart": "2014-08-04T13:00:00Z",
      "TimeEnd": "2014-08-04T13:01:10Z"}
USAGE = {"Tenant": "cgrates.org", "Account": "fuzz", "Subject": "1001", "Destination": "1003",
         "AnswerTime": "2014-08-04T13:00:00Z", "Usage": "10s"}
ACCOUNT = {"Tenant": "cgrates.org", "Account": "fuzz"}
INCREMENT = {"Duration": 1_000_000_000, "Cost": 0.01, "CompressFactor": 2,
             "BalanceInfo": {"Monetary": {"UUID": "u"}, "AccountID": "cgrates.org:fuzz"}}

CORPUS: list[tuple[str, Any]] = [
    ("Responder.GetCost", CD),
    ("Responder.Debit", CD),
    ("Responder.MaxDebit", {**CD, "Destination": "1003", "ForceDuration": True}),
    ("Responder.GetMaxSessionTime", CD),
    ("Responder.RefundIncrements", {**CD, "Increments": [INCREMENT]}),
    ("Responder.RefundRounding", {**CD, "Increments": [INCREMENT]}),
    ("APIerSv1.GetCost", {**USAGE, "Usage": "2m10s"}),
    ("APIerSv1.GetMaxUsage", USAGE),
    ("APIerSv1.DebitUsage", USAGE),
    ("APIerSv1.DebitUsageWithOptions", {"UsageRecord": USAGE, "AllowNegativeAccount": False}),
    ("APIerSv2.GetAccount", ACCOUNT),
    ("APIerSv1.GetAccount", ACCOUNT),
    ("APIerSv2.GetAccounts", {"Tenant": "cgrates.org", "Offset": 1, "Limit": 2,
                              "Filter": {"Disabled": False}}),
    ("APIerSv1.GetAccountsCount", {"Tenant": "cgrates.org"}),
    ("APIerSv1.SetAccount", {**ACCOUNT, "ExtraOptions": {"AllowNegative": False}}),
    ("APIerSv1.RemoveAccount", {"Tenant": "cgrates.org", "Account": "1004"}),
    ("APIerSv1.SetDestination", {"Id": "DST_FUZZ", "Prefixes": ["55", "56"]}),
    ("APIerSv1.GetDestination", "DST_1002"),
    ("APIerSv1.GetRatingPlan", "RP_1001"),
    ("APIerSv1.SetRatingProfile", {"Tenant": "cgrates.org", "Category": "call",
                                   "Subject": "FUZZ", "RatingPlanActivations": [
                                       {"ActivationTime": "2014-01-01T00:00:00Z",
                                        "RatingPlanId": "RP_1001", "FallbackSubjects": "1002"}]}),
    ("APIerSv1.GetRatingProfile", {"Tenant": "cgrates.org", "Category": "call",
                                   "Subject": "1001"}),
    ("APIerSv1.LoadTariffPlanFromFolder", {"FolderPath": str(TUTORIAL), "DryRun": True}),
    ("APIerSv1.ImportTariffPlanFromFolder", {"TPid": "FUZZ", "FolderPath": str(TUTORIAL)}),
    ("APIerSv1.LoadTariffPlanFromStorDb", {"TPid": "FUZZ", "DryRun": True}),
    # the actions engine
    ("APIerSv1.SetBalance", {**ACCOUNT, "BalanceType": "*monetary", "Value": 3,
                             "Balance": {"ID": "b", "Weight": 10, "DestinationIDs": "DST_1002",
                                         "ExpiryTime": "*month_end"}}),
    ("APIerSv1.AddBalance", {**ACCOUNT, "BalanceType": "*voice", "Value": 60_000_000_000,
                             "BalanceId": "v", "Overwrite": False}),
    ("APIerSv1.DebitBalance", {**ACCOUNT, "BalanceType": "*monetary", "Value": 1,
                               "Balance": {"ID": "*default"}}),
    ("APIerSv1.RemoveBalances", {**ACCOUNT, "BalanceType": "*voice", "Balance": {"ID": "v"}}),
    ("APIerSv1.SetActions", {"ActionsId": "FUZZ_ACT", "Overwrite": True, "Actions": [
        {"Identifier": "*topup", "BalanceType": "*monetary", "Units": 1, "Weight": 10,
         "BalanceId": "g", "ExpiryTime": "+1h"}]}),
    ("APIerSv2.SetActions", {"ActionsId": "FUZZ_ACT2", "Overwrite": True, "Actions": [
        {"Identifier": "*debit", "BalanceType": "*voice", "Units": "10s", "Weight": 10}]}),
    ("APIerSv1.ExecuteAction", {**ACCOUNT, "ActionsId": "TOPUP_RST_10"}),
    ("APIerSv1.SetActionPlan", {"Id": "FUZZ_AP", "Overwrite": True, "ActionPlan": [
        {"ActionsId": "TOPUP_RST_10", "MonthDays": "1", "Time": "00:00:00", "Weight": 10}]}),
    ("APIerSv2.SetAccount", {**ACCOUNT, "ActionPlanIDs": ["PACKAGE_MONTHLY"],
                             "ActionTriggerIDs": ["STANDARD_TRIGGERS"],
                             "ExtraOptions": {"Disabled": False}}),
    ("APIerSv1.SetAccountActionTriggers", {**ACCOUNT, "GroupID": "G", "ActionTrigger": {
        "ThresholdType": "*min_balance", "ThresholdValue": 2, "BalanceType": "*monetary",
        "ActionsID": "LOG_WARNING"}}),
    ("APIerSv1.ResetAccountActionTriggers", {**ACCOUNT, "GroupID": "G", "Executed": False}),
    ("CDRsV1.ProcessCDR", {"OriginID": "o", "OriginHost": "h", "ToR": "*voice",
                           "RequestType": "*rated", "Tenant": "cgrates.org", "Account": "fuzz",
                           "Destination": "1002", "AnswerTime": "2014-08-04T13:00:00Z",
                           "Usage": 60_000_000_000}),
    ("APIerSv2.GetCDRs", {"Accounts": ["fuzz"], "Limit": 5}),
]


class Target:
    """The dispatcher over a real Engine and SQLite file, with one funded account."""

    def __init__(self, directory: Path) -> None:
        self.store: Store = SqliteStore(directory / "fuzz.db", synchronous="normal")
        engine = Engine(self.store, clock=lambda: NOW, new_id=lambda: str(uuid.uuid4()))
        assert engine.load_folder(str(TUTORIAL)).ok
        self.dispatcher: Dispatcher = make_dispatcher(Config(), self.store, engine=engine)
        self.refill()

    def refill(self) -> None:
        seed_account(self.store, "fuzz", [("*monetary", "*default", "10")])


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    target = Target(tmp_path_factory.mktemp("fuzz-engine"))
    yield target
    target.store.close()


@st.composite
def engine_requests(draw: st.DrawFn) -> dict[str, Any]:
    method, params = draw(st.sampled_from(CORPUS))
    if isinstance(params, dict):
        params = dict(params)
        for key in draw(st.lists(st.sampled_from(sorted(params)), max_size=3)):
            action = draw(st.sampled_from(["replace", "drop", "case", "nest"]))
            if action == "replace":
                params[key] = draw(json_values)
            elif action == "drop":
                params.pop(key, None)
            elif action == "case":
                params[key.lower()] = params.pop(key, None)
            else:
                params[key] = {"x": params.get(key)}
    elif draw(st.booleans()):
        params = draw(json_values)
    return {"method": method, "params": [params], "id": draw(st.integers(0, 1000))}


def _check(target: Target, data: bytes) -> None:
    before = snapshot(target.store)
    reply = target.dispatcher.handle_text(data)
    assert reply is not None and set(reply) == {"id", "result", "error"}, (data, reply)
    assert "internal error" not in str(reply["error"]), (data, reply)
    if reply["error"] is not None:
        assert isinstance(reply["error"], str) and reply["result"] is None
        assert snapshot(target.store) == before, (data, reply)
    jsonvalue.dumps(reply)  # every result can be written back


@settings(max_examples=max(TOTAL // BATCH, 1), deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(docs=st.lists(engine_requests(), min_size=BATCH // 2, max_size=BATCH // 2),
       rnd=st.randoms(use_true_random=False))
def test_rejected_engine_requests_change_nothing_and_every_reply_is_well_formed(
        target: Target, docs: list[dict[str, Any]], rnd: random.Random) -> None:
    texts = [jsonvalue.dumps(doc).encode() for doc in docs]
    texts += [mutate(text, rnd) for text in texts]
    for data in texts:
        try:
            jsonvalue.loads(data)
        except Exception:
            continue  # unparseable bytes: the dispatcher fuzz covers them
        _check(target, data)
    target.refill()
