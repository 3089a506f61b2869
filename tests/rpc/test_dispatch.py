"""Dispatching: names and aliases as Go net/rpc resolves them, both reply dialects, error
mapping, and the seed 002 exchange verbatim."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

import pytest

from agent.rpc import jsonvalue
from agent.rpc.context import CallContext
from agent.rpc.dispatcher import Dispatcher
from agent.rpc.errors import RpcError
from agent.rpc.methods import build_table, methods_needing
from agent.rpc.table import MethodTable
from rating.store.base import StoreError

from .seeds import exchanges
from .support import RecordingEngine, snapshot


@pytest.mark.parametrize(
    "name",
    [
        "APIerSv1.Ping",
        "ApierV1.Ping",
        "APIerSv2.Ping",
        "ApierV2.Ping",
        "Responder.Ping",
        "SessionSv1.Ping",
        "CoreSv1.Ping",
        "CDRsV2.Ping",
        "SchedulerSv1.Ping",
        "CacheSv1.Ping",
    ],
)
def test_ping_answers_pong_under_every_service_name(rpc: Any, name: str) -> None:
    assert rpc(name, [{}]) == {"id": 1, "result": "Pong", "error": None}


def test_v2_inherits_every_v1_method_unless_it_overrides_it(table: MethodTable) -> None:
    v1 = {n.split(".", 1)[1] for n in table.canonical_names() if n.startswith("APIerSv1.")}
    v2 = {n.split(".", 1)[1] for n in table.canonical_names() if n.startswith("APIerSv2.")}
    assert v1 <= v2
    assert table.resolve("APIerSv2.SetTPActionTriggers") is table.resolve(
        "ApierV1.SetTPActionTriggers"
    )
    assert table.resolve("APIerSv2.GetAccount") is not table.resolve("APIerSv1.GetAccount")


@pytest.mark.parametrize(
    ("method", "error"),
    [
        ("APIerSv1.NoSuchMethod", "rpc: can't find method APIerSv1.NoSuchMethod"),
        ("NoSuchService.Ping", "rpc: can't find service NoSuchService.Ping"),
        ("apiersv1.Ping", "rpc: can't find service apiersv1.Ping"),
        ("APIerSv1.ping", "rpc: can't find method APIerSv1.ping"),
        ("Ping", "rpc: service/method request ill-formed: Ping"),
    ],
)
def test_unknown_names_get_go_net_rpc_texts(rpc: Any, method: str, error: str) -> None:
    assert rpc(method, [{}])["error"] == error


def test_missing_params_is_an_error_in_the_go_dialect_only(dispatcher: Dispatcher) -> None:
    go = dispatcher.handle_text(b'{"method":"APIerSv1.Ping","id":3}')
    v2 = dispatcher.handle_text(b'{"jsonrpc":"2.0","method":"APIerSv1.Ping","id":3}')
    assert go == {"id": 3, "result": None, "error": "jsonrpc: request body missing params"}
    assert v2 == {"jsonrpc": "2.0", "id": 3, "result": "Pong"}


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        (
            b'{"jsonrpc":"2.0","method":"X.Y","params":[{}],"id":1}',
            -32601,
            "rpc: can't find service X.Y",
        ),
        (
            b'{"jsonrpc":"2.0","method":"APIerSv2.GetAccount","params":[{}],"id":1}',
            -32602,
            "MANDATORY_IE_MISSING: [Tenant Account]",
        ),
        (
            b'{"jsonrpc":"2.0","method":5,"id":1}',
            -32600,
            "the request has no method name (a string)",
        ),
        (b'{"jsonrpc":"2.0","method":"APIerSv2.GetAccount","params":[{}],"id":1', -32700, None),
        (
            b'{"jsonrpc":"2.0","method":"APIerSv2.GetAccount","params":[{"Tenant":"t","Account":"a"}],'
            b'"id":1}',
            -32000,
            "NOT_IMPLEMENTED",
        ),
    ],
)
def test_2_0_requests_get_2_0_errors_with_standard_codes(
    dispatcher: Dispatcher, text: bytes, code: int, message: str | None
) -> None:
    reply = dispatcher.handle_text(text)
    assert reply is not None and reply["jsonrpc"] == "2.0" and reply["id"] == 1
    assert reply["error"]["code"] == code
    if message:
        assert reply["error"]["message"] == message
    assert "result" not in reply


def test_a_2_0_notification_runs_but_gets_no_reply(dispatcher: Dispatcher) -> None:
    assert dispatcher.handle_text(b'{"jsonrpc":"2.0","method":"APIerSv1.Ping"}') is None


def test_a_bare_object_as_params_is_the_argument(rpc: Any, dispatcher: Dispatcher) -> None:
    reply = dispatcher.handle_text(
        b'{"jsonrpc":"2.0","method":"APIerSv1.GetTPIds","params":{},"id":"a"}'
    )
    assert reply == {"jsonrpc": "2.0", "id": "a", "error": {"code": -32000, "message": "NOT_FOUND"}}


@pytest.mark.parametrize("params", [5, "text", True, [5], [[]], ["x"]])
def test_non_object_params_are_refused_clearly(rpc: Any, params: Any) -> None:
    error = rpc("APIerSv2.GetAccount", params)["error"]
    assert error.startswith("SERVER_ERROR: params: expected an object, got ")


def test_an_empty_params_array_means_every_field_zero(rpc: Any) -> None:
    assert rpc("APIerSv2.GetAccount", [])["error"] == "MANDATORY_IE_MISSING: [Tenant Account]"


@pytest.mark.parametrize(
    "raw",
    [
        b'{"id":1,"method":"APIerSv1.Ping","params":[{}]',
        b'{"id":1,"method":APIerSv1.Ping}',
        b'{"id":1,,}',
    ],
)
def test_malformed_json_gets_an_error_reply_with_the_id_when_it_is_readable(
    dispatcher: Dispatcher, raw: bytes
) -> None:
    reply = dispatcher.handle_text(raw)
    assert reply is not None and reply["id"] == 1 and reply["result"] is None
    assert isinstance(reply["error"], str)


# -- error mapping ------------------------------------------------------------------------


class FakeRatingError(Exception):
    """Stands for rating's RatingError: its text is the CGRateS error string."""


@pytest.fixture
def mapped(table: MethodTable, ctx: CallContext) -> tuple[Dispatcher, RecordingEngine]:
    engine = RecordingEngine()
    ctx.engine = engine
    return Dispatcher(table, ctx, domain_errors=(FakeRatingError,)), engine


def _error_of(dispatcher: Dispatcher, method: str, params: Any) -> str:
    doc = {"method": method, "params": [params], "id": 1}
    reply = dispatcher.handle_text(jsonvalue.dumps(doc).encode())
    assert reply is not None
    return str(reply["error"])


ACCOUNT = {"Tenant": "cgrates.org", "Account": "1001"}


def test_domain_errors_answer_their_own_text_on_responder_methods(mapped: Any) -> None:
    dispatcher, engine = mapped
    engine.raises["max_session_time"] = FakeRatingError("ACCOUNT_NOT_FOUND")
    assert _error_of(dispatcher, "Responder.GetMaxSessionTime", ACCOUNT) == "ACCOUNT_NOT_FOUND"


def test_wrapping_methods_answer_server_error_except_for_not_found(mapped: Any) -> None:
    dispatcher, engine = mapped
    params = {**ACCOUNT, "ExtraOptions": {"AllowNegative": True}}
    engine.raises["set_account"] = FakeRatingError("BROKEN_REFERENCE:PLAN")
    assert (
        _error_of(dispatcher, "APIerSv1.SetAccount", params)
        == "SERVER_ERROR: BROKEN_REFERENCE:PLAN"
    )
    engine.raises["set_account"] = FakeRatingError("NOT_FOUND")
    assert _error_of(dispatcher, "APIerSv1.SetAccount", params) == "NOT_FOUND"


def test_store_errors_answer_server_error(mapped: Any) -> None:
    dispatcher, engine = mapped
    engine.raises["get_account"] = StoreError("redis is unreachable")
    assert (
        _error_of(dispatcher, "APIerSv2.GetAccount", ACCOUNT)
        == "SERVER_ERROR: redis is unreachable"
    )


def test_unexpected_exceptions_answer_internal_error_and_log_a_traceback(
    mapped: Any, caplog: pytest.LogCaptureFixture
) -> None:
    dispatcher, engine = mapped
    engine.raises["get_account"] = KeyError("oops")
    with caplog.at_level(logging.ERROR, logger="agent.rpc.dispatcher"):
        assert (
            _error_of(dispatcher, "APIerSv2.GetAccount", ACCOUNT) == "SERVER_ERROR: internal error"
        )
    assert any(r.exc_info for r in caplog.records)


def test_engine_methods_answer_not_implemented_until_an_engine_is_wired(rpc: Any) -> None:
    assert rpc("Responder.GetMaxSessionTime", [ACCOUNT])["error"] == "NOT_IMPLEMENTED"


def test_every_engine_method_is_listed_as_waiting_for_the_engine() -> None:
    waiting = methods_needing(build_table(), "engine")
    assert "Responder.GetMaxSessionTime" in waiting and "APIerSv2.GetAccount" in waiting
    assert "APIerSv1.SetTPActionTriggers" not in waiting


def test_rpc_errors_from_handlers_keep_their_text(mapped: Any) -> None:
    dispatcher, engine = mapped
    engine.raises["get_account"] = RpcError("NOT_FOUND")
    assert _error_of(dispatcher, "APIerSv2.GetAccount", ACCOUNT) == "NOT_FOUND"


# -- status ---------------------------------------------------------------------------------


def test_core_status_reports_cgrates_fields(rpc: Any) -> None:
    status = rpc("CoreSv1.Status", [{"Tenant": "cgrates.org"}])["result"]
    assert set(status) == {
        "NodeID",
        "MemoryUsage",
        "ActiveGoroutines",
        "Version",
        "RunningSince",
        "GoVersion",
    }
    assert status["MemoryUsage"].endswith("B") and status["ActiveGoroutines"] >= 1


# -- seed 002, verbatim -----------------------------------------------------------------------

SEED_002 = exchanges("002")


def test_seed_002_requests_get_the_documented_replies_in_order(dispatcher: Dispatcher) -> None:
    for request, documented in SEED_002:
        reply = dispatcher.handle_text(jsonvalue.dumps(request).encode())
        assert reply == documented, request["method"]


def test_seed_002_set_again_in_the_old_dialect_is_duplicate_and_changes_nothing(
    dispatcher: Dispatcher, store: Any
) -> None:
    request = SEED_002[0][0]
    first = dispatcher.handle_text(jsonvalue.dumps(request).encode())
    assert first is not None and first["result"] == "OK"
    before = snapshot(store)
    changed = {**request, "params": [{**request["params"][0], "ActionTriggers": []}]}
    reply = dispatcher.handle_text(jsonvalue.dumps(changed).encode())
    assert reply == {"id": 45, "result": None, "error": "DUPLICATE"}
    assert snapshot(store) == before


def test_seed_002_missing_mandatory_fields(rpc: Any) -> None:
    args = SEED_002[0][0]["params"][0]
    no_id = {k: v for k, v in args.items() if k != "ActionTriggersId"}
    assert rpc("ApierV1.SetTPActionTriggers", [no_id])["error"] == "MANDATORY_IE_MISSING: [ID]"
    assert rpc("ApierV1.GetTPActionTriggers", [{"ActionTriggersId": "X"}])["error"] == (
        "MANDATORY_IE_MISSING: [TPid]"
    )
    assert rpc("ApierV1.GetTPActionTriggerIds", [{}])["error"] == "MANDATORY_IE_MISSING: [TPid]"


def test_seed_002_old_dialect_requires_the_documented_trigger_fields(rpc: Any) -> None:
    args = SEED_002[0][0]["params"][0]
    trigger = {k: v for k, v in args["ActionTriggers"][1].items() if k != "Direction"}
    reply = rpc(
        "ApierV1.SetTPActionTriggers",
        [{**args, "ActionTriggers": [args["ActionTriggers"][0], trigger]}],
    )
    assert reply["error"] == "MANDATORY_IE_MISSING:ActionTrigger:1:[Direction]"


def test_seed_002_not_found_cases(rpc: Any) -> None:
    assert (
        rpc("ApierV1.GetTPActionTriggers", [{"TPid": "CGR_API_TESTS", "ActionTriggersId": "NOPE"}])[
            "error"
        ]
        == "NOT_FOUND"
    )
    assert rpc("ApierV1.GetTPActionTriggerIds", [{"TPid": "EMPTY"}])["error"] == "NOT_FOUND"


def test_seed_002_document_is_readable_in_the_v0_10_dialect(rpc: Any) -> None:
    rpc("ApierV1.SetTPActionTriggers", SEED_002[0][0]["params"])
    staged = rpc(
        "APIerSv1.GetTPActionTriggers", [{"TPid": "CGR_API_TESTS", "ID": "STANDARD_TRIGGERS"}]
    )["result"]
    assert staged["ID"] == "STANDARD_TRIGGERS" and "ActionTriggersId" not in staged
    third = staged["ActionTriggers"][2]
    assert third["BalanceDestinationIds"] == "FS_USERS"
    assert third["ThresholdValue"] == 15 and isinstance(third["ThresholdValue"], int | Decimal)
    assert "Direction" not in third and third["UniqueID"] == ""
