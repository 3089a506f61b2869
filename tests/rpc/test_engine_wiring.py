"""What the API hands the engine: one named call with validated, typed arguments."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from agent.rpc.methods import build_table, methods_needing

from .support import RecordingEngine

ACCOUNT = {"Tenant": "cgrates.org", "Account": "1001"}
CD = {
    "Tenant": "cgrates.org",
    "Category": "call",
    "Subject": "1001",
    "Account": "1001",
    "Destination": "1003",
    "TimeStart": "2014-08-04T13:00:00Z",
    "TimeEnd": "2014-08-04T16:00:00Z",
}


def test_responder_calls_get_a_typed_call_descriptor(rpc: Any, engine: RecordingEngine) -> None:
    engine.results["max_session_time"] = 13_000_000_000
    assert rpc("Responder.GetMaxSessionTime", [CD]) == {
        "id": 1,
        "result": 13000000000,
        "error": None,
    }
    name, (cd,), _ = engine.last
    assert name == "max_session_time"
    assert cd["TimeStart"] == datetime(2014, 8, 4, 13, tzinfo=UTC)
    assert cd["Destination"] == "1003" and cd["MaxRate"] is None


@pytest.mark.parametrize(
    ("method", "params", "call", "args", "kwargs"),
    [
        ("APIerSv2.GetAccount", ACCOUNT, "get_account", ("cgrates.org", "1001"), {}),
        (
            "APIerSv1.AddBalance",
            {
                **ACCOUNT,
                "BalanceType": "*monetary",
                "Value": -10,
                "BalanceId": "b1",
                "Overwrite": True,
            },
            "balance_action",
            ("*topup_reset", "cgrates.org", "1001", "*monetary", Decimal(10), {"ID": "b1"}),
            {"extra_data": None, "cdrlog": False},
        ),
        (
            "APIerSv1.DebitBalance",
            {**ACCOUNT, "BalanceType": "*voice", "Value": 5},
            "balance_action",
            ("*debit", "cgrates.org", "1001", "*voice", Decimal(5), {}),
            {"extra_data": None, "cdrlog": False},
        ),
        (
            "APIerSv2.SetAccount",
            {
                **ACCOUNT,
                "ActionPlanIds": ["AP"],
                "ActionPlansOverwrite": True,
                "ReloadScheduler": True,
            },
            "set_account",
            ("cgrates.org", "1001"),
            {
                "allow_negative": None,
                "disabled": None,
                "action_plan_ids": ["AP"],
                "action_plans_overwrite": True,
                "action_trigger_ids": None,
                "action_triggers_overwrite": False,
                "reload_scheduler": True,
            },
        ),
        (
            "APIerSv1.ExecuteAction",
            {**ACCOUNT, "ActionsId": "A"},
            "execute_action",
            ("cgrates.org", "1001", "A"),
            {},
        ),
        ("APIerSv1.GetActions", "ACTS", "get_tp_actions", ("ACTS",), {}),
        (
            "APIerSv1.GetCost",
            {
                "Tenant": "cgrates.org",
                "Subject": "1001",
                "Destination": "1003",
                "AnswerTime": "*now",
                "Usage": "2m10s",
            },
            "api_get_cost",
            ("cgrates.org", "", "1001", "*now", "1003", 130_000_000_000),
            {},
        ),
    ],
)
def test_api_methods_call_the_engine_with_typed_arguments(
    rpc: Any,
    engine: RecordingEngine,
    method: str,
    params: Any,
    call: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> None:
    reply = rpc(method, [params])
    assert reply["error"] is None, reply
    assert engine.last == (call, args, kwargs)


def test_v1_get_account_answers_the_old_structure(rpc: Any, engine: RecordingEngine) -> None:
    engine.results["get_account"] = {
        "ID": "cgrates.org:1001",
        "AllowNegative": False,
        "Disabled": False,
        "BalanceMap": {
            "*monetary": [
                {
                    "Uuid": "u",
                    "ID": "*default",
                    "Value": Decimal("9.5"),
                    "DestinationIDs": {"DST_1": True, "X": False},
                    "Weight": 0,
                }
            ]
        },
        "UnitCounters": None,
        "ActionTriggers": None,
    }
    account = rpc("APIerSv1.GetAccount", [ACCOUNT])["result"]
    assert account["Id"] == "*out:cgrates.org:1001"
    balance = account["BalanceMap"]["*monetary*out"][0]
    assert (balance["Id"], balance["Value"], balance["DestinationIds"]) == (
        "*default",
        Decimal("9.5"),
        "DST_1;!X",
    )


def test_load_from_a_folder_that_does_not_exist_is_invalid_path(
    rpc: Any, engine: RecordingEngine, tmp_path: Any
) -> None:
    reply = rpc("APIerSv1.LoadTariffPlanFromFolder", [{"FolderPath": str(tmp_path / "nope")}])
    assert reply["error"] == "INVALID_PATH" and not engine.calls
    assert (
        rpc("APIerSv1.LoadTariffPlanFromFolder", [{"FolderPath": str(tmp_path)}])["result"] == "OK"
    )
    assert engine.last == ("load_folder", (str(tmp_path),), {"dry_run": False})


def test_every_engine_method_reaches_the_engine_when_given_valid_arguments(
    rpc: Any, engine: RecordingEngine, tmp_path: Any
) -> None:
    from .test_schemas import _full_args

    table = build_table()
    engine.results["list_accounts"] = []
    for name in methods_needing(table, "engine"):
        method = table.resolve(name)
        params = _full_args(method) if hasattr(method.schema, "fields") else "X"
        if isinstance(params, dict) and "FolderPath" in params:
            params["FolderPath"] = str(tmp_path)
        before = len(engine.calls)
        reply = rpc(name, [params])
        assert reply["error"] is None, (name, reply)
        assert len(engine.calls) == before + 1, name
