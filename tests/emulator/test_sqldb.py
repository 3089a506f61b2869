"""The emulator's SQL view of channels: pending writes stay bounded without queries."""

from __future__ import annotations

from agent.emulator.clock import Clock
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
