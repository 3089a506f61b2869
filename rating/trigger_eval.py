"""Action triggers and unit counters at work (SPEC.md A.4, A.5, D.5).

``execute_action_triggers`` is CGRateS's ``Account.ExecuteActionTriggers``: thresholds on
each *dirty* balance (changed in this operation) or on the unit counters, weight order,
``Executed`` blocking until a reset, ``Recurrent`` with ``MinSleep``, activation and
expiration dates; the actions of a firing trigger run at once on the same in-memory
account (so in the same store transaction). It is called after every real debit
increment (through ``trigger_watch``), after top-up/debit/set-balance actions and after
trigger resets. Actions run by a trigger never fire other triggers.
"""

from __future__ import annotations

import copy
import json
import logging
from decimal import Decimal

from . import money
from .accounts import Account
from .action_context import ActionContext
from .action_model import Action
from .balance_match import create_balance, filters_equal, hard_match, match_filter
from .balances import Balance
from .triggers import ActionTrigger, BalanceFilter, CounterFilter, UnitCounter

log = logging.getLogger(__name__)

MIN_BALANCE = "*min_balance"
MAX_BALANCE = "*max_balance"
BALANCE_EXPIRED = "*balance_expired"
EVENT = "*event"
BALANCE = "*balance"


# -- unit counters ---------------------------------------------------------------------------

def counter_filter(at: ActionTrigger) -> BalanceFilter:
    """The filter a counter trigger counts with: its balance filter, ID = UniqueID if unset."""
    f = copy.deepcopy(at.Balance) if at.Balance is not None else BalanceFilter()
    if not f.ID and at.UniqueID:
        f.ID = at.UniqueID
    return f


def init_counters(acc: Account) -> None:
    """Rebuild UnitCounters from the counter triggers, keeping the values of equal filters."""
    old = acc.UnitCounters or {}
    new: dict[str, list[UnitCounter]] = {}
    by_kind: dict[str, UnitCounter] = {}
    for at in acc.ActionTriggers or ():
        if "counter" not in at.ThresholdType:
            continue
        counter_type = BALANCE if "balance" in at.ThresholdType else EVENT
        btype = (at.Balance.Type if at.Balance else None) or ""
        uc = by_kind.get(btype + counter_type)
        if uc is None:
            uc = by_kind[btype + counter_type] = UnitCounter(counter_type, [])
            new.setdefault(btype, []).append(uc)
        f = counter_filter(at)
        if not any(filters_equal(c.Filter, f) for c in uc.Counters):
            uc.Counters.append(CounterFilter(Filter=f))
    for btype, counters in new.items():
        for uc in counters:
            for old_uc in old.get(btype, ()):
                if old_uc.CounterType == uc.CounterType:
                    for c in uc.Counters:
                        c.Value = next((o.Value for o in old_uc.Counters
                                        if filters_equal(o.Filter, c.Filter)), c.Value)
                    break
    acc.UnitCounters = new or None


def event_matches(f: BalanceFilter | None, category: str, destination: str,
                  ctx: ActionContext) -> bool:
    """CGRateS ``CallCost.MatchCCFilter``: category and destination of the call."""
    if f is None:
        return True
    if f.Categories is not None and category and not f.Categories.get(category):
        return False
    if f.DestinationIDs is None or not destination:
        return True
    if ctx.destination_ids is None:
        return False
    return any(d in f.DestinationIDs for _, ids in ctx.destination_ids(destination) for d in ids)


def add_units(acc: Account, amount: Decimal, kind: str, category: str, destination: str,
              balance: Balance | None, ctx: ActionContext) -> None:
    """Count `amount` (money or units of `kind`) on every counter that applies."""
    for uc in (acc.UnitCounters or {}).get(kind, ()):
        counter_type = uc.CounterType or EVENT
        for c in uc.Counters:
            if counter_type == EVENT:
                counts = event_matches(c.Filter, category, destination, ctx)
            else:
                counts = balance is not None and match_filter(balance, c.Filter, skip_ids=True)
            if counts:
                c.Value += amount


def reset_counters(acc: Account, a: Action | None) -> None:
    """``*reset_counters``: zero the counters (of the action's type and filter, if given)."""
    for btype, counters in (acc.UnitCounters or {}).items():
        f = a.Balance if a is not None else None
        if f is not None and f.Type and f.Type != btype:
            continue
        only = _specific(f)
        for uc in counters:
            for c in uc.Counters:
                if only is None or filters_equal(c.Filter, only):
                    c.Value = money.ZERO


def _specific(f: BalanceFilter | None) -> BalanceFilter | None:
    """The filter to compare counters with; None when it names nothing beyond a type."""
    if f is None:
        return None
    bare = BalanceFilter(Type=f.Type)
    empty_strings = copy.deepcopy(f)
    empty_strings.Type = None
    for name in ("Uuid", "ID", "RatingSubject", "Type"):
        if getattr(empty_strings, name) == "":
            setattr(empty_strings, name, None)
    for name in ("DestinationIDs", "Categories", "SharedGroups", "TimingIDs"):
        if getattr(empty_strings, name) == {}:
            setattr(empty_strings, name, None)
    return None if empty_strings == BalanceFilter() or f == bare else empty_strings


# -- triggers ---------------------------------------------------------------------------------

def active(at: ActionTrigger, now_ns: int) -> bool:
    """Within [ActivationDate, ExpirationDate) (unset dates do not limit)."""
    if at.ExpirationDate is not None and at.ExpirationDate < now_ns:
        return False
    return at.ActivationDate is None or at.ActivationDate < now_ns


def trigger_matches(at: ActionTrigger, a: Action | None) -> bool:
    """CGRateS ``ActionTrigger.Match``: the triggers an action (reset, recurrent) concerns."""
    if a is None:
        return True
    at_type = (at.Balance.Type if at.Balance else None) or ""
    if a.Balance.Type and a.Balance.Type != at_type:
        return False
    if a.ExtraParameters:
        try:
            extra = json.loads(a.ExtraParameters)
        except json.JSONDecodeError:
            extra = {}
        if isinstance(extra, dict):
            if extra.get("GroupID"):
                return bool(extra["GroupID"] == at.ID)
            if extra.get("UniqueID"):
                return bool(at.UniqueID == extra["UniqueID"])
            if extra.get("ThresholdType") and at.ThresholdType != extra["ThresholdType"]:
                return False
    template = create_balance(at.Balance or BalanceFilter(), "", money.ZERO)
    return match_filter(template, a.Balance)


def armed(at: ActionTrigger, now_ns: int) -> bool:
    """Whether the trigger would fire if its condition held now."""
    if at.Executed or not active(at, now_ns):
        return False
    if "counter" not in at.ThresholdType and "balance" not in at.ThresholdType:
        return False
    return not (at.Recurrent and at.LastExecutionTime is not None
                and now_ns - at.LastExecutionTime < at.MinSleep)


def execute_action_triggers(acc: Account, a: Action | None, ctx: ActionContext) -> None:
    """Fire every trigger whose threshold holds now (see the module docstring)."""
    if ctx.executing_triggers:
        return
    ctx.executing_triggers = True
    try:
        for at in sorted(acc.ActionTriggers or (), key=lambda t: -t.Weight):
            if at.Executed or not active(at, ctx.now_ns) or not trigger_matches(at, a):
                continue
            if "counter" in at.ThresholdType:
                _check_counters(acc, at, ctx)
            elif "balance" in at.ThresholdType:
                _check_balances(acc, at, ctx)
    finally:
        ctx.executing_triggers = False
    clean_expired(acc, ctx.now_ns)


def counter_holds(at: ActionTrigger, value: Decimal) -> bool:
    """The threshold of a counter trigger against a counter value."""
    if at.ThresholdType.startswith("*max"):
        return value >= at.ThresholdValue
    return value <= at.ThresholdValue


def _check_counters(acc: Account, at: ActionTrigger, ctx: ActionContext) -> None:
    f = counter_filter(at)
    for counters in list((acc.UnitCounters or {}).values()):
        for uc in counters:
            if uc.CounterType[1:] not in at.ThresholdType:
                continue
            for c in uc.Counters:
                if filters_equal(c.Filter, f) and counter_holds(at, c.Value):
                    fire(acc, at, ctx)


def balance_holds(at: ActionTrigger, b: Balance, now_ns: int) -> bool:
    """The threshold of a balance trigger against one balance (dirtiness aside)."""
    if not hard_match(b, at.Balance):
        return False
    if at.ThresholdType == MAX_BALANCE:
        return b.Value >= at.ThresholdValue
    if at.ThresholdType == MIN_BALANCE:
        return b.Value <= at.ThresholdValue
    if at.ThresholdType == BALANCE_EXPIRED:
        return b.expired_at(now_ns)
    return False


def _check_balances(acc: Account, at: ActionTrigger, ctx: ActionContext) -> None:
    btype = (at.Balance.Type if at.Balance else None) or ""
    for b in list(acc.BalanceMap.get(btype, ())):
        if not b.dirty and at.ThresholdType != BALANCE_EXPIRED:
            continue
        if balance_holds(at, b, ctx.now_ns):
            fire(acc, at, ctx)


def fire(acc: Account, at: ActionTrigger, ctx: ActionContext) -> None:
    """Run the trigger's actions now (CGRateS ``ActionTrigger.Execute``)."""
    if at.Recurrent and at.LastExecutionTime is not None and \
            ctx.now_ns - at.LastExecutionTime < at.MinSleep:
        return
    at.LastExecutionTime = ctx.now_ns
    if acc.Disabled:
        ctx.effects.failures.append(f"trigger {at.UniqueID}: account {acc.ID} is disabled")
        return
    actions = ctx.load_actions(at.ActionsID)
    if actions is None:
        ctx.effects.failures.append(f"trigger {at.UniqueID}: actions {at.ActionsID} not found")
        return
    from .actions import run_triggered

    at.Executed = True
    ctx.effects.fired.append(at.UniqueID or at.ID)
    run_triggered(acc, actions, ctx, at)
    if at.Recurrent:
        at.Executed = False


def reset_action_triggers(acc: Account, a: Action | None, ctx: ActionContext) -> None:
    """Clear Executed on the triggers the action concerns, then evaluate them."""
    for at in acc.ActionTriggers or ():
        if trigger_matches(at, a):
            at.Executed = False
    execute_action_triggers(acc, a, ctx)


def set_recurrent(acc: Account, a: Action | None, recurrent: bool) -> None:
    """``*set_recurrent``/``*unset_recurrent`` on the triggers the action concerns."""
    for at in acc.ActionTriggers or ():
        if trigger_matches(at, a):
            at.Recurrent = recurrent


def clean_expired(acc: Account, now_ns: int) -> None:
    """Drop expired balances (rals.remove_expired) and expired triggers."""
    for btype, chain in list(acc.BalanceMap.items()):
        kept = [b for b in chain if not b.expired_at(now_ns)]
        if len(kept) != len(chain):
            acc.BalanceMap[btype] = kept
    if acc.ActionTriggers:
        acc.ActionTriggers = [at for at in acc.ActionTriggers
                              if at.ExpirationDate is None or at.ExpirationDate >= now_ns]
