"""Triggers during a debit, at the increment where a threshold is crossed (SPEC.md D.5).

CGRateS counts units and evaluates the triggers after every debited increment. Our debits
pay runs of equal increments in bulk, so a ``DebitWatcher`` tells the debit loop how many
increments it may pay before a trigger's condition could first hold (``cap``), and then
counts them and evaluates the triggers (``paid``). The thresholds move linearly with the
number of increments, so the first increment at which a condition holds is computed, not
searched: firing happens exactly where it would have after increment-by-increment checks,
and the actions of a fired trigger (a top-up, say) act on the rest of the debit.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from . import money
from .accounts import Account
from .action_context import ActionContext
from .balance_match import filters_equal, hard_match, match_filter
from .balances import Balance
from .trigger_eval import (
    BALANCE,
    BALANCE_EXPIRED,
    MAX_BALANCE,
    add_units,
    armed,
    counter_filter,
    event_matches,
    execute_action_triggers,
)
from .triggers import ActionTrigger, CounterFilter

#: (balance debited, its kind: a balance type, amount per increment)
Debit = tuple[Balance, str, Decimal]


def first_step(value: Decimal, rate: Decimal, threshold: Decimal, at_most: bool) -> int | None:
    """Smallest j >= 1 with value + j*rate reaching the threshold (<= for a minimum
    threshold, >= for a maximum); None when it never does."""
    if at_most:
        if value + rate <= threshold:
            return 1
        return money.ceil_div(value - threshold, -rate) if rate < 0 else None
    if value + rate >= threshold:
        return 1
    return money.ceil_div(threshold - value, rate) if rate > 0 else None


class DebitWatcher:
    """Counts debited units and fires triggers for one real debit of one account."""

    def __init__(self, account: Account, ctx: ActionContext, category: str,
                 destination: str) -> None:
        self.account = account
        self.ctx = ctx
        self.category = category
        self.destination = destination

    @property
    def active(self) -> bool:
        """Whether the account has triggers at all (else nothing here does anything)."""
        return bool(self.account.ActionTriggers)

    def cap(self, k: int, debits: Iterable[Debit]) -> int:
        """How many of `k` increments may be paid before a trigger may fire (>= 1)."""
        if k <= 1 or not self.active:
            return k
        steps = self._steps(list(debits))
        return k if steps is None else max(1, min(k, steps))

    def paid(self, debits: Iterable[Debit], k: int) -> None:
        """`k` increments were paid: count them, then evaluate the triggers."""
        if not self.active or k <= 0:
            return
        for b, kind, amount in debits:
            add_units(self.account, amount * k, kind, self.category, self.destination, b,
                      self.ctx)
        execute_action_triggers(self.account, None, self.ctx)

    def refunded(self, b: Balance, kind: str, amount: Decimal) -> None:
        """A refund gave `amount` back: counters go down, triggers are evaluated."""
        if self.active:
            add_units(self.account, -amount, kind, self.category, self.destination, b,
                      self.ctx)
            execute_action_triggers(self.account, None, self.ctx)

    # -- when could a condition first hold --------------------------------------------------
    def _steps(self, debits: list[Debit]) -> int | None:
        best: int | None = None
        for at in self.account.ActionTriggers or ():
            if not armed(at, self.ctx.now_ns):
                continue
            j = self._counter_steps(at, debits) if "counter" in at.ThresholdType \
                else self._balance_steps(at, debits)
            if j is not None and (best is None or j < best):
                best = j
                if best == 1:
                    return 1
        return best

    def _balance_steps(self, at: ActionTrigger, debits: list[Debit]) -> int | None:
        btype = (at.Balance.Type if at.Balance else None) or ""
        best: int | None = None
        for b in self.account.BalanceMap.get(btype, ()):
            if not hard_match(b, at.Balance):
                continue
            if at.ThresholdType == BALANCE_EXPIRED:
                if b.expired_at(self.ctx.now_ns):
                    return 1
                continue
            rate = -sum((amount for d, _, amount in debits if d is b), money.ZERO)
            if not b.dirty and rate == 0:
                continue  # clean and untouched: CGRateS does not look at it
            j = first_step(b.Value, rate, at.ThresholdValue, at.ThresholdType != MAX_BALANCE)
            if j is not None and (best is None or j < best):
                best = j
        return best

    def _counter_steps(self, at: ActionTrigger, debits: list[Debit]) -> int | None:
        f = counter_filter(at)
        best: int | None = None
        for kind, counters in (self.account.UnitCounters or {}).items():
            for uc in counters:
                if uc.CounterType[1:] not in at.ThresholdType:
                    continue
                for c in uc.Counters:
                    if not filters_equal(c.Filter, f):
                        continue
                    rate = sum((amount for b, k, amount in debits
                                if k == kind and self._counts(uc.CounterType, c, b)),
                               money.ZERO)
                    j = first_step(c.Value, rate, at.ThresholdValue,
                                   not at.ThresholdType.startswith("*max"))
                    if j is not None and (best is None or j < best):
                        best = j
        return best

    def _counts(self, counter_type: str, c: CounterFilter, b: Balance) -> bool:
        if counter_type == BALANCE:
            return match_filter(b, c.Filter, skip_ids=True)
        return event_matches(c.Filter, self.category, self.destination, self.ctx)
