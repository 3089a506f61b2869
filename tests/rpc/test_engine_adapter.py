"""The EngineAdapter in process: argument conversion, TP files, delegation (real Engine)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from agent.config import Config
from agent.rpc.calldescs import from_args, from_usage_record
from agent.rpc.engine_adapter import EngineAdapter
from agent.rpc.methods import build_table
from agent.rpc.wiring import make_dispatcher
from rating.engine import Engine
from rating.store.memory import MemoryStore
from rating.timeutil import SECOND, parse_rfc3339

from .live import TUTORIAL
from .support import call

NOW = datetime(2014, 8, 4, 13, 0, tzinfo=UTC)


@pytest.fixture
def engine() -> Engine:
    store = MemoryStore()
    engine = Engine(store, clock=lambda: NOW, new_id=lambda: str(uuid.uuid4()))
    assert engine.load_folder(str(TUTORIAL)).ok
    return engine


@pytest.fixture
def rpc(engine: Engine) -> Any:
    dispatcher = make_dispatcher(Config(), engine.store, engine=engine)
    return lambda method, params: call(dispatcher, method, [params])


def test_make_dispatcher_puts_a_rating_engine_behind_the_adapter(engine: Engine) -> None:
    dispatcher = make_dispatcher(Config(), engine.store, engine=engine)
    assert isinstance(dispatcher.ctx.engine, EngineAdapter)


def test_call_descriptor_keeps_the_zone_it_was_written_in(rpc: Any) -> None:
    cost = rpc("Responder.GetCost", {"Tenant": "cgrates.org", "Subject": "1001",
                                     "Destination": "1002",
                                     "TimeStart": "2014-08-04T15:00:00+02:00",
                                     "TimeEnd": "2014-08-04T15:01:00+02:00"})["result"]
    assert cost["Timespans"][0]["TimeStart"] == "2014-08-04T15:00:00+02:00"
    assert cost["Cost"] == Decimal("0.6")


def test_call_descriptor_from_validated_arguments() -> None:
    args = build_table().resolve("Responder.Debit").validate({
        "Account": "1001", "TimeStart": "2014-08-04T13:00:00Z", "TimeEnd": "2014-08-04T13:00:10Z",
        "LoopIndex": 1, "MaxCostSoFar": Decimal("0.5"), "DurationIndex": "10s", "ExtraFields": {"a": 1},
        "Increments": [{"Duration": "1s", "Cost": Decimal("0.01"), "CompressFactor": 3,
                        "BalanceInfo": {"Monetary": {"UUID": "u1"}, "AccountID": "t:a"}},
                       None]})
    cd = from_args(args)
    assert (cd.Account, cd.Subject, cd.duration, cd.DurationIndex) == ("1001", "", 10 * SECOND,
                                                                        10 * SECOND)
    assert (cd.LoopIndex, cd.MaxCostSoFar, cd.ExtraFields) == (1, Decimal("0.5"), {"a": "1"})
    (inc,) = cd.Increments
    assert (inc.duration, inc.cost, inc.count, inc.account_id) == (SECOND, Decimal("0.01"), 3,
                                                                   "t:a")
    assert inc.monetary is not None and inc.monetary.uuid == "u1" and inc.unit is None


def test_usage_record_defaults_as_cgrates_sets_them() -> None:
    now = parse_rfc3339("2014-08-04T13:00:00Z")[0]
    cd = from_usage_record({"Account": "1001", "Destination": "1002", "Usage": 60 * SECOND},
                           now_ns=now, tz=UTC)
    assert (cd.Subject, cd.ToR, cd.TimeStart, cd.duration) == ("1001", "*voice", now,
                                                               60 * SECOND)
    later = from_usage_record({"Account": "1", "SetupTime": "+1h", "Usage": 0}, now_ns=now,
                              tz=UTC, deny_negative=True)
    assert (later.TimeStart - now, later.DenyNegativeAccount) == (3600 * SECOND, True)


def test_every_tutorial_file_survives_import_and_export(rpc: Any, tmp_path: Path) -> None:
    assert rpc("APIerSv1.ImportTariffPlanFromFolder",
               {"TPid": "T", "FolderPath": str(TUTORIAL)})["result"] == "OK"
    stats = rpc("APIerSv1.ExportTPToFolder", {"TPid": "T", "ExportPath": str(tmp_path)})
    assert len(stats["result"]["ExportedFiles"]) == 11
    for original in TUTORIAL.glob("*.csv"):
        assert _rows(tmp_path / original.name) == _rows(original), original.name


def _rows(path: Path) -> list[list[str]]:
    lines = [line for line in path.read_text().splitlines() if line and line[0] != "#"]
    return sorted([field.strip() for field in line.split(",")] for line in lines)


def test_import_takes_a_separator_and_names_load_ids_after_the_run(
        rpc: Any, tmp_path: Path) -> None:
    (tmp_path / "RatingProfiles.csv").write_text(
        "#Tenant;Category;Subject;ActivationTime;RatingPlanId;RatesFallbackSubject\n"
        "cgrates.org;call;77;2014-01-14T00:00:00Z;RP_1001;\n")
    assert rpc("APIerSv1.ImportTariffPlanFromFolder",
               {"TPid": "S", "FolderPath": str(tmp_path), "CsvSeparator": ";",
                "RunId": "r1"})["result"] == "OK"
    assert rpc("APIerSv1.GetTPRatingProfileIds", {"TPid": "S"})["result"] == [
        "CSVLOAD_r1:cgrates.org:call:77"]


def test_load_from_stordb_of_an_unknown_tpid_loads_nothing(rpc: Any, engine: Engine) -> None:
    version = engine.tariffs().version
    assert rpc("APIerSv1.LoadTariffPlanFromStorDb", {"TPid": "NOPE"})["result"] == "OK"
    assert engine.tariffs().version == version


class EngineWithBalances(Engine):
    """An Engine that has one of the actions-family methods, to see it passed on."""

    def balance_action(self, action: str, tenant: str, account: str, balance_type: str,
                       value: Decimal | None, balance: dict[str, Any], *,
                       extra_data: Any = None, cdrlog: bool = False) -> Any:
        self.seen = (action, tenant, account, balance_type, value, balance)
        return "done"


def test_actions_family_calls_reach_the_engine_method_of_the_same_name() -> None:
    engine = EngineWithBalances(MemoryStore(), clock=lambda: NOW, new_id=lambda: "id")
    dispatcher = make_dispatcher(Config(), engine.store, engine=engine)
    reply = call(dispatcher, "APIerSv1.AddBalance", [
        {"Tenant": "t", "Account": "a", "BalanceType": "*monetary", "Value": 2,
         "Balance": {"ID": "b"}}])
    assert reply["result"] == "OK"
    assert engine.seen == ("*topup", "t", "a", "*monetary", Decimal(2), {"ID": "b"})


def test_actions_family_calls_answer_not_implemented_while_the_engine_lacks_them(
        rpc: Any, engine: Engine) -> None:
    if hasattr(engine, "set_action_plan"):
        pytest.skip("the actions engine is merged")
    reply = rpc("APIerSv1.SetActionPlan", {"Id": "P", "ActionPlan": [
        {"ActionsId": "A", "Time": "*asap", "Weight": 10}]})
    assert reply["error"] == "NOT_IMPLEMENTED"
