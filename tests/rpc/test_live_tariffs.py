"""Tariff-plan and rating-data methods end to end: a real `callmeter run`, TCP and HTTP.

Each test uses ids of its own (``unique``), so the tutorial plan the other tests rate
with stays as loaded.
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

from .live import TUTORIAL, Api, snapshot, unique

SECOND = 1_000_000_000
CALL = {"Tenant": "cgrates.org", "Category": "call", "Account": "1001",
        "TimeStart": "2014-08-04T13:00:00Z", "TimeEnd": "2014-08-04T13:02:10Z"}


def cost_of(api: Api, subject: str, destination: str) -> Any:
    return api.ok("Responder.GetCost", {**CALL, "Subject": subject, "Destination": destination})


# -- LoadTariffPlanFromFolder ----------------------------------------------------------------

def test_load_from_folder_v1_answers_ok_and_v2_a_load_instance(api: Api) -> None:
    path = {"FolderPath": str(TUTORIAL)}
    assert api.ok("APIerSv1.LoadTariffPlanFromFolder", path) == "OK"
    instance = api.ok("APIerSv2.LoadTariffPlanFromFolder", path)
    assert set(instance) == {"LoadID", "RatingLoadID", "AccountingLoadID", "LoadTime"}
    assert instance["LoadID"] and instance["LoadTime"].startswith("20")
    dry = api.ok("ApierV2.LoadTariffPlanFromFolder", {**path, "DryRun": True})
    assert dry == {"LoadID": "", "RatingLoadID": "dry_run", "AccountingLoadID": "dry_run",
                   "LoadTime": "0001-01-01T00:00:00Z"}


def test_load_from_folder_errors_change_nothing(api: Api, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(TUTORIAL, broken)
    with (broken / "Rates.csv").open("a") as rates:
        rates.write("RT_BROKEN,0,ten,60s,1s,0s\n")
    before = snapshot(api.daemon.store)
    error = api.error("APIerSv1.LoadTariffPlanFromFolder", {"FolderPath": str(broken)})
    assert error.startswith("SERVER_ERROR: Rates.csv:") and "'ten' is not a number" in error
    assert api.error("APIerSv1.LoadTariffPlanFromFolder",
                     {"FolderPath": str(tmp_path / "nope")}) == "INVALID_PATH"
    assert api.error("APIerSv1.LoadTariffPlanFromFolder",
                     {"FolderPath": str(broken / "Rates.csv")}) == "INVALID_PATH"
    assert api.error("APIerSv1.LoadTariffPlanFromFolder", {}) == "MANDATORY_IE_MISSING:FolderPath"
    assert snapshot(api.daemon.store) == before


def test_a_loaded_folder_rates_new_calls_at_once(api: Api, tmp_path: Path) -> None:
    subject = unique("SUBJ")
    (tmp_path / "RatingProfiles.csv").write_text(
        f"cgrates.org,call,{subject},2014-01-14T00:00:00Z,RP_DE,\n")
    assert api.ok("APIerSv1.LoadTariffPlanFromFolder", {"FolderPath": str(tmp_path)}) == "OK"
    assert cost_of(api, subject, "+4930123")["Cost"] == Decimal("0.14")  # 0.05 + 3 min x 0.03


# -- staging: Import, LoadTariffPlanFromStorDb, Export -----------------------------------------

def test_import_stage_load_and_export_round_trip(api: Api, tmp_path: Path) -> None:
    tpid = unique("TP")
    assert api.ok("APIerSv1.ImportTariffPlanFromFolder",
                  {"TPid": tpid, "FolderPath": str(TUTORIAL)}) == "OK"
    assert api.ok("APIerSv1.GetTPRate", {"TPid": tpid, "ID": "RT_20CNT"})["RateSlots"][1] \
        == {"ConnectFee": 0, "Rate": Decimal("0.1"), "RateUnit": "60s", "RateIncrement": "1s",
            "GroupIntervalStart": "60s"}
    assert api.ok("APIerSv1.LoadTariffPlanFromStorDb", {"TPid": tpid, "DryRun": True}) == "OK"
    assert api.ok("APIerSv1.LoadTariffPlanFromStorDb", {"TPid": tpid}) == "OK"
    assert cost_of(api, "1001", "1002")["Cost"] == Decimal("0.7169")
    stats = api.ok("APIerSv1.ExportTPToFolder", {"TPid": tpid, "ExportPath": str(tmp_path)})
    assert stats["ExportPath"] == str(tmp_path) and stats["Compressed"] is False
    assert sorted(stats["ExportedFiles"]) == sorted(p.name for p in TUTORIAL.glob("*.csv"))
    assert _rows(tmp_path / "Rates.csv") == _rows(TUTORIAL / "Rates.csv")
    assert api.ok("APIerSv1.LoadTariffPlanFromFolder",
                  {"FolderPath": str(tmp_path), "DryRun": True}) == "OK"


def _rows(path: Path) -> list[str]:
    return sorted(line for line in path.read_text().splitlines() if not line.startswith("#"))


def test_a_staged_plan_made_with_set_tp_methods_rates_calls(api: Api) -> None:
    tpid, subject = unique("TP"), unique("SUBJ")
    requests: list[tuple[str, dict[str, Any]]] = [
        ("SetTPDestination", {"ID": "DST_77", "Prefixes": ["77"]}),
        ("SetTPRate", {"ID": "RT_77", "RateSlots": [
            {"ConnectFee": 0.5, "Rate": 1, "RateUnit": "60s", "RateIncrement": "60s",
             "GroupIntervalStart": "0s"}]}),
        ("SetTPDestinationRate", {"ID": "DR_77", "DestinationRates": [
            {"DestinationId": "DST_77", "RateId": "RT_77", "RoundingMethod": "*up",
             "RoundingDecimals": 4}]}),
        ("SetTPRatingPlan", {"ID": "RP_77", "RatingPlanBindings": [
            {"DestinationRatesId": "DR_77", "TimingId": "*any", "Weight": 10}]}),
        ("SetTPRatingProfile", {"LoadId": "L1", "Tenant": "cgrates.org", "Category": "call",
                                "Subject": subject, "RatingPlanActivations": [
                                    {"ActivationTime": "2014-01-01T00:00:00Z",
                                     "RatingPlanId": "RP_77"}]}),
    ]
    for method, params in requests:
        assert api.ok(f"APIerSv1.{method}", {"TPid": tpid, **params}) == "OK"
    assert api.ok("APIerSv1.LoadTariffPlanFromStorDb", {"TPid": tpid}) == "OK"
    assert cost_of(api, subject, "7712")["Cost"] == Decimal("3.5")  # 0.5 + 3 whole minutes


def test_staging_errors_change_nothing(api: Api, tmp_path: Path) -> None:
    tpid = unique("TP")
    assert api.ok("APIerSv1.SetTPRatingPlan", {"TPid": tpid, "ID": "RP_X", "RatingPlanBindings": [
        {"DestinationRatesId": "DR_MISSING", "TimingId": "*any", "Weight": 10}]}) == "OK"
    before = snapshot(api.daemon.store)
    error = api.error("APIerSv1.LoadTariffPlanFromStorDb", {"TPid": tpid})
    assert error == (f"SERVER_ERROR: {tpid}/RatingPlans/RP_X:1:2: "
                     "destination rate 'DR_MISSING' does not exist")
    assert api.error("APIerSv1.LoadTariffPlanFromStorDb", {}) == "MANDATORY_IE_MISSING: [TPid]"
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "DestinationRates.csv").write_text("DR_1,DST_1,RT_1,*up,four,0,\n")
    assert api.error("APIerSv1.ImportTariffPlanFromFolder",
                     {"TPid": tpid, "FolderPath": str(bad)}).startswith(
        "SERVER_ERROR: DestinationRates.csv:1:0: ")
    assert api.error("APIerSv1.ImportTariffPlanFromFolder",
                     {"TPid": tpid, "FolderPath": str(tmp_path / "nope")}) == "INVALID_PATH"
    assert api.error("APIerSv1.ImportTariffPlanFromFolder", {"FolderPath": str(bad)}) \
        == "MANDATORY_IE_MISSING: [TPid]"
    assert api.error("APIerSv1.ExportTPToFolder", {"TPid": tpid}) \
        == "MANDATORY_IE_MISSING: [ExportPath]"
    assert api.error("APIerSv1.ExportTPToFolder", {"ExportPath": str(tmp_path)}) \
        == "MANDATORY_IE_MISSING: [TPid]"
    assert api.error("APIerSv1.ExportTPToFolder",
                     {"TPid": tpid, "ExportPath": str(tmp_path), "FileFormat": "xls"}) \
        == "SERVER_ERROR: Unsupported file format"
    assert snapshot(api.daemon.store) == before


def test_export_compressed_writes_one_zip(api: Api, tmp_path: Path) -> None:
    import zipfile

    tpid = unique("TP")
    api.ok("APIerSv1.SetTPDestination", {"TPid": tpid, "ID": "DST_1", "Prefixes": ["1", "2"]})
    stats = api.ok("APIerSv1.ExportTPToFolder", {"TPid": tpid, "ExportPath": str(tmp_path),
                                                 "Compress": True, "FieldSeparator": ";"})
    assert stats == {"ExportPath": str(tmp_path), "ExportedFiles": ["Destinations.csv"],
                     "Compressed": True}
    with zipfile.ZipFile(tmp_path / "tpexport.zip") as archive:
        assert archive.read("Destinations.csv").decode() == "#Id;Prefix\nDST_1;1\nDST_1;2\n"


# -- destinations, rating plans, rating profiles ------------------------------------------------

def test_set_destination_is_used_for_rating_at_once(api: Api, tmp_path: Path) -> None:
    dest, subject = unique("DST"), unique("SUBJ")
    assert api.ok("APIerSv1.SetDestination", {"Id": dest, "Prefixes": ["4412", "4413"]}) == "OK"
    assert api.ok("APIerSv1.GetDestination", dest) == {"Id": dest, "Prefixes": ["4412", "4413"]}
    (tmp_path / "DestinationRates.csv").write_text(f"DR_{dest},{dest},RT_DE_FIXED,*up,4,0,\n")
    (tmp_path / "RatingPlans.csv").write_text(f"RP_{dest},DR_{dest},*any,10\n")
    (tmp_path / "RatingProfiles.csv").write_text(
        f"cgrates.org,call,{subject},2014-01-01T00:00:00Z,RP_{dest},\n")
    assert api.ok("APIerSv1.LoadTariffPlanFromFolder", {"FolderPath": str(tmp_path)}) == "OK"
    assert cost_of(api, subject, "441299")["Cost"] == Decimal("0.14")  # 0.05 + 3 min x 0.03
    assert api.error("APIerSv1.SetDestination", {"Id": dest, "Prefixes": ["9"]}) == "EXISTS"
    assert api.ok("APIerSv1.SetDestination",
                  {"Id": dest, "Prefixes": ["9"], "Overwrite": True}) == "OK"
    assert api.ok("APIerSv1.GetDestination", dest)["Prefixes"] == ["9"]
    assert api.error("Responder.GetCost", {**CALL, "Subject": subject,
                                           "Destination": "441299"}) == "UNAUTHORIZED_DESTINATION"
    assert cost_of(api, subject, "9123")["Cost"] == Decimal("0.14")


def test_destination_errors(api: Api) -> None:
    assert api.error("APIerSv1.GetDestination", unique("DST"), ) == "NOT_FOUND"
    assert api.error("APIerSv1.GetDestination", None, wrap=False) \
        == "jsonrpc: request body missing params"
    assert api.error("APIerSv1.SetDestination", {"Id": "X"}) \
        == "MANDATORY_IE_MISSING: [Prefixes]"
    assert api.error("APIerSv1.SetDestination", {"Id": unique("DST"), "Prefixes": ["1 2"]}) \
        == "SERVER_ERROR: prefix '1 2' is empty or holds spaces"


def test_get_rating_plan_answers_the_compiled_plan(api: Api) -> None:
    plan = api.ok("APIerSv1.GetRatingPlan", "RP_1001")
    assert plan["Id"] == "RP_1001"
    assert sorted(plan["DestinationRates"]) == ["DST_1002", "DST_1003", "DST_1004", "DST_FS"]
    (binding,) = plan["DestinationRates"]["DST_1003"]
    rating = plan["Ratings"][binding["Rating"]]
    assert (rating["MaxCost"], rating["MaxCostStrategy"]) == (Decimal("0.12"), "*disconnect")
    assert plan["Timings"][binding["Timing"]]["StartTime"] == "00:00:00"
    assert binding["Weight"] == 10
    assert api.error("APIerSv1.GetRatingPlan", "RP_NOPE") == "NOT_FOUND"


def test_rating_profiles_are_set_appended_and_read(api: Api) -> None:
    subject = unique("SUBJ")
    key = {"Tenant": "cgrates.org", "Category": "call", "Subject": subject}
    first = {"ActivationTime": "2014-01-01T00:00:00Z", "RatingPlanId": "RP_1001"}
    second = {"ActivationTime": "2015-01-01T00:00:00Z", "RatingPlanId": "RP_DE",
              "FallbackSubjects": "1001;1002"}
    assert api.ok("APIerSv1.SetRatingProfile", {**key, "RatingPlanActivations": [first]}) == "OK"
    assert api.ok("APIerSv1.SetRatingProfile", {**key, "RatingPlanActivations": [second]}) == "OK"
    profile = api.ok("APIerSv1.GetRatingProfile", key)
    assert profile == {"Id": f"*out:cgrates.org:call:{subject}", "RatingPlanActivations": [
        {"ActivationTime": "2014-01-01T00:00:00Z", "RatingPlanId": "RP_1001",
         "FallbackKeys": None},
        {"ActivationTime": "2015-01-01T00:00:00Z", "RatingPlanId": "RP_DE",
         "FallbackKeys": ["*out:cgrates.org:call:1001", "*out:cgrates.org:call:1002"]}]}
    assert cost_of(api, subject, "1002")["Cost"] == Decimal("0.7169")  # 2014: RP_1001
    assert api.ok("APIerSv1.SetRatingProfile",
                  {**key, "Overwrite": True, "RatingPlanActivations": [second]}) == "OK"
    assert len(api.ok("APIerSv1.GetRatingProfile", key)["RatingPlanActivations"]) == 1


def test_rating_profile_errors_change_nothing(api: Api) -> None:
    key = {"Tenant": "cgrates.org", "Category": "call", "Subject": unique("SUBJ")}
    before = snapshot(api.daemon.store)
    cases = [
        ([{"RatingPlanId": "RP_1001"}], "MANDATORY_IE_MISSING:RatingPlanActivation:[ActivationTime]"),
        ([{"ActivationTime": "someday", "RatingPlanId": "RP_1001"}],
         "SERVER_ERROR:Cannot parse activation time from someday"),
        ([{"ActivationTime": "2014-01-01T00:00:00Z", "RatingPlanId": "RP_NOPE"}],
         "NOT_FOUND:RatingPlanId:RP_NOPE"),
    ]
    for activations, text in cases:
        assert api.error("APIerSv1.SetRatingProfile",
                         {**key, "RatingPlanActivations": activations}) == text
    assert api.error("APIerSv1.SetRatingProfile", key) \
        == "MANDATORY_IE_MISSING: [RatingPlanActivations]"
    assert api.error("APIerSv1.GetRatingProfile", key) == "NOT_FOUND"
    assert api.error("APIerSv1.GetRatingProfile", {"Tenant": "cgrates.org"}) \
        == "MANDATORY_IE_MISSING: [Category Subject]"
    assert snapshot(api.daemon.store) == before


# -- APIerSv1.GetCost ----------------------------------------------------------------------------

def test_api_get_cost_answers_an_event_cost(api: Api) -> None:
    cost = api.ok("APIerSv1.GetCost", {"Tenant": "cgrates.org", "Category": "call",
                                       "Subject": "1001", "Destination": "1002",
                                       "AnswerTime": "2014-08-04T13:00:00Z", "Usage": "2m10s"})
    assert (cost["Cost"], cost["Usage"]) == (Decimal("0.7169"), 130 * SECOND)
    assert set(cost) >= {"CGRID", "RunID", "StartTime", "Usage", "Cost", "Charges",
                         "AccountSummary", "Rating", "Accounting", "RatingFilters", "Rates",
                         "Timings"}
    first = cost["Charges"][0]
    assert first["RatingID"] in cost["Rating"]
    assert {"Usage", "Cost", "AccountingID", "CompressFactor"} <= set(first["Increments"][0])


def test_api_get_cost_errors_are_server_errors(api: Api) -> None:
    call = {"Tenant": "cgrates.org", "Subject": "1001", "AnswerTime": "2014-08-04T13:00:00Z",
            "Usage": "1m"}
    assert api.error("APIerSv1.GetCost", {**call, "Destination": "999"}) \
        == "SERVER_ERROR: UNAUTHORIZED_DESTINATION"
    assert api.error("APIerSv1.GetCost", {**call, "Tenant": "nosuch.org", "Destination": "1"}) \
        == "SERVER_ERROR: RATING_PLAN_NOT_FOUND"
    assert api.error("APIerSv1.GetCost", {**call, "Usage": "soon"}).startswith(
        "SERVER_ERROR: field Usage:")
