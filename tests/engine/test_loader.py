"""Loading CGRateS CSV tariff-plan folders: errors with file:line:column, all or nothing."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from rating.loader import load_folder
from rating.store.memory import MemoryStore
from rating.tariffdocs import ALL_KINDS, META

from .support import TUTORIAL, balance, cd, counter_ids, make_engine, put_account, write_plan

GOOD = {
    "Timings.csv": "PEAK,*any,*any,*any,1;2;3;4;5,08:00:00\nASAP,*any,*any,*any,*any,*asap",
    "Destinations.csv": "DST_A,49\nDST_A,4930",
    "Rates.csv": "RT_A,0.1,0.2,60s,60s,0s\nRT_A,0,0.1,60s,1s,60s",
    "DestinationRates.csv": "DR_A,DST_A,RT_A,*up,4,0,",
    "RatingPlans.csv": "RP_A,DR_A,PEAK,10",
    "RatingProfiles.csv": "t,call,alice,2020-01-01T00:00:00Z,RP_A,",
    "SharedGroups.csv": "SG_A,*any,*lowest,",
    "Actions.csv": "ACT_A,*topup,,,,*monetary,,DST_A,,SG_A,*unlimited,PEAK,10,10,false,false,10",
    "ActionPlans.csv": "AP_A,ACT_A,ASAP,10",
    "ActionTriggers.csv": ("AT_A,,*min_balance,2,false,0,,,,*monetary,,DST_A,,,,,,,,"
                           "ACT_A,10"),
    "AccountActions.csv": "t,alice,AP_A,AT_A,false,false",
}


def load(tmp_path: Path, overrides: dict[str, str], store: MemoryStore | None = None,
         dry_run: bool = False) -> tuple[list[str], MemoryStore]:
    files = dict(GOOD)
    files.update(overrides)
    folder = write_plan(tmp_path / "plan", files)
    store = store or MemoryStore()
    report = load_folder(str(folder), dry_run=dry_run, store=store, now_ns=0,
                         new_id=counter_ids())
    return [str(e) for e in report.errors], store


def test_the_good_plan_loads(tmp_path: Path) -> None:
    errors, store = load(tmp_path, {})
    assert errors == []
    assert store.get("destinations", "DST_A") == {"ID": "DST_A", "Prefixes": ["49", "4930"]}
    assert store.get_account("t:alice") is not None
    assert (store.get("action_plans", "AP_A") or {})["AccountIDs"] == {"t:alice": True}
    (task,) = store.get_many("action_tasks", store.list_ids("action_tasks")).values()
    assert (task["AccountID"], task["ActionsID"]) == ("t:alice", "ACT_A")


# Every row below replaces the good file's content; line 2 is the first data line (line 1
# is the header comment written by write_plan).
@pytest.mark.parametrize(("file", "content", "expected"), [
    ("Destinations.csv", "DST_A", "Destinations.csv:2:2: expected 2 fields, found 1"),
    ("Destinations.csv", "DST_A,49,extra", "Destinations.csv:2:3: expected 2 fields, found 3"),
    ("Destinations.csv", ",49", "Destinations.csv:2:1: Id is empty"),
    ("Destinations.csv", "DST_A,", "Destinations.csv:2:2: Prefix is empty"),
    ("Destinations.csv", 'DST_A,"4 9"', "Destinations.csv:2:2: Prefix '4 9' contains a space"),
    ("Timings.csv", "PEAK,*any,13,*any,*any,08:00:00",
     "Timings.csv:2:3: Months item 13 is outside 1..12"),
    ("Timings.csv", "PEAK,*any,*any,*any,1;x,08:00:00",
     "Timings.csv:2:5: WeekDays item 'x' is not an integer"),
    ("Timings.csv", "PEAK,*any,*any,*any,*any,25:00:00",
     "Timings.csv:2:6: Time '25:00:00' is not hh:mm:ss"),
    ("Timings.csv", "PEAK,*any,*any,*any,*any,10:00:00;09:00:00",
     "Timings.csv:2:6: Time '10:00:00;09:00:00' ends before it starts"),
    ("Timings.csv", "PEAK,*any,*any,*any,*any,08:00:00\nPEAK,*any,*any,*any,*any,09:00:00",
     "Timings.csv:3:1: timing PEAK already defined at line 2"),
    ("Rates.csv", "RT_A,x,0.2,60s,60s,0s", "Rates.csv:2:2: ConnectFee 'x' is not a number"),
    ("Rates.csv", "RT_A,0,-0.2,60s,60s,0s", "Rates.csv:2:3: Rate -0.2 must not be below 0"),
    ("Rates.csv", "RT_A,0,0.2,1x,60s,0s", "Rates.csv:2:4: RateUnit '1x' is not a duration"),
    ("Rates.csv", "RT_A,0,0.2,60s,-1s,0s", "Rates.csv:2:5: RateIncrement '-1s' must not be"),
    ("Rates.csv", "RT_A,0,0.2,60s,60s,10s",
     "Rates.csv:2:6: rate RT_A has no row with GroupIntervalStart 0"),
    ("Rates.csv", "RT_A,0,0.2,60s,60s,0s\nRT_A,0,0.1,60s,60s,0",
     "Rates.csv:3:6: rate RT_A already has a row starting at 0"),
    ("DestinationRates.csv", "DR_A,DST_A,RT_A,*nearest,4,0,",
     "DestinationRates.csv:2:4: RoundingMethod '*nearest' is not one of"),
    ("DestinationRates.csv", "DR_A,DST_A,RT_A,*up,four,0,",
     "DestinationRates.csv:2:5: RoundingDecimals 'four' is not a non-negative integer"),
    ("DestinationRates.csv", "DR_A,DST_A,RT_A,*up,4,0,*cheap",
     "DestinationRates.csv:2:7: MaxCostStrategy '*cheap' is not *free or *disconnect"),
    ("DestinationRates.csv", "DR_A,DST_B,RT_A,*up,4,0,",
     "DestinationRates.csv:2:2: destination 'DST_B' does not exist"),
    ("DestinationRates.csv", "DR_A,DST_A,RT_B,*up,4,0,",
     "DestinationRates.csv:2:3: rate 'RT_B' does not exist"),
    ("RatingPlans.csv", "RP_A,DR_B,PEAK,10",
     "RatingPlans.csv:2:2: destination rate 'DR_B' does not exist"),
    ("RatingPlans.csv", "RP_A,DR_A,OFFPEAK,10",
     "RatingPlans.csv:2:3: timing 'OFFPEAK' does not exist"),
    ("RatingPlans.csv", "RP_A,DR_A,PEAK,heavy", "RatingPlans.csv:2:4: Weight 'heavy' is not"),
    ("RatingProfiles.csv", "t,call,alice,someday,RP_A,",
     "RatingProfiles.csv:2:4: ActivationTime 'someday' is not a time"),
    ("RatingProfiles.csv", "t,call,alice,2020-01-01T00:00:00Z,RP_B,",
     "RatingProfiles.csv:2:5: rating plan 'RP_B' does not exist"),
    ("RatingProfiles.csv", "t,,alice,2020-01-01T00:00:00Z,RP_A,",
     "RatingProfiles.csv:2:2: Category is empty"),
    ("Actions.csv", "ACT_A,*topupp,,,,*monetary,,,,,,,10,,,,10",
     "Actions.csv:2:2: unknown action '*topupp'"),
    ("Actions.csv", "ACT_A,*topup,,{bad,,*monetary,,,,,,,10,,,,10",
     "Actions.csv:2:4: Filter is not valid JSON"),
    ("Actions.csv", "ACT_A,*topup,,,,*money,,,,,,,10,,,,10",
     "Actions.csv:2:6: unknown balance type '*money'"),
    ("Actions.csv", "ACT_A,*topup,,,,*monetary,,DST_B,,,,,10,,,,10",
     "Actions.csv:2:8: destination 'DST_B' does not exist"),
    ("Actions.csv", "ACT_A,*topup,,,,*monetary,,!DST_B,,,,,10,,,,10",
     "Actions.csv:2:8: destination 'DST_B' does not exist"),
    ("Actions.csv", "ACT_A,*topup,,,,*monetary,,,,SG_B,,,10,,,,10",
     "Actions.csv:2:10: shared group 'SG_B' does not exist"),
    ("Actions.csv", "ACT_A,*topup,,,,*monetary,,,,,soon,,10,,,,10",
     "Actions.csv:2:11: ExpiryTime 'soon' is not a time"),
    ("Actions.csv", "ACT_A,*topup,,,,*monetary,,,,,,NOPE,10,,,,10",
     "Actions.csv:2:12: timing 'NOPE' does not exist"),
    ("Actions.csv", "ACT_A,*topup,,,,*voice,,,,,,,ten minutes,,,,10",
     "Actions.csv:2:13: Units 'ten minutes' is not a duration"),
    ("Actions.csv", "ACT_A,*topup,,,,*monetary,,,,,,,10,,maybe,,10",
     "Actions.csv:2:15: BalanceBlocker 'maybe' is not true or false"),
    ("ActionPlans.csv", "AP_A,ACT_B,ASAP,10",
     "ActionPlans.csv:2:2: action 'ACT_B' does not exist"),
    ("ActionPlans.csv", "AP_A,ACT_A,NEVER,10",
     "ActionPlans.csv:2:3: timing 'NEVER' does not exist"),
    ("ActionTriggers.csv", "AT_A,,*min_money,2,false,0,,,,*monetary,,,,,,,,,,ACT_A,10",
     "ActionTriggers.csv:2:3: unknown threshold type '*min_money'"),
    ("ActionTriggers.csv", "AT_A,,*min_balance,2,false,soon,,,,*monetary,,,,,,,,,,ACT_A,10",
     "ActionTriggers.csv:2:6: MinSleep 'soon' is not a duration"),
    ("ActionTriggers.csv", "AT_A,,*min_balance,2,false,0,,,,*monetary,,,,,,,,,,ACT_B,10",
     "ActionTriggers.csv:2:20: action 'ACT_B' does not exist"),
    ("AccountActions.csv", "t,alice,AP_B,,false,false",
     "AccountActions.csv:2:3: action plan 'AP_B' does not exist"),
    ("AccountActions.csv", "t,alice,,AT_B,false,false",
     "AccountActions.csv:2:4: action trigger 'AT_B' does not exist"),
    ("AccountActions.csv", "t,alice,,,nope,false",
     "AccountActions.csv:2:5: AllowNegative 'nope' is not true or false"),
    ("AccountActions.csv", "t,alice,,,false,false\nt,alice,,,false,false",
     "AccountActions.csv:3:2: account t:alice already listed at line 2"),
    ("SharedGroups.csv", "SG_A,*any,*cheapest,", "SharedGroups.csv:2:3: unknown shared group"),
])
def test_each_error_names_file_line_and_column(tmp_path: Path, file: str, content: str,
                                               expected: str) -> None:
    errors, store = load(tmp_path, {file: content})
    assert any(e.startswith(expected) for e in errors), errors
    assert all(store.list_ids(kind) == [] for kind in ALL_KINDS)
    assert store.get(META, "version") is None
    assert store.list_accounts() == []


def test_every_error_is_reported_not_just_the_first(tmp_path: Path) -> None:
    errors, _ = load(tmp_path, {"Destinations.csv": "DST_A\n,49",
                                "Rates.csv": "RT_A,x,y,60s,60s,0s"})
    # the rows in error add nothing, so what referred to them is reported too
    assert [e.split(": ")[0] for e in errors] == [
        "Destinations.csv:2:2", "Destinations.csv:3:1", "Rates.csv:2:2", "Rates.csv:2:3",
        "DestinationRates.csv:2:2", "DestinationRates.csv:2:3", "Actions.csv:2:8",
        "ActionTriggers.csv:2:12"]


def test_nothing_is_written_when_one_row_is_wrong(tmp_path: Path) -> None:
    store = MemoryStore()
    errors, _ = load(tmp_path, {}, store=store)
    assert errors == []
    version = store.get(META, "version")
    before = {k: store.get_many(k, store.list_ids(k)) for k in ALL_KINDS}
    bad = dict(GOOD)
    bad["Destinations.csv"] = "DST_A,49\nDST_NEW,50"
    bad["RatingPlans.csv"] = "RP_A,DR_A,PEAK,10\nRP_A,DR_MISSING,PEAK,10"
    shutil.rmtree(tmp_path / "plan")
    errors, _ = load(tmp_path, bad, store=store)
    assert errors
    assert {k: store.get_many(k, store.list_ids(k)) for k in ALL_KINDS} == before
    assert store.get(META, "version") == version


def test_dry_run_checks_but_writes_nothing(tmp_path: Path) -> None:
    errors, store = load(tmp_path, {}, dry_run=True)
    assert errors == []
    assert all(store.list_ids(kind) == [] for kind in ALL_KINDS)
    assert store.list_accounts() == []
    errors, _ = load(tmp_path / "b", {"RatingPlans.csv": "RP_A,DR_X,PEAK,10"}, dry_run=True)
    assert errors == ["RatingPlans.csv:2:2: destination rate 'DR_X' does not exist"]


def test_references_may_point_into_the_store(tmp_path: Path) -> None:
    _, store = load(tmp_path, {})
    second = write_plan(tmp_path / "second", {
        "DestinationRates.csv": "DR_B,DST_A,RT_A,*up,4,0,",
        "RatingPlans.csv": "RP_B,DR_B,PEAK,10"})
    report = load_folder(str(second), dry_run=False, store=store, now_ns=0,
                         new_id=counter_ids("x"))
    assert report.ok, report.format()
    assert store.get("rating_plans", "RP_B") is not None


def test_a_missing_folder_is_invalid_path(tmp_path: Path) -> None:
    report = load_folder(str(tmp_path / "nope"), dry_run=True)
    assert report.cgrates_error() == "INVALID_PATH"
    assert not report.ok


def test_missing_files_are_empty_and_unknown_files_are_warned_about(tmp_path: Path) -> None:
    folder = write_plan(tmp_path / "p", {"Destinations.csv": "DST_A,49",
                                         "Attributes.csv": "whatever"})
    report = load_folder(str(folder), dry_run=True)
    assert report.ok
    assert report.warnings == ["Attributes.csv: not a file callmeter reads, ignored"]


def test_v09_rating_profiles_with_a_direction_column_are_accepted(tmp_path: Path) -> None:
    errors, store = load(tmp_path, {
        "RatingProfiles.csv": "*out,t,call,alice,2020-01-01T00:00:00Z,RP_A,"})
    assert errors == []
    assert store.get("rating_profiles", "*out:t:call:alice") is not None


def test_the_shipped_tutorial_plan_loads_and_rates() -> None:
    report = load_folder(str(TUTORIAL), dry_run=True)
    assert report.ok, report.format()
    assert report.warnings == []
    engine = make_engine()
    assert engine.get_cost(cd("1002", 130)).Cost == Decimal("0.7169")
    accounts = [a.ID for a in engine.list_accounts("cgrates.org")]
    assert accounts == ["cgrates.org:1001", "cgrates.org:1002", "cgrates.org:1003",
                        "cgrates.org:1004"]
    assert engine.get_account("cgrates.org", "1004").AllowNegative


def test_reloading_a_plan_keeps_account_balances() -> None:
    engine = make_engine()
    put_account(engine.store, "cgrates.org:1001", {"*monetary": [balance("m", 7)]})
    assert engine.load_folder(str(TUTORIAL)).ok
    (money,) = engine.get_account("cgrates.org", "1001").BalanceMap["*monetary"]
    assert money.Value == 7


def test_report_formats_for_humans_and_json(tmp_path: Path) -> None:
    load(tmp_path, {"Destinations.csv": "DST_A"})
    folder = tmp_path / "plan"
    report = load_folder(str(folder), dry_run=True)
    text = report.format()
    assert "Destinations.csv:2:2: expected 2 fields, found 1" in text
    assert "nothing loaded" in text
    assert report.to_json()["OK"] is False
    assert str(report.cgrates_error()).startswith("SERVER_ERROR: Destinations.csv:2:2")


def test_writing_needs_a_clock_and_ids(tmp_path: Path) -> None:
    folder = write_plan(tmp_path / "p", {"Destinations.csv": "DST_A,49"})
    with pytest.raises(ValueError, match="now_ns and new_id"):
        load_folder(str(folder), dry_run=False, store=MemoryStore())
    assert load_folder(str(folder), dry_run=True, store=MemoryStore()).ok
