"""GetMaxSessionTime (SPEC.md C.4) and MaxDebit (C.3) on worked examples."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rating.calldesc import CallDescriptor
from rating.engine import Engine
from rating.errors import AccountDisabled, AccountNotFound, InsufficientCredit
from rating.timeutil import SECOND

from .support import balance, cd, make_engine, put_account, values

ACC = "cgrates.org:1001"
THREE_HOURS = 3 * 3600


@pytest.fixture
def engine() -> Engine:
    return make_engine()


@pytest.mark.parametrize(("balances", "destination", "seconds", "expected"), [
    # B.5a (derived): 10.00 - 0.4 fee - 0.2 first minute = 9.4 -> 5628 s at 0.00167
    ([balance("m", 10)], "1002", THREE_HOURS, 60 + 5628),
    # E.4: MaxCost 0.12 *disconnect at 0.01/s stops after 12 s (exact; CGRateS says 13)
    ([balance("m", 10)], "1003", THREE_HOURS, 12),
    # no credit at all
    ([], "1002", THREE_HOURS, 0),
    ([balance("m", 0)], "1002", THREE_HOURS, 0),
    # credit below the connect fee
    ([balance("m", "0.3")], "1002", THREE_HOURS, 0),
    # no single balance covers the 0.4 fee
    ([balance("a", "0.3"), balance("b", "0.3")], "1002", THREE_HOURS, 0),
    # fee paid but the first whole minute (0.2) is not affordable
    ([balance("m", "0.55")], "1002", THREE_HOURS, 0),
    # the first 60 s increment is granted whole, capped at what was asked
    ([balance("m", 10)], "1002", 20, 20),
    # enough for everything asked
    ([balance("m", 10)], "1002", 130, 130),
    # MaxCost 0.5 *free: after 0.5 the rest is free
    ([balance("m", 1)], "1004", THREE_HOURS, THREE_HOURS),
    ([balance("m", "0.3")], "1004", THREE_HOURS, 30),
    # free minutes then money
    ([balance("v", 90 * SECOND, ID="v", BalanceType="*voice")], "1003", THREE_HOURS, 90),
])
def test_max_session_time_worked_examples(engine: Engine, balances: list[dict[str, object]],
                                          destination: str, seconds: int,
                                          expected: int) -> None:
    money = [b for b in balances if b.get("BalanceType") != "*voice"]
    voice = [{k: v for k, v in b.items() if k != "BalanceType"} for b in balances
             if b.get("BalanceType") == "*voice"]
    put_account(engine.store, ACC, {"*monetary": money, "*voice": voice})
    assert engine.max_session_time(cd(destination, seconds)) == expected * SECOND


def test_allow_negative_accounts_are_unlimited(engine: Engine) -> None:
    put_account(engine.store, ACC, {}, AllowNegative=True)
    assert engine.max_session_time(cd("1002", THREE_HOURS)) == -1


def test_max_rate_refuses_spans_priced_above_it(engine: Engine) -> None:
    put_account(engine.store, ACC, {"*monetary": [balance("m", 10)]})
    cheap = cd("1003", 60, MaxRate=Decimal("0.02"), MaxRateUnit=SECOND)
    dear = cd("1003", 60, MaxRate=Decimal("0.005"), MaxRateUnit=SECOND)
    assert engine.max_session_time(cheap) == 12 * SECOND
    assert engine.max_session_time(dear) == 0


def test_max_session_time_never_changes_the_account(engine: Engine) -> None:
    put_account(engine.store, ACC, {"*monetary": [balance("m", 10)]})
    engine.max_session_time(cd("1002", THREE_HOURS))
    assert values(engine, "1001") == {"m": Decimal(10)}
    assert "*default" not in {b.ID for _, b in engine.get_account("cgrates.org", "1001").balances()}


def test_max_session_time_errors(engine: Engine) -> None:
    with pytest.raises(AccountNotFound):
        engine.max_session_time(cd("1002", 60, subject="ghost"))
    put_account(engine.store, ACC, {"*monetary": [balance("m", 10)]}, Disabled=True)
    with pytest.raises(AccountDisabled):
        engine.max_session_time(cd("1002", 60))


def test_max_debit_grants_what_the_account_can_pay(engine: Engine) -> None:
    put_account(engine.store, ACC, {"*monetary": [balance("m", 10)]})
    cc = engine.max_debit(cd("1003", THREE_HOURS), debit_id="d1")
    assert (cc.Cost, cc.rated_usage) == (Decimal("0.12"), 12 * SECOND)
    assert values(engine, "1001") == {"m": Decimal("9.88")}


def test_max_debit_with_no_credit_returns_an_empty_cost(engine: Engine) -> None:
    put_account(engine.store, ACC, {"*monetary": [balance("m", "0.3")]})
    cc = engine.max_debit(cd("1002", 60), debit_id="d1")
    assert cc.Cost == 0 and cc.Timespans == []
    assert cc.AccountSummary is not None
    assert values(engine, "1001") == {"m": Decimal("0.3")}


def test_max_debit_with_force_duration_refuses_a_partial_grant(engine: Engine) -> None:
    put_account(engine.store, ACC, {"*monetary": [balance("m", "0.1")]})
    with pytest.raises(InsufficientCredit) as err:
        engine.max_debit(cd("1003", 30, ForceDuration=True), debit_id="d1")
    assert str(err.value) == "INSUFFICIENT_CREDIT"
    assert values(engine, "1001") == {"m": Decimal("0.1")}


def test_max_debit_for_allow_negative_accounts_debits_everything(engine: Engine) -> None:
    put_account(engine.store, ACC, {}, AllowNegative=True)
    cc = engine.max_debit(cd("1002", 130), debit_id="d1")
    assert cc.Cost == Decimal("0.7169")
    (default,) = engine.get_account("cgrates.org", "1001").BalanceMap["*monetary"]
    assert default.Value == Decimal("-0.7169")


def test_max_debit_is_idempotent_by_debit_id(engine: Engine) -> None:
    put_account(engine.store, ACC, {"*monetary": [balance("m", 1)]})
    for _ in range(3):
        cc = engine.max_debit(cd("1003", 10, LoopIndex=Decimal(0)), debit_id="loop-0")
    assert cc.Cost == Decimal("0.1")
    assert values(engine, "1001") == {"m": Decimal("0.9")}


def test_debit_loop_chunks_respect_max_cost_so_far(engine: Engine) -> None:
    # SessionS passes the cost so far: 0.10 already debited on a 0.12 *disconnect rate
    put_account(engine.store, ACC, {"*monetary": [balance("m", 10)]})
    chunk = cd("1003", 5, start="2014-08-04T13:00:10Z", LoopIndex=Decimal(2),
               DurationIndex=15 * SECOND, MaxCostSoFar=Decimal("0.10"))
    cc = engine.max_debit(chunk, debit_id="loop-2")
    assert cc.rated_usage == 2 * SECOND


def test_the_e4_wire_example_answers_twelve_seconds(engine: Engine) -> None:
    # SPEC.md E.4: Responder.GetMaxSessionTime for 1001 -> 1003 (MaxCost 0.12 *disconnect);
    # CGRateS answers 13000000000 because of a float sum, we answer 12 s (docs/compat.md)
    put_account(engine.store, ACC, {"*monetary": [balance("m", 10)]})
    request = CallDescriptor.from_json({
        "Tenant": "cgrates.org", "Category": "call", "Subject": "1001", "Account": "1001",
        "Destination": "1003", "TimeStart": "2014-08-04T13:00:00Z",
        "TimeEnd": "2014-08-04T16:00:00Z"})
    assert engine.max_session_time(request) == 12_000_000_000
