"""Tariff-plan staging over the API: every TP object through Set, Get, GetIds, Remove."""

from __future__ import annotations

from typing import Any

import pytest

from agent.rpc.schemas_tp import TP_OBJECTS, TpObject

from .support import snapshot

SAMPLES: dict[str, dict[str, Any]] = {
    "Destinations": {"ID": "DST_1002", "Prefixes": ["1002", "+491002"]},
    "Timings": {
        "ID": "WORKDAYS",
        "Years": "*any",
        "Months": "*any",
        "MonthDays": "*any",
        "WeekDays": "1;2;3;4;5",
        "Time": "08:00:00",
    },
    "Rates": {
        "ID": "RT_1CNT",
        "RateSlots": [
            {
                "ConnectFee": 0.1,
                "Rate": 0.01,
                "RateUnit": "1s",
                "RateIncrement": "1s",
                "GroupIntervalStart": "0s",
            }
        ],
    },
    "DestinationRates": {
        "ID": "DR_1",
        "DestinationRates": [
            {
                "DestinationId": "DST_1002",
                "RateId": "RT_1CNT",
                "RoundingMethod": "*up",
                "RoundingDecimals": 4,
                "MaxCost": 0.6,
                "MaxCostStrategy": "*disconnect",
            }
        ],
    },
    "RatingPlans": {
        "ID": "RP_1",
        "RatingPlanBindings": [{"DestinationRatesId": "DR_1", "TimingId": "*any", "Weight": 10}],
    },
    "RatingProfiles": {
        "LoadId": "L1",
        "Tenant": "cgrates.org",
        "Category": "call",
        "Subject": "*any",
        "RatingPlanActivations": [
            {
                "ActivationTime": "2014-01-14T00:00:00Z",
                "RatingPlanId": "RP_1",
                "FallbackSubjects": "",
            }
        ],
    },
    "SharedGroups": {
        "ID": "SG_1",
        "SharedGroups": [{"Account": "*any", "Strategy": "*lowest", "RatingSubject": ""}],
    },
    "Actions": {
        "ID": "ACT_TOPUP",
        "Actions": [
            {
                "Identifier": "*topup_reset",
                "BalanceType": "*monetary",
                "Units": "10",
                "ExpiryTime": "*unlimited",
                "Weight": 10,
            }
        ],
    },
    "ActionPlans": {
        "ID": "AP_1",
        "ActionPlan": [{"ActionsId": "ACT_TOPUP", "TimingId": "*asap", "Weight": 10}],
    },
    "ActionTriggers": {
        "ID": "STANDARD_TRIGGERS",
        "ActionTriggers": [
            {
                "Id": "STANDARD_TRIGGERS",
                "UniqueID": "u1",
                "ThresholdType": "*min_balance",
                "ThresholdValue": 2,
                "BalanceType": "*monetary",
                "ActionsId": "LOG",
                "Weight": 10,
            }
        ],
    },
    "AccountActions": {
        "LoadId": "L1",
        "Tenant": "cgrates.org",
        "Account": "1001",
        "ActionPlanId": "AP_1",
        "ActionTriggersId": "STANDARD_TRIGGERS",
        "AllowNegative": False,
        "Disabled": False,
    },
}
IDS = {"RatingProfiles": "L1:cgrates.org:call:*any", "AccountActions": "L1:cgrates.org:1001"}
OBJECTS = [pytest.param(obj, id=obj.kind) for obj in TP_OBJECTS]


def _get_args(obj: TpObject, tpid: str = "TP1") -> dict[str, Any]:
    name = obj.get_id_field or obj.id_field
    return {"TPid": tpid, name: IDS.get(obj.kind) or SAMPLES[obj.kind]["ID"]}


def test_every_tp_object_has_a_sample() -> None:
    assert {obj.kind for obj in TP_OBJECTS} == set(SAMPLES)


@pytest.mark.parametrize("obj", OBJECTS)
def test_a_staged_document_reads_back_with_every_field(rpc: Any, obj: TpObject) -> None:
    assert (
        rpc(f"APIerSv1.SetTP{obj.singular}", [{"TPid": "TP1", **SAMPLES[obj.kind]}])["result"]
        == "OK"
    )
    staged = rpc(f"APIerSv1.GetTP{obj.singular}", [_get_args(obj)])["result"]
    assert set(staged) == {f.name for f in obj.set_schema.fields if not f.legacy}
    for name, value in SAMPLES[obj.kind].items():
        if not isinstance(value, list):
            assert staged[name] == value, name
    assert rpc(f"APIerSv1.{obj.ids_method}", [{"TPid": "TP1"}])["result"] == [
        _get_args(obj)[obj.get_id_field or obj.id_field]
    ]


@pytest.mark.parametrize("obj", OBJECTS)
def test_a_removed_document_is_not_found_and_its_tpid_disappears(rpc: Any, obj: TpObject) -> None:
    rpc(f"APIerSv1.SetTP{obj.singular}", [{"TPid": "TP1", **SAMPLES[obj.kind]}])
    assert rpc(f"APIerSv1.RemoveTP{obj.singular}", [_get_args(obj)])["result"] == "OK"
    assert rpc(f"APIerSv1.GetTP{obj.singular}", [_get_args(obj)])["error"] == "NOT_FOUND"
    assert rpc(f"APIerSv1.{obj.ids_method}", [{"TPid": "TP1"}])["error"] == "NOT_FOUND"
    assert rpc("APIerSv1.GetTPIds", [{}])["error"] == "NOT_FOUND"


@pytest.mark.parametrize("obj", OBJECTS)
def test_a_rejected_set_leaves_the_store_unchanged(rpc: Any, store: Any, obj: TpObject) -> None:
    rpc(f"APIerSv1.SetTP{obj.singular}", [{"TPid": "TP1", **SAMPLES[obj.kind]}])
    before = snapshot(store)
    assert rpc(f"APIerSv1.SetTP{obj.singular}", [{"ID": "x"}])["error"].startswith(
        "MANDATORY_IE_MISSING"
    )
    assert rpc(f"APIerSv1.SetTP{obj.singular}", [{**SAMPLES[obj.kind], "TPid": 7}])["error"] == (
        "SERVER_ERROR: field TPid: expected a string, got number"
    )
    assert snapshot(store) == before


def test_a_v0_10_set_replaces_the_staged_document(rpc: Any) -> None:
    rpc("APIerSv1.SetTPDestination", [{"TPid": "TP1", "ID": "D", "Prefixes": ["1"]}])
    assert (
        rpc("APIerSv1.SetTPDestination", [{"TPid": "TP1", "ID": "D", "Prefixes": ["2"]}])["result"]
        == "OK"
    )
    assert rpc("APIerSv1.GetTPDestination", [{"TPid": "TP1", "ID": "D"}])["result"]["Prefixes"] == [
        "2"
    ]


def test_an_old_dialect_set_of_a_staged_id_is_duplicate(rpc: Any) -> None:
    rpc("APIerSv1.SetTPDestination", [{"TPid": "TP1", "ID": "D", "Prefixes": ["1"]}])
    reply = rpc(
        "ApierV1.SetTPDestination", [{"TPid": "TP1", "DestinationId": "D", "Prefixes": ["2"]}]
    )
    assert reply["error"] == "DUPLICATE"


def test_tp_ids_lists_every_tpid_and_rem_tp_drops_one(rpc: Any) -> None:
    for tpid in ("TP_A", "TP_B"):
        rpc("APIerSv1.SetTPDestination", [{"TPid": tpid, "ID": "D", "Prefixes": ["1"]}])
        rpc("APIerSv1.SetTPTiming", [{"TPid": tpid, **SAMPLES["Timings"]}])
    assert rpc("APIerSv1.GetTPIds", [{}])["result"] == ["TP_A", "TP_B"]
    assert rpc("APIerSv1.RemTP", [{"TPid": "TP_A"}])["result"] == "OK"
    assert rpc("APIerSv1.GetTPIds", [{}])["result"] == ["TP_B"]
    assert rpc("APIerSv1.GetTPDestination", [{"TPid": "TP_A", "ID": "D"}])["error"] == "NOT_FOUND"
    assert rpc("APIerSv1.GetTPTimingIds", [{"TPid": "TP_B"}])["result"] == ["WORKDAYS"]


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ({}, ["D0", "D1", "D2", "D3", "D4"]),
        ({"Limit": 2}, ["D0", "D1"]),
        ({"Limit": 2, "Offset": 2}, ["D2", "D3"]),
        ({"Offset": 3}, ["D3", "D4"]),
        ({"SearchTerm": "3"}, ["D3"]),
    ],
)
def test_ids_are_paginated_and_searched(
    rpc: Any, page: dict[str, Any], expected: list[str]
) -> None:
    for n in range(5):
        rpc("APIerSv1.SetTPDestination", [{"TPid": "TP1", "ID": f"D{n}", "Prefixes": ["1"]}])
    assert rpc("APIerSv1.GetTPDestinationIDs", [{"TPid": "TP1", **page}])["result"] == expected


def test_rating_profiles_and_account_actions_are_found_by_load_id(rpc: Any) -> None:
    rpc("APIerSv1.SetTPRatingProfile", [{"TPid": "TP1", **SAMPLES["RatingProfiles"]}])
    rpc("APIerSv1.SetTPAccountActions", [{"TPid": "TP1", **SAMPLES["AccountActions"]}])
    profiles = rpc("APIerSv1.GetTPRatingProfilesByLoadID", [{"TPid": "TP1", "LoadId": "L1"}])
    assert [p["Subject"] for p in profiles["result"]] == ["*any"]
    assert rpc("APIerSv1.GetTPRatingProfileLoadIds", [{"TPid": "TP1"}])["result"] == ["L1"]
    actions = rpc("APIerSv1.GetTPAccountActionsByLoadId", [{"TPid": "TP1", "LoadId": "L1"}])
    assert actions["result"][0]["ActionPlanId"] == "AP_1"
    assert rpc("APIerSv1.GetTPAccountActionLoadIds", [{"TPid": "TP1"}])["result"] == ["L1"]
    assert (
        rpc("APIerSv1.GetTPAccountActionsByLoadId", [{"TPid": "TP1", "LoadId": "L2"}])["error"]
        == "NOT_FOUND"
    )
