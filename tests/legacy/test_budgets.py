"""rating/legacy_budgets.py: the 2012 budgets as changes of a v0.10 account.

The account is the test tariff plan's vdf:rif (money 200, 100 SMS, 300 s to DST_0257, a
received-calls trigger at 100 s with a +1 bonus and a volume trigger at 600 s with 60 s
to DST_0256), changed in memory with the actions layer's real trigger machinery.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from rating import legacy_budgets as budgets
from rating.accounts import Account
from rating.action_context import ActionContext
from rating.action_model import Action
from rating.balances import MONETARY, SMS, VOICE, Balance
from rating.engine import Engine
from rating.errors import InsufficientCredit, ServerError
from rating.store.memory import MemoryStore
from rating.timeutil import SECOND
from rating.triggers import ActionTrigger, BalanceFilter

from .support import TARIFF_PLAN, make_engine

S = SECOND


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    engine = make_engine(MemoryStore())
    assert engine.load_folder(str(TARIFF_PLAN)).ok
    engine.reload_scheduler()  # the *asap top-ups
    yield engine


@pytest.fixture
def acc(engine: Engine) -> Account:
    doc = engine.store.get_account("vdf:rif")
    assert doc is not None
    return Account.from_doc(doc)


@pytest.fixture
def ctx(engine: Engine) -> ActionContext:
    context: ActionContext = engine.action_context(engine.now_ns(), engine.action_prep())
    return context


def _counter(acc: Account, unique_id: str) -> Decimal:
    for uc in (acc.UnitCounters or {}).get(VOICE, ()):
        for c in uc.Counters:
            if c.Filter is not None and unique_id == c.Filter.ID:
                return c.Value
    raise AssertionError(f"no counter {unique_id}")


def _value(acc: Account, btype: str, balance_id: str) -> Decimal:
    return next(b.Value for b in acc.BalanceMap[btype] if balance_id == b.ID)


def test_received_seconds_below_the_threshold_only_count(acc: Account,
                                                         ctx: ActionContext) -> None:
    budgets.count_received(acc, 40 * S, "0257", ctx)
    budgets.count_received(acc, 40 * S, "0257", ctx)
    assert _counter(acc, "RECEIVED_CALLS") == 80 * S
    assert _value(acc, MONETARY, "*default") == 200


def test_reaching_the_received_threshold_pays_the_bonus_and_resets_the_counter(
        acc: Account, ctx: ActionContext) -> None:
    budgets.count_received(acc, 80 * S, "0257", ctx)
    budgets.count_received(acc, 30 * S, "0257", ctx)
    assert _value(acc, MONETARY, "*default") == 201
    assert _counter(acc, "RECEIVED_CALLS") == 0
    budgets.count_received(acc, 100 * S, "0257", ctx)  # recurrent: the next 100 s pay again
    assert _value(acc, MONETARY, "*default") == 202


def test_received_and_placed_seconds_count_on_separate_counters(acc: Account,
                                                                ctx: ActionContext) -> None:
    budgets.count_received(acc, 50 * S, "0256", ctx)
    budgets.count_placed(acc, 70 * S, "call", "0256", ctx)
    assert (_counter(acc, "RECEIVED_CALLS"), _counter(acc, "VOLUME_600")) == (Decimal(50 * S), Decimal(70 * S))


def test_the_volume_threshold_gives_its_discount_once_until_reset(acc: Account,
                                                                  ctx: ActionContext) -> None:
    budgets.count_placed(acc, 600 * S, "call", "0256", ctx)
    assert _value(acc, VOICE, "volume_bonus") == 60 * S
    budgets.count_placed(acc, 600 * S, "call", "0256", ctx)
    assert _value(acc, VOICE, "volume_bonus") == 60 * S  # fired; not recurrent
    budgets.reset_placed(acc)
    assert _counter(acc, "VOLUME_600") == 0
    budgets.count_placed(acc, 600 * S, "call", "0256", ctx)
    assert _value(acc, VOICE, "volume_bonus") == 120 * S


def test_resetting_volume_seconds_keeps_the_received_seconds(acc: Account,
                                                             ctx: ActionContext) -> None:
    budgets.count_received(acc, 50 * S, "0256", ctx)
    budgets.count_placed(acc, 50 * S, "call", "0256", ctx)
    budgets.reset_placed(acc)
    assert (_counter(acc, "RECEIVED_CALLS"), _counter(acc, "VOLUME_600")) == (Decimal(50 * S), Decimal(0))


@pytest.mark.parametrize(("btype", "amount", "dest", "left"), [
    (MONETARY, Decimal("1.5"), "0257", {"*default": Decimal("198.5")}),
    (SMS, Decimal(3), "0257", {"free_sms": Decimal(97)}),
    (VOICE, Decimal(100 * S), "0257", {"free_0257": Decimal(200 * S)}),
])
def test_a_budget_debit_takes_from_the_balances_a_call_would_use(
        engine: Engine, acc: Account, ctx: ActionContext, btype: str, amount: Decimal,
        dest: str, left: dict[str, Decimal]) -> None:
    budgets.debit_budget(acc, engine.tariffs(), btype, amount, destination=dest,
                         category="call", direction="*out", ctx=ctx, new_uuid="u")
    assert {b.ID: b.Value for b in acc.BalanceMap[btype] if b.ID in left} == left


def test_minutes_for_another_destination_cannot_pay_and_nothing_changes(
        engine: Engine, acc: Account, ctx: ActionContext) -> None:
    before = acc.to_doc()
    with pytest.raises(InsufficientCredit):
        budgets.debit_budget(acc, engine.tariffs(), VOICE, Decimal(10 * S), destination="0256",
                             category="call", direction="*out", ctx=ctx, new_uuid="u")
    assert acc.to_doc() == before


def test_more_than_the_budget_is_refused_whole(engine: Engine, acc: Account,
                                               ctx: ActionContext) -> None:
    before = acc.to_doc()
    with pytest.raises(InsufficientCredit):
        budgets.debit_budget(acc, engine.tariffs(), SMS, Decimal(101), destination="0256",
                             category="call", direction="*out", ctx=ctx, new_uuid="u")
    assert acc.to_doc() == before


def test_a_postpaid_account_takes_money_below_zero_from_the_default_balance(
        engine: Engine, acc: Account, ctx: ActionContext) -> None:
    acc.AllowNegative = True
    budgets.debit_budget(acc, engine.tariffs(), MONETARY, Decimal(250), destination="0256",
                         category="call", direction="*out", ctx=ctx, new_uuid="u")
    assert _value(acc, MONETARY, "*default") == -50


def test_units_never_go_below_zero_even_when_postpaid(engine: Engine, acc: Account,
                                                      ctx: ActionContext) -> None:
    acc.AllowNegative = True
    with pytest.raises(InsufficientCredit):
        budgets.debit_budget(acc, engine.tariffs(), SMS, Decimal(101), destination="0256",
                             category="call", direction="*out", ctx=ctx, new_uuid="u")


@pytest.mark.parametrize("amount", [Decimal(0), Decimal(-5)])
def test_a_budget_debit_needs_a_positive_amount(engine: Engine, acc: Account, ctx: ActionContext,
                                                amount: Decimal) -> None:
    with pytest.raises(ServerError):
        budgets.debit_budget(acc, engine.tariffs(), SMS, amount, destination="0256",
                             category="call", direction="*out", ctx=ctx, new_uuid="u")


def test_balances_are_taken_by_weight_and_a_blocker_stops_the_search(
        acc: Account, ctx: ActionContext) -> None:
    low, blocker, high = (Balance("a", "low", Decimal(5), Weight=Decimal(1)),
                          Balance("b", "blk", Decimal(1), Weight=Decimal(5), Blocker=True),
                          Balance("c", "high", Decimal(2), Weight=Decimal(9)))
    budgets.take(acc, [high, low], Decimal(4), btype=SMS, allow_negative=False, ctx=ctx,
                 new_uuid="u")
    assert [high.Value, low.Value] == [0, 3]
    with pytest.raises(InsufficientCredit):
        budgets.take(acc, [blocker, low], Decimal(2), btype=SMS, allow_negative=False, ctx=ctx,
                     new_uuid="u")
    assert [blocker.Value, low.Value] == [1, 3]


def test_a_money_debit_fires_a_min_balance_trigger(engine: Engine, acc: Account,
                                                   ctx: ActionContext) -> None:
    acc.ActionTriggers = [*(acc.ActionTriggers or []), ActionTrigger(
        "LOW", "LOW", "*min_balance", Decimal(150), Balance=BalanceFilter(Type=MONETARY),
        ActionsID="RECEIVED_BONUS")]
    budgets.debit_budget(acc, engine.tariffs(), MONETARY, Decimal(60), destination="0256",
                         category="call", direction="*out", ctx=ctx, new_uuid="u")
    assert _value(acc, MONETARY, "*default") == 141  # 200 - 60 + the trigger's 1
    assert "LOW" in ctx.effects.fired


def test_a_negative_money_amount_is_added_to_the_default_balance(acc: Account,
                                                                 ctx: ActionContext) -> None:
    budgets.credit_money(acc, Decimal("2.5"), ctx, "u")
    assert _value(acc, MONETARY, "*default") == Decimal("202.5")


def test_the_budget_total_counts_usable_balances_of_the_direction(acc: Account,
                                                                  engine: Engine) -> None:
    now = engine.now_ns()
    acc.BalanceMap[SMS] += [Balance("e", "expired", Decimal(7), ExpirationDate=now - 1),
                            Balance("d", "disabled", Decimal(7), Disabled=True),
                            Balance("i", "inbound", Decimal(7), Directions={"*in": True}),
                            Balance("o", "outbound", Decimal(5), Directions={"*out": True})]
    assert budgets.budget_total(acc, SMS, "*out", now, engine.timezone) == 105
    assert budgets.budget_total(acc, SMS, "*in", now, engine.timezone) == 7


def test_a_budget_reset_runs_only_the_topup_reset_actions() -> None:
    actions = [Action("A", "*topup_reset"), Action("A", "*topup"), Action("A", "*log"),
               Action("A", "*topup_reset")]
    assert budgets.topup_resets(actions) == [actions[0], actions[3]]


def test_a_budget_debit_in_direction_in_takes_only_inbound_balances(
        engine: Engine, acc: Account, ctx: ActionContext) -> None:
    inbound = Balance("i", "inbound", Decimal(2), Directions={"*in": True})
    acc.BalanceMap[SMS].append(inbound)
    budgets.debit_budget(acc, engine.tariffs(), SMS, Decimal(2), destination="0256",
                         category="call", direction="*in", ctx=ctx, new_uuid="u")
    assert [inbound.Value, _value(acc, SMS, "free_sms")] == [0, 100]
    with pytest.raises(InsufficientCredit):
        budgets.debit_budget(acc, engine.tariffs(), SMS, Decimal(1), destination="0256",
                             category="call", direction="*in", ctx=ctx, new_uuid="u")
