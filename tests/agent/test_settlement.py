"""Settling a session (rating/settlement.py) against the engine on the reference store."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from rating.engine import Engine
from rating.sessions import SessionRecord, apply_debit, debit_descriptor
from rating.settlement import charge_call, rate_call, settle_prepaid
from rating.store.memory import MemoryStore
from rating.timeutil import SECOND

from .support import balance, cdrs, make_engine, set_balance, write_plan

S = SECOND
ANSWER = 1_795_300_000 * S


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = make_engine(MemoryStore())
    assert engine.load_folder(str(write_plan(tmp_path / "plan"))).ok
    return engine


def session(destination: str = "1002", interval: int = 10 * S,
            request_type: str = "*prepaid") -> SessionRecord:
    return SessionRecord("call-1", "fs1", request_type, "cgrates.org", "call", "1001", "1001",
                         destination, ANSWER - S, interval, answer_ns=ANSWER, anchor_ns=ANSWER,
                         state="active")


def debit(engine: Engine, rec: SessionRecord, seq: int) -> None:
    cc = engine.max_debit(debit_descriptor(rec, seq), debit_id=f"{rec.origin_id}:{seq}")
    apply_debit(rec, seq, cc)


def test_a_prepaid_call_pays_for_its_used_increments_and_gets_the_rest_back(
        engine: Engine) -> None:
    set_balance(engine.store, "1001", "1.00")
    rec = session()
    debit(engine, rec, 0)
    debit(engine, rec, 1)
    assert balance(engine.store, "1001") == Decimal("0.80")
    done = settle_prepaid(engine, rec, 12_300_000_000)  # 12.3 s: 13 increments
    assert (done.cost, done.refunded, done.written_off) == (Decimal("0.13"), Decimal("0.07"), 0)
    assert balance(engine.store, "1001") == Decimal("0.87")
    [cdr] = cdrs(engine.store, "1001")
    assert (cdr["Usage"], cdr["Cost"], cdr["CostSource"]) == (12_300_000_000, "0.13",
                                                             "*sessions")


def test_settling_twice_changes_the_account_once_and_writes_one_cdr(engine: Engine) -> None:
    set_balance(engine.store, "1001", "1.00")
    rec = session()
    debit(engine, rec, 0)
    first = settle_prepaid(engine, rec, 4 * S)
    again = settle_prepaid(engine, rec, 4 * S)
    assert first == again
    assert balance(engine.store, "1001") == Decimal("0.96")
    assert len(cdrs(engine.store, "1001")) == 1


def test_time_used_beyond_the_reservation_is_debited_as_far_as_the_money_goes(
        engine: Engine) -> None:
    set_balance(engine.store, "1001", "0.12")
    rec = session()
    debit(engine, rec, 0)  # 10 s reserved, 0.02 left
    done = settle_prepaid(engine, rec, 15 * S)
    assert done.extra_cost == Decimal("0.02")
    assert done.written_off == 3 * S  # nobody pays seconds 13-15
    assert balance(engine.store, "1001") == Decimal("0")


def test_an_account_that_may_go_negative_pays_all_of_its_extra_time(engine: Engine) -> None:
    set_balance(engine.store, "1001", "0.10", AllowNegative=True)
    rec = session()
    debit(engine, rec, 0)
    done = settle_prepaid(engine, rec, 15 * S)
    assert (done.written_off, balance(engine.store, "1001")) == (0, Decimal("-0.05"))


def test_the_connect_fee_is_never_refunded(engine: Engine) -> None:
    set_balance(engine.store, "1001", "1.00")
    rec = session("1003")
    debit(engine, rec, 0)  # 0.05 fee + 10 s
    done = settle_prepaid(engine, rec, 0)
    assert done.cost == Decimal("0.05")
    assert balance(engine.store, "1001") == Decimal("0.95")


def test_a_session_whose_account_vanished_still_gets_its_cdr(engine: Engine) -> None:
    rec = session()
    done = settle_prepaid(engine, rec, 3 * S)
    assert done.error == "ACCOUNT_NOT_FOUND"
    assert [c["OriginID"] for c in cdrs(engine.store)] == ["call-1"]


def test_a_postpaid_call_is_charged_whole_and_may_go_into_debt(engine: Engine) -> None:
    set_balance(engine.store, "1001", "0.01")
    done = charge_call(engine, session(request_type="*postpaid"), 2_500_000_000)
    assert done.cost == Decimal("0.03")
    assert balance(engine.store, "1001") == Decimal("-0.02")
    assert charge_call(engine, session(request_type="*postpaid"), 2_500_000_000) == done
    assert balance(engine.store, "1001") == Decimal("-0.02")


def test_a_rated_call_is_priced_without_an_account(engine: Engine) -> None:
    done = rate_call(engine, session(request_type="*rated"), 61 * S)
    assert done.cost == Decimal("0.61")
    [cdr] = cdrs(engine.store)
    assert (cdr["CostSource"], cdr["Cost"]) == ("*cdrs", "0.61")
