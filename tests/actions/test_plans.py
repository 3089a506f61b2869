"""Action plans through the engine: SetActionPlan, SetAccount v1/v2, *asap tasks, listings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from rating.errors import (
    BrokenReference,
    Exists,
    MandatoryIEMissing,
    NotFound,
    ServerError,
    UnsupportedFormat,
)
from rating.store import Store

from .conftest import FakeClock
from .support import FullEngine, make_engine

TOPUP = {"Identifier": "*topup", "BalanceId": "bonus", "BalanceType": "*monetary",
         "Units": Decimal(10), "Weight": Decimal(1)}
ASAP = {"ActionsId": "TOPUP", "Years": "*any", "Months": "*any", "MonthDays": "*any",
        "WeekDays": "*any", "Time": "*asap", "Weight": Decimal(10)}
MONTHLY = {**ASAP, "MonthDays": "1", "Time": "00:00:00"}


@pytest.fixture
def engine(any_store: Store, clock: FakeClock) -> FullEngine:
    eng = make_engine(any_store, clock)
    eng.set_actions("TOPUP", [TOPUP])
    return eng


def bonus(engine: FullEngine, account: str = "1001") -> Decimal:
    acc = engine.get_account("cgrates.org", account)
    return sum((b.Value for b in acc.BalanceMap.get("*monetary", [])), Decimal(0))


def test_set_action_plan_checks_references_formats_and_existence(engine: FullEngine) -> None:
    with pytest.raises(BrokenReference) as info:
        engine.set_action_plan("AP", [{**ASAP, "ActionsId": "MISSING"}])
    assert str(info.value) == "BROKEN_REFERENCE:MISSING"
    with pytest.raises(UnsupportedFormat) as fmt:
        engine.set_action_plan("AP", [{**ASAP, "Time": "25:61:00"}])
    assert str(fmt.value) == "UNSUPPORTED_FORMAT:25:61:00"
    engine.set_action_plan("AP", [ASAP])
    with pytest.raises(Exists):
        engine.set_action_plan("AP", [ASAP])
    with pytest.raises(MandatoryIEMissing):
        engine.set_action_plan("", [ASAP])


def test_get_action_plan_shape(engine: FullEngine) -> None:
    engine.set_action_plan("AP", [MONTHLY])
    engine.set_account("cgrates.org", "1001", action_plan_ids=["AP"])
    (plan,) = engine.get_action_plans("AP")
    assert plan["Id"] == "AP" and plan["AccountIDs"] == {"cgrates.org:1001": True}
    (at,) = plan["ActionTimings"]
    assert at["ActionsID"] == "TOPUP" and at["Weight"] == Decimal(10)
    assert at["Timing"]["Timing"]["MonthDays"] == [1]
    assert len(engine.get_action_plans("*")) == 1
    with pytest.raises(NotFound):
        engine.get_action_plans("nope")


def test_keyword_timings_are_anchored_when_the_plan_is_set(engine: FullEngine) -> None:
    engine.set_action_plan("AP", [{**ASAP, "Time": "*monthly"}])
    timing = engine.get_action_plans("AP")[0]["ActionTimings"][0]["Timing"]["Timing"]
    assert (timing["MonthDays"], timing["StartTime"]) == ([10], "12:00:00")  # 2026-03-10 12:00


def test_overwriting_a_plan_drops_its_accounts(engine: FullEngine) -> None:
    engine.set_action_plan("AP", [MONTHLY])
    engine.set_account("cgrates.org", "1001", action_plan_ids=["AP"])
    engine.set_action_plan("AP", [MONTHLY], overwrite=True)
    assert engine.get_action_plans("AP")[0]["AccountIDs"] is None


def test_asap_plan_runs_once_when_the_scheduler_reloads(engine: FullEngine) -> None:
    engine.set_action_plan("ASAP", [ASAP])
    engine.set_account("cgrates.org", "1001", action_plan_ids=["ASAP"],
                       action_plans_overwrite=True)
    assert bonus(engine) == 0  # no reload yet: the task waits
    engine.reload_scheduler()
    assert bonus(engine) == 10
    engine.reload_scheduler()
    assert bonus(engine) == 10  # the task ran once and is gone
    engine.set_account("cgrates.org", "1001", action_plan_ids=["ASAP"], reload_scheduler=True)
    assert bonus(engine) == 20  # every SetAccount pushes the task again (CGRateS)


def test_plan_made_only_of_asap_timings_is_not_attached(engine: FullEngine) -> None:
    engine.set_action_plan("ASAP", [ASAP])
    engine.set_action_plan("MIX", [ASAP, MONTHLY])
    engine.set_account("cgrates.org", "1001", action_plan_ids=["ASAP", "MIX"])
    assert [r["ActionPlanId"] for r in engine.get_account_action_plan("cgrates.org", "1001")] \
        == ["MIX", "MIX"]


def test_set_account_overwrite_leaves_unlisted_plans(engine: FullEngine) -> None:
    engine.set_action_plan("A", [MONTHLY])
    engine.set_action_plan("B", [MONTHLY])
    engine.set_account("cgrates.org", "1001", action_plan_ids=["A"])
    engine.set_account("cgrates.org", "1001", action_plan_ids=["B"])
    assert engine.account_plan_ids("cgrates.org:1001") == ["A", "B"]
    engine.set_account("cgrates.org", "1001", action_plan_ids=["B"], action_plans_overwrite=True)
    assert engine.account_plan_ids("cgrates.org:1001") == ["B"]


def test_set_account_with_unknown_plan_or_triggers_changes_nothing(engine: FullEngine) -> None:
    for kwargs in ({"action_plan_ids": ["nope"]}, {"action_trigger_ids": ["nope"]}):
        with pytest.raises(ServerError) as info:
            engine.set_account("cgrates.org", "new", **kwargs)  # type: ignore[arg-type]
        assert str(info.value) == "SERVER_ERROR: NOT_FOUND"
        with pytest.raises(NotFound):
            engine.get_account("cgrates.org", "new")


def test_set_account_flags_and_trigger_groups(engine: FullEngine) -> None:
    engine.set_action_trigger("LOW", "t1", {"ThresholdType": "*min_balance",
                                            "ThresholdValue": Decimal(2),
                                            "BalanceType": "*monetary", "ActionsID": "TOPUP"})
    engine.set_action_trigger("CNT", "c1", {"ThresholdType": "*max_event_counter",
                                            "ThresholdValue": Decimal(5),
                                            "BalanceType": "*monetary", "ActionsID": "TOPUP"})
    engine.set_account("cgrates.org", "1001", allow_negative=True,
                       action_trigger_ids=["LOW"])
    acc = engine.set_account("cgrates.org", "1001", action_trigger_ids=["LOW", "CNT"])
    assert acc.AllowNegative and [t.UniqueID for t in acc.ActionTriggers or []] == ["t1", "c1"]
    assert acc.UnitCounters and acc.UnitCounters["*monetary"][0].CounterType == "*event"
    acc = engine.set_account("cgrates.org", "1001", action_trigger_ids=["CNT"],
                             action_triggers_overwrite=True, disabled=True)
    assert [t.UniqueID for t in acc.ActionTriggers or []] == ["c1"] and acc.Disabled


def test_new_account_has_null_triggers_and_counters(engine: FullEngine) -> None:
    doc = engine.set_account("cgrates.org", "fresh").to_json()
    assert (doc["ActionTriggers"], doc["UnitCounters"], doc["BalanceMap"]) == (None, None, None)


def test_account_action_plan_and_scheduled_actions_list_next_runs(engine: FullEngine) -> None:
    engine.set_action_plan("AP", [MONTHLY])
    engine.set_account("cgrates.org", "1001", action_plan_ids=["AP"])
    engine.set_account("cgrates.org", "1002", action_plan_ids=["AP"])
    (row,) = engine.get_account_action_plan("cgrates.org", "1001")
    assert row["NextExecTime"] == "2026-04-01T00:00:00Z" and row["ActionsId"] == "TOPUP"
    (sched,) = engine.get_scheduled_actions({"Tenant": "cgrates.org", "Account": "1002"})
    assert (sched["NextRunTime"], sched["Accounts"], sched["ActionPlanID"]) == (
        "2026-04-01T00:00:00Z", 2, "AP")
    assert engine.get_scheduled_actions({"TimeEnd": "2026-03-31T00:00:00Z"}) == []


def test_remove_action_timing_detaches_drops_a_timing_or_the_plan(engine: FullEngine) -> None:
    engine.set_action_plan("AP", [MONTHLY, {**MONTHLY, "MonthDays": "15"}])
    engine.set_account("cgrates.org", "1001", action_plan_ids=["AP"])
    with pytest.raises(MandatoryIEMissing):
        engine.remove_action_timing("AP", "", "", "1001")
    engine.remove_action_timing("AP", "", "cgrates.org", "1001")
    assert engine.account_plan_ids("cgrates.org:1001") == []
    first = engine.get_action_plans("AP")[0]["ActionTimings"][0]["Uuid"]
    engine.remove_action_timing("AP", first, "", "")
    assert len(engine.get_action_plans("AP")[0]["ActionTimings"]) == 1
    engine.remove_action_timing("AP", "", "", "")
    with pytest.raises(NotFound):
        engine.load_plan("AP")


def test_remove_account_detaches_it_from_plans(engine: FullEngine) -> None:
    engine.set_action_plan("AP", [MONTHLY])
    engine.set_account("cgrates.org", "1001", action_plan_ids=["AP"])
    engine.remove_account("cgrates.org", "1001")
    assert engine.get_action_plans("AP")[0]["AccountIDs"] is None
    with pytest.raises(NotFound):
        engine.remove_account("cgrates.org", "1001")


def test_execute_action_plans_runs_every_timing_now(engine: FullEngine) -> None:
    engine.set_action_plan("AP", [MONTHLY])
    engine.set_account("cgrates.org", "1001", action_plan_ids=["AP"])
    engine.execute_action_plans(["AP"], "", "")
    engine.execute_action_plans(["AP"], "cgrates.org", "1001")
    assert bonus(engine) == 20


def test_execute_scheduled_actions_uses_the_schedulers_run_ids(engine: FullEngine) -> None:
    from datetime import UTC, datetime

    engine.set_action_plan("AP", [MONTHLY])
    engine.set_account("cgrates.org", "1001", action_plan_ids=["AP"])
    window: dict[str, Any] = {"time_start": datetime(2026, 1, 1, tzinfo=UTC),
                              "time_end": datetime(2026, 3, 1, tzinfo=UTC)}
    engine.execute_scheduled_actions("AP", **window)
    engine.execute_scheduled_actions("AP", **window)  # the same due times: no-ops
    assert bonus(engine) == 30  # Jan 1, Feb 1, Mar 1


def test_loader_asap_tasks_run_on_reload(any_store: Store, clock: FakeClock,
                                         tmp_path: Any) -> None:
    engine = make_engine(any_store, clock)
    folder = tmp_path / "tp"
    folder.mkdir()
    (folder / "Actions.csv").write_text(
        "#ActionsId,Action,ExtraParameters,Filter,BalanceId,BalanceType,Categories,"
        "DestinationIds,RatingSubject,SharedGroup,ExpiryTime,TimingIds,Units,BalanceWeight,"
        "BalanceBlocker,BalanceDisabled,Weight\n"
        "TOPUP_10,*topup,,,main,*monetary,,*any,,,*unlimited,,10,10,false,false,10\n")
    (folder / "ActionPlans.csv").write_text("#Id,ActionsId,TimingId,Weight\nAP,TOPUP_10,*asap,10\n")
    (folder / "AccountActions.csv").write_text(
        "#Tenant,Account,ActionPlanId,ActionTriggersId,AllowNegative,Disabled\n"
        "cgrates.org,1001,AP,,false,false\n")
    assert engine.load_folder(str(folder)).ok
    engine.reload_scheduler()
    engine.reload_scheduler()
    assert bonus(engine) == 10
