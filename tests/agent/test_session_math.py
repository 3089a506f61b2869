"""The pure arithmetic of sessions (rating/sessions.py): windows, trims, backstops, rounding."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rating import money
from rating.charged import ChargedRun, merge_run, rounding, trim
from rating.sessions import (
    SessionRecord,
    backstop_second,
    debit_due,
    debit_lead,
    debit_window,
    relative_backstop,
    usage_from_event,
)
from rating.timeutil import SECOND

S = SECOND
MS = 1_000_000


def record(**fields: object) -> SessionRecord:
    base = dict(origin_id="u1", origin_host="fs1", request_type="*prepaid", tenant="t",
                category="call", account="1001", subject="1001", destination="1002",
                setup_ns=1, debit_interval=10 * S)
    base.update(fields)
    return SessionRecord(**base)  # type: ignore[arg-type]


def run(duration: int, count: int, cost: str = "0.01", **fields: object) -> ChargedRun:
    return ChargedRun(duration, Decimal(cost), count, money_uuid="m", **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(("reserved", "seq", "window"), [
    (0, 0, (0, 10 * S)),
    (10 * S, 1, (10 * S, 20 * S)),
    (12 * S, 1, (12 * S, 20 * S)),  # increments overshot: less to ask
    (20 * S, 1, (20 * S, 20 * S)),  # nothing to ask
])
def test_a_debit_window_runs_from_what_is_paid_to_the_end_of_its_interval(
        reserved: int, seq: int, window: tuple[int, int]) -> None:
    assert debit_window(record(reserved=reserved), seq) == window


@pytest.mark.parametrize(("interval", "lead"), [
    (10 * S, S), (2 * S, S), (1 * S, 500 * MS), (400 * MS, 200 * MS)])
def test_debits_run_half_an_interval_early_at_most_a_second(interval: int, lead: int) -> None:
    assert debit_lead(interval) == lead


def test_the_first_debit_is_due_at_answer_and_the_others_on_fixed_deadlines() -> None:
    rec = record()
    assert [debit_due(rec, seq, S) for seq in range(4)] == [0, 9 * S, 19 * S, 29 * S]


@pytest.mark.parametrize(("used", "kept", "refunded"), [
    (0, [], [10]),  # answered, no time: everything but the connect fee back
    (1, [1], [9]),  # the straddled increment is charged whole
    (3 * S, [3], [7]),
    (3 * S + 1, [4], [6]),
    (10 * S, [10], []),
    (15 * S, [10], []),  # used more than reserved: nothing to refund
])
def test_trim_refunds_only_increments_wholly_after_the_used_time(
        used: int, kept: list[int], refunded: list[int]) -> None:
    fee = ChargedRun(0, Decimal("0.05"), 1, money_uuid="m")
    cut = trim([fee, run(S, 10)], used)
    assert [r.count for r in cut.kept if r.duration] == kept
    assert [r.count for r in cut.refund] == refunded
    assert cut.kept[0] == fee


def test_trim_keeps_a_whole_first_minute_of_a_minute_increment() -> None:
    cut = trim([run(60 * S, 1, "0.2"), run(S, 30, "0.00167")], 5 * S)
    assert (cut.kept_cost, cut.refund_cost) == (Decimal("0.2"), Decimal("0.0501"))
    assert cut.charged_until == 60 * S


runs_strategy = st.lists(
    st.tuples(st.sampled_from([0, 500 * MS, S, 60 * S]), st.integers(1, 50)), max_size=6)


@given(runs_strategy, st.integers(0, 4000 * S))
def test_trim_splits_every_increment_once_and_refunds_none_before_the_used_time(
        shape: list[tuple[int, int]], used: int) -> None:
    runs = [run(d, c) for d, c in shape]
    cut = trim(runs, used)
    assert sum(r.count for r in cut.kept + cut.refund) == sum(r.count for r in runs)
    total = sum(r.total_duration for r in runs)
    assert cut.charged_until == min(total, cut.charged_until)
    if used <= total:
        assert cut.charged_until >= used
        longest = max((d for d, _ in shape), default=0)
        assert cut.charged_until - used < max(longest, 1)


@given(st.integers(0, 10**6 * S), st.integers(0, 5 * S))
def test_an_absolute_backstop_never_fires_before_the_paid_time_plus_margin(
        end: int, margin: int) -> None:
    second = backstop_second(end, margin)
    # FreeSWITCH runs it once the whole epoch second reaches it: at second * S at the earliest
    assert second * S >= end + margin
    assert second * S < end + margin + S


@given(st.integers(1, 3 * 3600 * S), st.integers(0, 2 * S))
def test_a_relative_backstop_armed_at_answer_never_cuts_paid_time(
        allowed: int, margin: int) -> None:
    seconds = relative_backstop(allowed, margin)
    # "+N" may fire as early as N - 1 s after it is armed
    assert (seconds - 1) * S >= allowed + margin


def test_neighbouring_runs_of_the_same_kind_merge() -> None:
    runs: list[ChargedRun] = []
    merge_run(runs, run(S, 3))
    merge_run(runs, run(S, 2))
    merge_run(runs, run(S, 1, "0.02"))
    assert [(r.count, r.cost) for r in runs] == [(5, Decimal("0.01")), (1, Decimal("0.02"))]


def test_rounding_corrects_each_rate_once_for_the_whole_call() -> None:
    rated = dict(rounding_decimals=4, rounding_method=money.ROUNDING_UP, rating="RP|DST|RT|60")
    runs = [run(S, 7, "0.00167", **rated), run(S, 5, "0.00167", **rated)]
    corrections = rounding(runs)
    # 12 x 0.00167 = 0.02004 -> *up 4 decimals = 0.0201
    assert [c.cost for c in corrections] == [Decimal("0.00006")]
    assert rounding([run(S, 3, "0.01", **rated)]) == []


def test_a_session_record_survives_the_store() -> None:
    rec = record(answer_ns=5, anchor_ns=6, reserved=7, next_seq=2, cost=Decimal("0.1234"),
                 runs=[run(S, 3, unit_uuid="u", unit_consumed=Decimal(S))], state="active",
                 backstop_s=99, extra={"k": "v"})
    assert SessionRecord.from_doc(rec.to_doc()) == rec
    with pytest.raises(ValueError):
        SessionRecord.from_doc({"OriginID": "x"})


@pytest.mark.parametrize(("billmsec", "billsec", "usage"), [
    ("4500", "5", 4500 * MS), (None, "4", 4 * S), ("", "4", 4 * S), (None, None, None),
    ("abc", None, None), ("0", "0", 0)])
def test_usage_comes_from_billmsec_else_billsec(billmsec: str | None, billsec: str | None,
                                               usage: int | None) -> None:
    assert usage_from_event(billmsec, billsec) == usage
