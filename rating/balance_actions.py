"""Actions that change balances (SPEC.md D.3): top-ups, debits, set, remove, expiry, reset.

Each function changes the in-memory account and raises a RatingError when it cannot; the
caller's transaction then keeps nothing. Top-up/debit/set-balance actions re-initialise
the unit counters and evaluate the triggers afterwards, as CGRateS does.
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal

from . import money
from .accounts import Account
from .action_context import ActionContext
from .action_model import Action
from .balance_match import create_balance, filter_value, match_filter, modify_balance
from .balances import BALANCE_TYPES, META_DEFAULT, MONETARY, Balance
from .errors import NotFound, ServerError
from .trigger_eval import execute_action_triggers, init_counters, reset_action_triggers

log = logging.getLogger(__name__)


def _need_account(acc: Account | None, a: Action) -> Account:
    if acc is None:
        raise ServerError(f"{a.ActionType} needs an account")
    return acc


def _balance_type(a: Action) -> str:
    btype = a.Balance.Type or ""
    if btype not in BALANCE_TYPES:
        raise ServerError(f"{a.ActionType} needs a BalanceType of {', '.join(BALANCE_TYPES)}"
                          f", not {btype!r}")
    return btype


def _factor(a: Action) -> dict[str, Decimal] | None:
    """A unit Factor from ExtraParameters (``{"*voice": 60}``), else None."""
    if not a.ExtraParameters:
        return None
    try:
        data = json.loads(a.ExtraParameters)
        return {str(k): money.to_decimal(v) for k, v in dict(data).items()}
    except (ValueError, TypeError):
        log.warning("action %s: ExtraParameters %r is not a value factor", a.Id,
                    a.ExtraParameters)
        return None


def debit_balance(acc: Account, a: Action, ctx: ActionContext, value: Decimal, *,
                  reset: bool = False, reset_if_negative: bool = False) -> None:
    """CGRateS ``debitBalanceAction``: subtract `value` from every matching unexpired
    balance (after zeroing it on reset); create one with -value when none matches."""
    btype = _balance_type(a)
    found = False
    for b in acc.BalanceMap.get(btype, ()):
        if b.expired_at(ctx.now_ns) or not match_filter(b, a.Balance):
            continue
        if reset or (reset_if_negative and b.Value < 0):
            b.set_value(money.ZERO, ctx.decimals)
        b.set_value(b.Value - value, ctx.decimals)
        found = True
        ctx.balance_values[id(a)] = b.Value
    if not found:
        if a.Balance.ID == META_DEFAULT:
            new = Balance(ctx.new_id(), META_DEFAULT, -value)
        else:
            new = create_balance(a.Balance, ctx.new_id(),
                                 money.round_middle(-value, ctx.decimals) if value else value,
                                 dict(ctx.timings))
            new.Factor = _factor(a)
        new.dirty = True
        acc.BalanceMap.setdefault(btype, []).append(new)
        ctx.balance_values[id(a)] = new.Value
    init_counters(acc)
    execute_action_triggers(acc, None, ctx)


def topup(acc: Account | None, a: Action, acs: list[Action], ctx: ActionContext) -> None:
    """``*topup``: add |Units| to every matching balance (create if none)."""
    value = filter_value(a.Balance, ctx.now_ns, ctx.tz)
    debit_balance(_need_account(acc, a), a, ctx, -abs(value))


def topup_reset(acc: Account | None, a: Action, acs: list[Action], ctx: ActionContext) -> None:
    """``*topup_reset``: set every matching balance to |Units| (create if none)."""
    value = filter_value(a.Balance, ctx.now_ns, ctx.tz)
    debit_balance(_need_account(acc, a), a, ctx, -abs(value), reset=True)


def debit(acc: Account | None, a: Action, acs: list[Action], ctx: ActionContext) -> None:
    """``*debit``: subtract Units from every matching balance (may go negative)."""
    debit_balance(_need_account(acc, a), a, ctx, filter_value(a.Balance, ctx.now_ns, ctx.tz))


def debit_reset(acc: Account | None, a: Action, acs: list[Action], ctx: ActionContext) -> None:
    """``*debit_reset``: set every matching balance to -Units."""
    debit_balance(_need_account(acc, a), a, ctx, filter_value(a.Balance, ctx.now_ns, ctx.tz),
                  reset=True)


def topup_zero_negative(acc: Account | None, a: Action, acs: list[Action],
                        ctx: ActionContext) -> None:
    """``*topup_zero_negative``: zero negative matching balances, then subtract Units."""
    debit_balance(_need_account(acc, a), a, ctx, filter_value(a.Balance, ctx.now_ns, ctx.tz),
                  reset_if_negative=True)


def set_balance(acc: Account | None, a: Action, acs: list[Action], ctx: ActionContext) -> None:
    """``*set_balance``: find by Uuid (must exist) or ID (created when missing, needs a
    type) among unexpired balances and overwrite the fields the action gives."""
    acc = _need_account(acc, a)
    f = a.Balance
    b = _find(acc, ctx.now_ns, uuid=f.Uuid) if f.Uuid else _find(acc, ctx.now_ns, bid=f.ID)
    if b is None and f.Uuid:
        raise ServerError(f"cannot find balance with uuid: <{f.Uuid}>")
    if b is None:
        btype = _balance_type(a)
        b = Balance(ctx.new_id())
        acc.BalanceMap.setdefault(btype, []).append(b)
    value = filter_value(f, ctx.now_ns, ctx.tz) if f.Value is not None else None
    if f.ID == META_DEFAULT:
        if value is not None:
            b.ID, b.Value, b.dirty = META_DEFAULT, value, True
    else:
        modify_balance(b, f, value, dict(ctx.timings))
    ctx.balance_values[id(a)] = b.Value
    init_counters(acc)
    execute_action_triggers(acc, None, ctx)


def _find(acc: Account, now_ns: int, *, uuid: str | None = None,
          bid: str | None = None) -> Balance | None:
    for _, b in acc.balances():
        if b.expired_at(now_ns):
            continue
        if (uuid and b.Uuid == uuid) or (not uuid and bid is not None and bid == b.ID):
            return b
    return None


def remove_balance(acc: Account | None, a: Action, acs: list[Action],
                   ctx: ActionContext) -> None:
    """``*remove_balance``: delete every matching balance of the type; NOT_FOUND if none."""
    acc = _need_account(acc, a)
    chain = acc.BalanceMap.get(a.Balance.Type or "")
    if chain is None:
        raise NotFound(f"no {a.Balance.Type or '(no type)'} balances")
    kept = [b for b in chain if not match_filter(b, a.Balance)]
    if len(kept) == len(chain):
        raise NotFound("no balance matches")
    acc.BalanceMap[a.Balance.Type or ""] = kept


def remove_expired(acc: Account | None, a: Action, acs: list[Action],
                   ctx: ActionContext) -> None:
    """``*remove_expired``: delete the expired balances of the type; NOT_FOUND if none."""
    acc = _need_account(acc, a)
    chain = acc.BalanceMap.get(a.Balance.Type or "")
    if chain is None:
        raise NotFound(f"no {a.Balance.Type or '(no type)'} balances")
    kept = [b for b in chain if not b.expired_at(ctx.now_ns)]
    if len(kept) == len(chain):
        raise NotFound("no expired balance")
    acc.BalanceMap[a.Balance.Type or ""] = kept


def set_expiry(acc: Account | None, a: Action, acs: list[Action], ctx: ActionContext) -> None:
    """``*set_expiry``: the action's expiry on every matching balance (expiry not compared)."""
    acc = _need_account(acc, a)
    expiry = a.Balance.ExpirationDate
    for b in acc.BalanceMap.get(a.Balance.Type or "", ()):
        if match_filter(b, a.Balance, skip_expiry=True):
            b.ExpirationDate = None if expiry is None or expiry < 0 else expiry


def transfer_monetary_default(acc: Account | None, a: Action, acs: list[Action],
                              ctx: ActionContext) -> None:
    """``*transfer_monetary_default``: move the positive value of matching monetary
    balances into ``*default``."""
    acc = _need_account(acc, a)
    if MONETARY not in acc.BalanceMap:
        raise NotFound("no *monetary balances")
    default = acc.default_balance(ctx.new_id())
    for b in acc.BalanceMap[MONETARY]:
        if b is default or b.ID == default.ID or not match_filter(b, a.Balance):
            continue
        if b.Value > 0:
            default.Value += b.Value
            b.Value = money.ZERO


def reset_account(acc: Account | None, a: Action, acs: list[Action],
                  ctx: ActionContext) -> None:
    """``*reset_account``: each balance list becomes one empty balance; counters rebuilt
    (keeping their values, as CGRateS's InitCounters does), triggers reset. The new
    balances get a Uuid where CGRateS leaves it empty."""
    acc = _need_account(acc, a)
    for btype in acc.BalanceMap:
        acc.BalanceMap[btype] = [Balance(ctx.new_id())]
    init_counters(acc)
    reset_action_triggers(acc, None, ctx)
