"""Debiting one balance for the rest of a call (SPEC.md B.5, C.2).

Each function takes the running DebitState (the account being changed, the call's current
start, money balances, MaxCostSoFar, connect-fee state) and returns the time spans that
balance paid, or None when it paid nothing. Increment runs are paid in bulk with exact
integer arithmetic; the result is the same as CGRateS's increment-by-increment loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING

from . import money
from .accounts import Account, balance_active, matching_destination
from .balances import Balance
from .calldesc import CallDescriptor
from .pricing import Stretch, price
from .spans import Increment, MonetaryInfo, TimeSpan, UnitInfo
from .tariffs import (
    ANY,
    MAX_COST_DISCONNECT,
    MAX_COST_FREE,
    RateInterval,
    RateSlot,
    Rating,
    Tariffs,
)
from .timeutil import TimeFormatError, parse_go_duration

if TYPE_CHECKING:
    from .trigger_watch import Debit, DebitWatcher

log = logging.getLogger(__name__)

ZERO_PREFIX = "*zero"
META_NONE = "*none"
#: rals.balance_rating_subject defaults.
DEFAULT_BALANCE_SUBJECT = {"*voice": "*zero1s", "*any": "*zero1ns"}


@dataclass
class DebitState:
    """What a debit carries from one balance to the next."""

    account: Account
    tariffs: Tariffs
    cd: CallDescriptor  # working copy: TimeStart advances as parts are paid
    duration_index: int  # call duration so far at cd.TimeEnd
    decimals: int
    dry_run: bool
    new_uuid: str  # for a *default balance created on demand
    go_negative: bool = True  # False with DenyNegativeAccount: never below zero
    money_balances: list[Balance] = field(default_factory=list)
    fee_pending: bool = True  # connect fee still due (LoopIndex 0 and nothing paid yet)
    negative_connect_fee: bool = False
    max_cost_disconnect: bool = False
    dry_run_stop: bool = False  # stopped where a real debit would have gone on
    watcher: DebitWatcher | None = None  # real debits: unit counters and triggers
    capped: bool = False  # the watcher cut a run of increments short (a trigger could fire)
    fee_refused: bool = False  # a real debit found no balance for the fee (a dry run goes <0)

    def stretch(self, subject: str) -> Stretch:
        """The rest of the call, to be priced for `subject`."""
        cd = self.cd
        return Stretch(cd.Tenant, cd.Category, subject, cd.Destination, cd.TimeStart,
                       cd.TimeEnd, self.duration_index, cd.tor, cd.tz)

    def cap(self, k: int, *debits: Debit) -> int:
        """How many of k increments to pay before a trigger may fire (trigger_watch)."""
        if self.watcher is None:
            return k
        capped = self.watcher.cap(k, debits)
        if capped < k:
            self.capped = True
        return capped

    def paid(self, k: int, *debits: Debit) -> None:
        """k increments were paid: count them and evaluate the triggers (trigger_watch)."""
        if self.watcher is not None:
            self.watcher.paid(debits, k)

    def default_balance(self) -> Balance:
        """The account's ``*default`` monetary balance (created when missing)."""
        return self.account.default_balance(self.new_uuid)


def zero_increment(tor: str, rating_subject: str) -> int | None:
    """The free-unit increment of a ``*zeroNNN`` subject (empty/``*any``: the default), else None.

    A bare number is nanoseconds; a malformed ``*zero...`` subject gives None (the balance is
    then skipped, see docs/compat.md).
    """
    subject = rating_subject.strip()
    if subject in ("", ANY):
        subject = DEFAULT_BALANCE_SUBJECT.get(tor, DEFAULT_BALANCE_SUBJECT["*any"])
    if not subject.startswith(ZERO_PREFIX):
        return None
    text = subject[len(ZERO_PREFIX):]
    try:
        Decimal(text)
        text += "ns"
    except ArithmeticError:
        pass
    try:
        value = parse_go_duration(text)
    except TimeFormatError:
        return None
    return value if value > 0 else None


def priced_subject(rating_subject: str) -> bool:
    """Whether a balance's RatingSubject names a real subject to rate with."""
    subject = rating_subject.strip()
    return subject not in ("", ANY) and not subject.startswith(ZERO_PREFIX)


@lru_cache(maxsize=64)
def _free_interval(increment: int) -> RateInterval:
    slot = RateSlot(0, money.ZERO, increment, increment)
    return RateInterval(None, Rating(money.ZERO, "", 0, money.ZERO, "", (slot,)), money.ZERO)


def _units_for(b: Balance, duration: int, tor: str, decimals: int) -> Decimal:
    amount = Decimal(duration)
    factor = b.factor_for(tor) if b.Factor is not None else None
    if factor is not None and factor != 0:
        amount = money.round_value(money.CONTEXT.divide(amount, factor), decimals,
                                   money.ROUNDING_UP)
    return amount


# -- *zero unit balances ---------------------------------------------------------------

def debit_units_free(state: DebitState, b: Balance, increment: int) -> list[TimeSpan] | None:
    """Free units: the rest as whole `increment`s of cost 0, as many as the balance covers."""
    cd = state.cd
    remaining = cd.TimeEnd - cd.TimeStart
    count = -(-remaining // increment)
    amount = _units_for(b, increment, cd.tor, state.decimals)
    paid = min(count, money.floor_div(b.Value, amount)) if amount > 0 else count
    if paid <= 0:
        return None
    paid = state.cap(paid, (b, cd.tor, amount))
    b.set_value(b.Value - amount * paid, state.decimals)
    prefix, dest_id = matching_destination(b, state.tariffs, cd.Destination)
    unit = UnitInfo(b.Uuid, b.ID, b.Value, cd.Destination, amount, cd.tor)
    end = cd.TimeStart + paid * increment
    span = TimeSpan(cd.TimeStart, end, state.duration_index - (cd.TimeEnd - end),
                    _free_interval(increment),
                    [Increment(increment, money.ZERO, paid, unit, None, state.account.ID)],
                    money.ZERO, None, b.Uuid, prefix or cd.Destination, dest_id or ANY, META_NONE)
    state.paid(paid, (b, cd.tor, amount))
    return [span]


# -- connect fee -----------------------------------------------------------------------

@dataclass
class FeeCharge:
    """A connect fee taken for a part, undone if the part ends up paying nothing."""

    fee: Decimal
    payer: Balance | None
    before: Decimal = money.ZERO
    created_default: bool = False
    was_negative: bool = False

    def undo(self, state: DebitState) -> None:
        """Give the fee back (the part it was taken for paid nothing)."""
        if self.payer is not None:
            self.payer.Value = self.before
            if self.created_default:
                state.account.BalanceMap["*monetary"].remove(self.payer)
        state.negative_connect_fee = self.was_negative
        state.fee_pending = True

    def increment(self, account_id: str) -> Increment:
        """The zero-duration increment that records the fee."""
        payer = self.payer
        info = None if payer is None else MonetaryInfo(payer.Uuid, payer.ID, payer.Value)
        return Increment(0, self.fee, 1, None, info, account_id)


def charge_connect_fee(state: DebitState, spans: list[TimeSpan]) -> FeeCharge | None:
    """Take the fee of the part's first span; None when it cannot be taken (a blocker
    balance stops the search, or no balance holds it and the debit may not go negative).

    Paid by the first money balance holding at least the fee; when none does, the
    ``*default`` balance goes negative by it and the call is marked negativeConnectFee.
    """
    ri = spans[0].rate_interval if spans else None
    fee = ri.rating.connect_fee if ri is not None else money.ZERO
    state.fee_pending = False
    was_negative = state.negative_connect_fee
    for b in state.money_balances:
        if b.Value >= fee:
            charge = FeeCharge(fee, b, b.Value, False, was_negative)
            b.set_value(b.Value - fee, state.decimals)
            state.paid(1, (b, "*monetary", fee))
            return charge
        if b.Blocker:
            state.fee_pending = True
            return None
    if fee <= 0:
        return FeeCharge(fee, None, money.ZERO, False, was_negative)
    if not state.go_negative and not state.dry_run:
        state.fee_pending = True
        state.fee_refused = True
        return None  # DenyNegativeAccount: no balance holds the fee, so nothing is debited
    existed = any(x.ID == "*default" for x in state.account.BalanceMap.get("*monetary", ()))
    default = state.default_balance()
    charge = FeeCharge(fee, default, default.Value, not existed, was_negative)
    default.set_value(default.Value - fee, state.decimals)
    state.negative_connect_fee = True
    state.paid(1, (default, "*monetary", fee))
    return charge


def _take_fee(state: DebitState, spans: list[TimeSpan]) -> tuple[bool, FeeCharge | None]:
    """(go on, fee taken): go on is False when a blocker stopped the fee search."""
    if not (state.fee_pending and state.cd.LoopIndex == 0):
        state.fee_pending = False
        return True, None
    charge = charge_connect_fee(state, spans)
    if charge is None:
        return False, None
    if charge.fee > 0:
        spans[0].increments.insert(0, charge.increment(state.account.ID))
    return True, charge


def _finish(state: DebitState, paid: list[TimeSpan], charge: FeeCharge | None,
            ) -> list[TimeSpan] | None:
    if any(inc.duration > 0 for ts in paid for inc in ts.increments):
        return paid
    if charge is not None:
        charge.undo(state)
    return None


# -- priced parts (money balances, unit balances with a real RatingSubject) ------------

def _max_cost(span: TimeSpan) -> tuple[Decimal, str]:
    ri = span.rate_interval
    if ri is None or ri.rating.max_cost <= 0:
        return money.ZERO, ""
    strategy = ri.rating.max_cost_strategy
    return ri.rating.max_cost, strategy if strategy in (MAX_COST_FREE, MAX_COST_DISCONNECT) else ""


def debit_money(state: DebitState, b: Balance) -> list[TimeSpan] | None:
    """A money balance pays increments in order until one costs more than it holds."""
    cd = state.cd
    if not balance_active(b, cd.TimeStart, cd.tz):
        return None
    own_rating = priced_subject(b.RatingSubject)
    subject = b.RatingSubject if own_rating else cd.Subject
    spans = price(state.tariffs, state.stretch(subject), state.decimals)
    go_on, charge = _take_fee(state, spans)
    if not go_on:
        return None
    return _finish(state, _pay_spans(state, spans,
                                     lambda span: _pay_span_money(state, b, span, own_rating)),
                   charge)


def _pay_spans(state: DebitState, spans: list[TimeSpan],
               pay: Callable[[TimeSpan], tuple[list[Increment], bool]]) -> list[TimeSpan]:
    """Pay spans in order with `pay`; each keeps the increments it got; stop where pay stops."""
    paid: list[TimeSpan] = []
    for span in spans:
        runs, stopped = pay(span)
        span.increments = runs
        if runs:
            span.end = span.start + sum(i.duration * i.count for i in runs)
            span.duration_index = state.duration_index - (state.cd.TimeEnd - span.end)
            paid.append(span)
        if stopped:
            break
    return paid


def _pay_span_money(state: DebitState, b: Balance, span: TimeSpan,
                    own_rating: bool) -> tuple[list[Increment], bool]:
    out: list[Increment] = []
    max_cost, strategy = _max_cost(span)
    ri = span.rate_interval if own_rating else None
    acc_id = state.account.ID
    for run in span.increments:
        if run.duration == 0 and run.monetary is not None:
            out.append(run)  # the connect fee, already paid
            continue
        done = 0
        cost = run.cost
        while done < run.count:
            limit, free, stop = _cost_limit(state, max_cost, strategy, cost, run.count - done)
            if stop:
                return out, True
            if free:
                out.append(Increment(run.duration, money.ZERO, limit,
                                     None, MonetaryInfo(b.Uuid, b.ID, b.Value, ri), acc_id))
                done += limit
                continue
            k = limit if cost == 0 else min(limit, money.floor_div(b.Value, cost))
            if k <= 0:
                return out, True
            k = state.cap(k, (b, "*monetary", cost))
            b.set_value(b.Value - cost * k, state.decimals)
            state.cd.MaxCostSoFar += cost * k
            out.append(Increment(run.duration, cost, k, None,
                                 MonetaryInfo(b.Uuid, b.ID, b.Value, ri), acc_id))
            done += k
            state.paid(k, (b, "*monetary", cost))
    return out, False


def _cost_limit(state: DebitState, max_cost: Decimal, strategy: str, cost: Decimal,
                left: int) -> tuple[int, bool, bool]:
    """(how many increments may be charged now, they are free, stop here) under MaxCost."""
    if not strategy:
        return left, False, False
    so_far = state.cd.MaxCostSoFar
    if so_far >= max_cost:
        if strategy == MAX_COST_FREE:
            return left, True, False
        state.max_cost_disconnect = True
        if state.dry_run:
            return 0, False, True
        return left, False, False  # a real debit still charges past MaxCost
    if cost <= 0:
        return left, False, False
    return min(left, money.ceil_div(max_cost - so_far, cost)), False, False


def debit_units_priced(state: DebitState, b: Balance) -> list[TimeSpan] | None:
    """Units rated with the balance's own subject: units per increment plus its money cost."""
    spans = price(state.tariffs, state.stretch(b.RatingSubject), state.decimals)
    go_on, charge = _take_fee(state, spans)
    if not go_on:
        return None
    return _finish(state, _pay_spans(state, spans, lambda span: _pay_span_units(state, b, span)),
                   charge)


def _pay_span_units(state: DebitState, b: Balance, span: TimeSpan) -> tuple[list[Increment], bool]:
    out: list[Increment] = []
    max_cost, strategy = _max_cost(span)
    cd = state.cd
    for run in span.increments:
        if run.duration == 0 and run.monetary is not None:
            out.append(run)
            continue
        amount = _units_for(b, run.duration, cd.tor, state.decimals)
        done = 0
        while done < run.count:
            limit, free, stop = _cost_limit(state, max_cost, strategy, run.cost, run.count - done)
            if stop:
                return out, True
            if free:
                out.append(Increment(run.duration, money.ZERO, limit, None,
                                     MonetaryInfo(b.Uuid, b.ID, b.Value, span.rate_interval),
                                     state.account.ID))
                done += limit
                continue
            k = _pay_units_step(state, b, span, run, amount, limit, out)
            if k <= 0:
                return out, True
            done += k
    return out, False


def _pay_units_step(state: DebitState, b: Balance, span: TimeSpan, run: Increment,
                    amount: Decimal, limit: int, out: list[Increment]) -> int:
    k = min(limit, money.floor_div(b.Value, amount)) if amount > 0 else limit
    cost = run.cost
    payer: Balance | None = None
    if cost != 0 and k > 0:
        payer = next((m for m in state.money_balances if m.Value >= cost), None)
        if payer is not None:
            k = min(k, money.floor_div(payer.Value, cost))
        elif state.account.AllowNegative or (state.go_negative and not state.dry_run):
            payer = state.default_balance()  # CGRateS: a real debit goes below zero here
        else:
            state.dry_run_stop = state.dry_run and state.go_negative
            k = 0
    if k <= 0:
        return 0
    debits: tuple[Debit, ...] = ((b, state.cd.tor, amount),) if payer is None else (
        (b, state.cd.tor, amount), (payer, "*monetary", cost))
    k = state.cap(k, *debits)
    b.set_value(b.Value - amount * k, state.decimals)
    monetary = None
    if payer is not None:
        payer.set_value(payer.Value - cost * k, state.decimals)
        state.cd.MaxCostSoFar += cost * k
        monetary = MonetaryInfo(payer.Uuid, payer.ID, payer.Value)
    unit = UnitInfo(b.Uuid, b.ID, b.Value, state.cd.Destination, amount, state.cd.tor,
                    span.rate_interval)
    out.append(Increment(run.duration, cost, k, unit, monetary, state.account.ID))
    state.paid(k, *debits)
    return k


def debit_units(state: DebitState, b: Balance) -> list[TimeSpan] | None:
    """A unit balance pays for the rest of the call: free units or priced ones."""
    cd = state.cd
    if not balance_active(b, cd.TimeStart, cd.tz):
        return None
    increment = zero_increment(cd.tor, b.RatingSubject)
    if increment is not None:
        return debit_units_free(state, b, increment)
    if priced_subject(b.RatingSubject):
        return debit_units_priced(state, b)
    log.warning("balance %s has a malformed rating subject %r", b.Uuid, b.RatingSubject)
    return None
