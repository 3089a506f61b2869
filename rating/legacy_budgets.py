"""The 2012 "budgets" as changes of a v0.10 account: counters, triggers, balances.

2012 kept per user a money Credit, SMS and minute budgets, "volume discount seconds" and
"received call seconds" with a bonus at a threshold of the tariff plan. v0.10 has the
pieces to express all of it, and these functions use only them, so a budget changed by an
old call is the same account state the v0.10 API reads:

- received call seconds: ``*voice`` ``*event`` unit counters whose filter has the category
  ``*in`` (the inbound marker). A ``*max_event_counter`` trigger on such a counter runs the
  bonus actions; the tariff plan resets the counter with ``*reset_counters`` (see
  docs/legacy.md for the recipe).
- volume discount seconds: the other ``*voice`` ``*event`` counters, the ones real call
  debits count too; thresholds on them run whatever discount actions the plan defines.
- money, SMS and minute budgets: the account's balances of that type, taken in the order
  calls take them; a debit counts on the unit counters and lets balance triggers fire, as a
  debit increment does.

Each function changes the account in place, inside the caller's store transaction, and
raises (changing nothing that is kept) when the change is refused.
"""

from __future__ import annotations

from datetime import tzinfo
from decimal import Decimal

from . import money
from .accounts import Account, balance_active, select_balances
from .action_context import ActionContext
from .action_model import Action
from .balances import MONETARY, VOICE, Balance
from .errors import InsufficientCredit, ServerError
from .tariffs import Tariffs
from .trigger_eval import (
    EVENT,
    add_units,
    event_matches,
    execute_action_triggers,
    init_counters,
)
from .triggers import BalanceFilter

#: The category that marks a counter (and an event) as inbound: received calls.
INBOUND = "*in"
OUT = "*out"
TOPUP_RESET = "*topup_reset"


def is_inbound(f: BalanceFilter | None) -> bool:
    """A counter or trigger filter that counts received calls."""
    return f is not None and bool((f.Categories or {}).get(INBOUND))


# -- counters ------------------------------------------------------------------------------

def count_received(acc: Account, usage_ns: int, destination: str, ctx: ActionContext) -> None:
    """AddRecievedCallSeconds: count on the inbound counters, then evaluate triggers."""
    init_counters(acc)
    for uc in (acc.UnitCounters or {}).get(VOICE, ()):
        if (uc.CounterType or EVENT) != EVENT:
            continue
        for c in uc.Counters:
            if is_inbound(c.Filter) and event_matches(c.Filter, INBOUND, destination, ctx):
                c.Value += usage_ns
    execute_action_triggers(acc, None, ctx)


def count_placed(acc: Account, usage_ns: int, category: str, destination: str,
                 ctx: ActionContext) -> None:
    """AddVolumeDiscountSeconds: count as a debit of that usage would, then evaluate."""
    init_counters(acc)
    add_units(acc, Decimal(usage_ns), VOICE, category, destination, None, ctx)
    execute_action_triggers(acc, None, ctx)


def reset_placed(acc: Account) -> None:
    """ResetVolumeDiscountSeconds: zero the placed-call counters and re-arm their triggers.

    Re-arming lets the volume thresholds be reached again, as 2012's reset to zero did.
    """
    init_counters(acc)
    for uc in (acc.UnitCounters or {}).get(VOICE, ()):
        if (uc.CounterType or EVENT) != EVENT:
            continue
        for c in uc.Counters:
            if not is_inbound(c.Filter):
                c.Value = money.ZERO
    for at in acc.ActionTriggers or ():
        balance = at.Balance
        if "event_counter" in at.ThresholdType and balance is not None \
                and balance.Type == VOICE and not is_inbound(balance):
            at.Executed = False


# -- budgets ------------------------------------------------------------------------------

def usable_balances(acc: Account, tariffs: Tariffs, btype: str, destination: str,
                    category: str, direction: str, at: int, tz: tzinfo) -> list[Balance]:
    """The balances of exactly this type a call would take from, best first, active now."""
    own = {id(b) for b in acc.BalanceMap.get(btype, ())}
    chosen = select_balances(acc, tariffs, destination, category, btype, at, direction)
    return [b for b in chosen
            if id(b) in own and balance_active(b, at, tz) and in_direction(b, direction)]


def take(acc: Account, chain: list[Balance], amount: Decimal, *, btype: str,
         allow_negative: bool, ctx: ActionContext, new_uuid: str) -> None:
    """Take `amount` from the balances in `chain` in order; all or nothing.

    What they cannot cover is taken from the ``*default`` money balance when the account
    may go negative and the budget is money; otherwise INSUFFICIENT_CREDIT, and no balance
    has changed.
    """
    parts: list[tuple[Balance, Decimal]] = []
    left = amount
    for b in chain:
        if left <= 0:
            break
        part = min(b.Value, left)
        parts.append((b, part))
        left -= part
        if b.Blocker and left > 0:
            break
    if left > 0 and (btype != MONETARY or not allow_negative):
        raise InsufficientCredit(f"{acc.ID}: {left} {btype} missing")
    for b, part in parts:
        b.set_value(b.Value - part, ctx.decimals)
    if left > 0:
        default = acc.default_balance(new_uuid)
        default.set_value(default.Value - left, ctx.decimals)


def debit_budget(acc: Account, tariffs: Tariffs, btype: str, amount: Decimal, *,
                 destination: str, category: str, direction: str, ctx: ActionContext,
                 new_uuid: str) -> None:
    """DebitBalance / DebitSMS / DebitSeconds: take, count like a debit, evaluate triggers."""
    if amount <= 0:
        raise ServerError(f"Amount {amount} must be positive")
    chain = usable_balances(acc, tariffs, btype, destination, category, direction,
                            ctx.now_ns, ctx.tz)
    before = {id(b): b.Value for b in acc.BalanceMap.get(btype, ())}
    take(acc, chain, amount, btype=btype, allow_negative=acc.AllowNegative, ctx=ctx,
         new_uuid=new_uuid)
    init_counters(acc)
    for b in acc.BalanceMap.get(btype, ()):
        taken = before.get(id(b), money.ZERO) - b.Value
        if taken:
            add_units(acc, taken, btype, category, destination, b, ctx)
    execute_action_triggers(acc, None, ctx)


def credit_money(acc: Account, amount: Decimal, ctx: ActionContext, new_uuid: str) -> None:
    """A negative DebitBalance: add to the ``*default`` money balance ("add/substract")."""
    default = acc.default_balance(new_uuid)
    default.set_value(default.Value + amount, ctx.decimals)
    execute_action_triggers(acc, None, ctx)


def budget_total(acc: Account, btype: str, direction: str, at: int, tz: tzinfo) -> Decimal:
    """GetBalance: the sum of the type's balances usable now in that direction.

    v0.10 balances have no direction and serve outbound calls: a balance counts for IN
    only when it is marked ``*in`` (callmeter's Directions), for OUT unless it is marked
    for other directions only.
    """
    return sum((b.Value for b in acc.BalanceMap.get(btype, ())
                if not b.expired_at(at) and b.active_at(at, tz)
                and in_direction(b, direction)), money.ZERO)


def in_direction(b: Balance, direction: str) -> bool:
    """Whether a balance belongs to a direction (see budget_total)."""
    if direction == OUT:
        return b.matches_direction(OUT)
    return bool((b.Directions or {}).get(direction))


def topup_resets(actions: list[Action]) -> list[Action]:
    """ResetUserBudget: the ``*topup_reset`` actions of a set, the tariff plan's amounts."""
    return [a for a in actions if a.ActionType == TOPUP_RESET]
