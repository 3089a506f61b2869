"""RefundIncrements and RefundRounding (SPEC.md C.5)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rating.calldesc import CallDescriptor
from rating.charging import refundable_increments
from rating.engine import Engine
from rating.errors import AccountNotFound
from rating.spans import Increment, MonetaryInfo
from rating.timeutil import SECOND

from .support import balance, cd, make_engine, put_account, values

ACC = "cgrates.org:1001"


@pytest.fixture
def engine() -> Engine:
    return make_engine()


def refund_cd(increments: list[Increment], tor: str = "*voice",
              account: str = "1001") -> CallDescriptor:
    return CallDescriptor(Tenant="cgrates.org", Account=account, ToR=tor, Increments=increments)


def tail(increments: list[Increment], seconds: int) -> list[Increment]:
    """The whole increments lying after `seconds` of usage, one by one (the slow way)."""
    out, used = [], 0
    for inc in increments:
        for _ in range(inc.count):
            if used >= seconds * SECOND and inc.duration:
                out.append(inc.copy(1))
            used += inc.duration
    return out


def singles(increments: list[Increment]) -> list[tuple[int, Increment]]:
    """(start offset, increment) of every single increment."""
    out, offset = [], 0
    for inc in increments:
        for _ in range(inc.count):
            out.append((offset, inc))
            offset += inc.duration
    return out


@pytest.mark.parametrize("used", [0, 1, 30, 59.5, 60, 61, 99.5, 129, 130, 200])
def test_refundable_increments_are_the_whole_ones_after_the_usage(engine: Engine,
                                                                  used: float) -> None:
    put_account(engine.store, ACC, {"*monetary": [balance("m", 10)]})
    cc = engine.debit(cd("1002", 130), debit_id="d1")
    used_ns = int(used * SECOND)
    back = refundable_increments(cc, used_ns)
    expected = [i for start, i in singles(cc.increments()) if i.duration and start >= used_ns]
    assert sum(i.count for i in back) == len(expected)
    assert sum(i.cost * i.count for i in back) == sum(i.cost for i in expected)
    assert all(i.duration > 0 for i in back)  # never the connect fee


def test_unused_per_second_increments_are_refunded(engine: Engine) -> None:
    put_account(engine.store, ACC, {"*monetary": [balance("m", 10)]})
    cc = engine.debit(cd("1002", 130), debit_id="d1")
    account = engine.refund_increments(refund_cd(refundable_increments(cc, 100 * SECOND)),
                                       refund_id="r1")
    # 30 seconds x 0.00167 come back
    assert account.find_balance("m") is not None
    assert values(engine, "1001") == {"m": Decimal("9.2831") + Decimal("0.0501")}


def test_unit_increments_are_refunded_to_their_balance(engine: Engine) -> None:
    put_account(engine.store, ACC, {"*voice": [balance("v", 100 * SECOND)]})
    cc = engine.debit(cd("1003", 60), debit_id="d1")
    assert values(engine, "1001") == {"v": Decimal(40 * SECOND)}
    engine.refund_increments(refund_cd(tail(cc.increments(), 45)), refund_id="r1")
    assert values(engine, "1001") == {"v": Decimal(55 * SECOND)}


def test_refund_ids_make_refunds_idempotent(engine: Engine) -> None:
    put_account(engine.store, ACC, {"*monetary": [balance("m", 10)]})
    cc = engine.debit(cd("1002", 130), debit_id="d1")
    back = tail(cc.increments(), 100)
    for _ in range(3):
        engine.refund_increments(refund_cd(back), refund_id="same")
    assert values(engine, "1001") == {"m": Decimal("9.3332")}


def test_refunding_every_increment_restores_the_account(engine: Engine) -> None:
    put_account(engine.store, ACC, {"*monetary": [balance("m", 10)],
                                    "*voice": [balance("v", 30 * SECOND)]})
    cc = engine.debit(cd("1002", 130), debit_id="d1")
    engine.refund_increments(refund_cd(cc.increments()), refund_id="r1")
    assert values(engine, "1001") == {"m": Decimal(10), "v": Decimal(30 * SECOND)}


def test_increments_of_vanished_balances_are_skipped(engine: Engine) -> None:
    put_account(engine.store, ACC, {"*monetary": [balance("m", 10)]})
    gone = Increment(SECOND, Decimal("1"), 1, None, MonetaryInfo("nope", "", Decimal(0)), ACC)
    engine.refund_increments(refund_cd([gone]), refund_id="r1")
    assert values(engine, "1001") == {"m": Decimal(10)}


def test_refund_for_a_missing_account_is_account_not_found(engine: Engine) -> None:
    with pytest.raises(AccountNotFound):
        engine.refund_increments(refund_cd([], account="ghost"), refund_id="r1")


def test_refund_rounding_charges_round_increments(engine: Engine) -> None:
    put_account(engine.store, ACC, {"*monetary": [balance("m", 10)]})
    cc = engine.debit(cd("1002", 61.5), debit_id="d1")
    # 0.4 + 0.2 + 2 x 0.00167 = 0.60334; *up 4 -> 0.6034: 0.00006 more to charge
    rounding = cc.round_spans()
    assert [r.cost for r in rounding] == [Decimal("0.00006")]
    engine.refund_rounding(refund_cd(rounding), refund_id="rr1")
    assert values(engine, "1001") == {"m": Decimal(10) - Decimal("0.6034")}


def test_refund_increments_read_from_json_work_the_same(engine: Engine) -> None:
    put_account(engine.store, ACC, {"*monetary": [balance("m", 10)]})
    cc = engine.debit(cd("1002", 130), debit_id="d1")
    shape = {"Tenant": "cgrates.org", "Account": "1001", "ToR": "*voice",
             "Increments": [i.to_json() for i in tail(cc.increments(), 100)]}
    engine.refund_increments(CallDescriptor.from_json(shape), refund_id="r1")
    assert values(engine, "1001") == {"m": Decimal("9.3332")}
