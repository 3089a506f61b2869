"""The emulator's SQL view of channels: pending writes stay bounded without queries."""

from __future__ import annotations

from agent.emulator.clock import Clock
from agent.emulator.events import OutEvent
from agent.emulator.sqldb import FLUSH_AT, UPDATES, SqlMirror


def test_due_writes_are_applied_without_a_query_once_many_are_pending() -> None:
    sql = SqlMirror(Clock(), lag=0.2, hostname="vm", exists=lambda uuid: True)
    applied: list[int] = []
    for i in range(3 * FLUSH_AT):
        sql._later(lambda i=i: applied.append(i), UPDATES)
    assert len(sql._pending) < FLUSH_AT
    assert applied == list(range(len(applied))) and len(applied) >= 2 * FLUSH_AT


def test_writes_that_are_not_due_stay_pending_and_the_next_check_moves_on() -> None:
    sql = SqlMirror(Clock(), lag=0.2, hostname="vm", exists=lambda uuid: True)
    applied: list[int] = []
    for i in range(FLUSH_AT + 10):
        sql._later(lambda i=i: applied.append(i), lag=3600.0)
    assert applied == [] and len(sql._pending) == FLUSH_AT + 10
    assert sql._flush_at >= 2 * FLUSH_AT  # not re-scanned on every write
    sql.flush(everything=True)
    assert len(applied) == FLUSH_AT + 10


def _event(name: str, **headers: str) -> OutEvent:
    return OutEvent(name, [(k.replace("_", "-"), v) for k, v in headers.items()])


def _scan(sql: SqlMirror, call_uuid: str) -> set[str]:
    return {uuid for uuid, row in sql.channels.items() if row["call_uuid"] == call_uuid}


def test_call_uuid_updates_follow_create_rename_bridge_unbridge_and_destroy() -> None:
    live = {"a-tmp", "a", "b", "c"}
    sql = SqlMirror(Clock(), lag=0.0, hostname="vm", exists=live.__contains__)
    steps = [
        _event("CHANNEL_CREATE", Unique_ID="a-tmp"),
        _event("CHANNEL_CREATE", Unique_ID="b"),
        _event("CHANNEL_CREATE", Unique_ID="c"),
        _event("CHANNEL_BRIDGE", Unique_ID="a-tmp", Bridge_A_Unique_ID="a-tmp",
               Bridge_B_Unique_ID="b", Channel_Call_UUID="a-tmp"),
        _event("CHANNEL_UUID", Unique_ID="a", Old_Unique_ID="a-tmp"),
    ]
    for event in steps:
        sql.on_event(event)
    sql.flush()
    assert sql.channels["a"]["uuid"] == "a" and "a-tmp" not in sql.channels
    assert _scan(sql, "a") == {"a", "b"} and sql._with_call_uuid("a-tmp") == []
    assert {row["uuid"] for row in sql._with_call_uuid("a")} == {"a", "b"}

    sql.on_event(_event("CHANNEL_UNBRIDGE", Unique_ID="a", Caller_Unique_ID="a",
                        Channel_Call_UUID="a"))
    sql.flush()
    assert sql.channels["a"]["call_uuid"] == "a" and sql.channels["b"]["call_uuid"] == "b"
    assert {row["uuid"] for row in sql._with_call_uuid("b")} == {"b"}

    live.discard("b")
    sql.on_event(_event("CHANNEL_DESTROY", Unique_ID="b"))
    sql.flush()
    assert "b" not in sql.channels and sql._with_call_uuid("b") == []
    assert set(sql._by_call) == {row["call_uuid"] for row in sql.channels.values()} - {""}
