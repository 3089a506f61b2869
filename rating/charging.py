"""Rating and charging operations on an in-memory account (SPEC.md B.4, C.2-C.5).

Pure functions: they take the account object, the compiled tariffs and a CallDescriptor and
change the account in place (or a clone, for dry runs). Persisting, locking and idempotency
are the engine's business (``rating.engine``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from . import money
from .accounts import Account, select_balances
from .balances import MONETARY
from .callcost import CallCost
from .calldesc import CallDescriptor
from .debits import DebitState, charge_connect_fee, debit_money, debit_units
from .errors import InsufficientCredit, InsufficientCreditBalanceBlocker, RatingError
from .pricing import Stretch, price, rating_infos
from .spans import Increment, MonetaryInfo, TimeSpan
from .tariffs import MAX_COST_FREE, Tariffs

if TYPE_CHECKING:
    from .trigger_watch import DebitWatcher

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settings:
    """Engine-wide numbers the operations need."""

    decimals: int = 5  # general.rounding_decimals


def _stretch(cd: CallDescriptor, duration_index: int) -> Stretch:
    return Stretch(cd.Tenant, cd.Category, cd.Subject, cd.Destination, cd.TimeStart, cd.TimeEnd,
                   duration_index, cd.tor, cd.tz)


def _zero_span(tariffs: Tariffs, cd: CallDescriptor) -> list[TimeSpan]:
    """A zero-duration call: one empty span carrying the rating info, if rating works."""
    try:
        infos = rating_infos(tariffs, _stretch(cd, 0))
    except RatingError:
        return []
    ri = infos[0]
    return [TimeSpan(cd.TimeStart, cd.TimeEnd, 0, None, [], money.ZERO, None,
                     ri.matched_subject, ri.matched_prefix, ri.matched_dest_id,
                     ri.rating_plan_id)]


# -- GetCost ---------------------------------------------------------------------------

def get_cost(tariffs: Tariffs, cd: CallDescriptor, settings: Settings) -> CallCost:
    """Pure rating: spans, the connect-fee increment, MaxCost *free, DestinationRate rounding."""
    if cd.duration == 0:  # before ToR gets its default, as in CGRateS
        cc = CallCost.for_cd(cd)
        cc.Timespans = _zero_span(tariffs, cd)
        return cc
    cc = CallCost.for_cd(cd)
    cc.ToR = cd.tor
    spans = price(tariffs, _stretch(cd, max(cd.DurationIndex, cd.duration)), settings.decimals)
    total = money.ZERO
    first_call_part = not cd.LoopIndex
    for index, ts in enumerate(spans):
        ri = ts.rate_interval
        if index == 0 and first_call_part and ri is not None:
            fee = ri.rating.connect_fee
            ts.increments.insert(0, Increment(0, fee, 1))
            ts.cost = money.round_middle(ts.cost + fee, settings.decimals)
        total += ts.cost
        if ri is not None and ri.rating.max_cost_strategy == MAX_COST_FREE:
            cap = ri.rating.max_cost - cd.MaxCostSoFar
            if ri.rating.max_cost > 0 and total >= cap:
                total = max(cap, money.ZERO)
    cc.Timespans = spans
    decimals, method = cc.longest_rounding()
    cc.Cost = money.round_value(total, decimals, method)
    return cc


# -- debits ----------------------------------------------------------------------------

def debit(account: Account, tariffs: Tariffs, cd: CallDescriptor, settings: Settings, *,
          dry_run: bool, go_negative: bool, new_uuid: str,
          watcher: DebitWatcher | None = None) -> CallCost:
    """Charge the call to the account's balances (CGRateS debitCreditBalance).

    Unit balances first, then money balances, repeated while any pays more; what is left is
    rated with the call's subject and, if it costs something and go_negative, charged to the
    ``*default`` balance (which may go below zero).
    """
    if cd.duration <= 0:  # before ToR gets its default, as in CGRateS
        cc = CallCost.for_cd(cd)
        cc.Timespans = _zero_span(tariffs, cd)
        return cc
    duration_index = max(cd.DurationIndex, cd.duration)
    work = cd.copy(ToR=cd.tor, DurationIndex=duration_index)
    cc = CallCost.for_cd(work)
    state = DebitState(account, tariffs, work, duration_index, settings.decimals, dry_run,
                       new_uuid, go_negative, fee_pending=work.LoopIndex == 0,
                       watcher=None if dry_run else watcher)
    if not _debit_balances(state, cc):
        _debit_rest(state, cc, go_negative)
    cc.negative_connect_fee = state.negative_connect_fee
    cc.max_cost_disconnect = state.max_cost_disconnect
    cc.dry_run_stop = state.dry_run_stop
    cc.update_cost(settings.decimals)
    return cc


def _debit_balances(state: DebitState, cc: CallCost) -> bool:
    """Let the balances pay; True when the debit is over (covered, or a dry-run stop)."""
    cd = state.cd
    args = (state.account, state.tariffs, cd.Destination, cd.Category)
    units = select_balances(*args, cd.tor, cd.TimeStart, cd.Direction)
    state.money_balances = select_balances(*args, MONETARY, cd.TimeStart, cd.Direction)
    progress = True
    while progress:
        progress = False
        for chain, pay in ((units, debit_units), (state.money_balances, debit_money)):
            again = True
            while again:
                again = False
                for b in chain:
                    part = pay(state, b)
                    if part:
                        cc.Timespans.extend(part)
                        state.fee_pending = False  # only the call's first part pays it
                        cd.TimeStart = part[-1].end
                        if cd.TimeStart >= cd.TimeEnd:
                            return True
                        again = progress = True
                        if state.dry_run and state.max_cost_disconnect:
                            return True
                    if b.Blocker:
                        if state.dry_run:
                            state.dry_run_stop = True
                            return True
                        raise InsufficientCreditBalanceBlocker(b.Uuid)
    return False


def _debit_rest(state: DebitState, cc: CallCost, go_negative: bool) -> None:
    """Rate what no balance paid; free parts are kept, priced ones go to *default if allowed."""
    cd = state.cd
    try:
        spans = price(state.tariffs, state.stretch(cd.Subject), state.decimals)
    except RatingError:
        if not cc.Timespans:
            raise
        log.warning("rest of call %s unrated after balances paid part of it", cd.account_key)
        return
    cost = sum((i.cost * i.count for ts in spans for i in ts.increments), money.ZERO)
    if cost == 0:
        for inc in (i for ts in spans for i in ts.increments):
            inc.account_id = state.account.ID
        cc.Timespans.extend(spans)
        return
    if not go_negative:
        return
    if state.fee_pending and cd.LoopIndex == 0 and not cc.Timespans:
        charge = charge_connect_fee(state, spans)
        if charge is not None and charge.fee > 0:
            spans[0].increments.insert(0, charge.increment(state.account.ID))
    default = state.default_balance()
    for ts in spans:
        for inc in ts.increments:
            if inc.duration == 0 and inc.monetary is not None:
                continue
            default.set_value(default.Value - inc.cost * inc.count, state.decimals)
            inc.monetary = MonetaryInfo(default.Uuid, default.ID, default.Value)
            inc.account_id = state.account.ID
            state.paid(inc.count, (default, MONETARY, inc.cost))
    cc.Timespans.extend(spans)


# -- max session time, MaxDebit --------------------------------------------------------

@dataclass
class Probe:
    """A dry-run debit on a clone: how long the account can pay, and what it would cost.

    reusable: the dry run paid the whole call the way a real debit would (no dry-run stop,
    no money missing anywhere), so its clone and CallCost are the real debit's result.
    """

    allowed: int
    account: Account
    cc: CallCost | None = None
    reusable: bool = False


def probe(account: Account, tariffs: Tariffs, cd: CallDescriptor, settings: Settings, *,
          new_uuid: str) -> Probe:
    """GetMaxSessionTime's dry run and its walk over the increments (SPEC.md C.4)."""
    if account.AllowNegative:
        return Probe(-1, account)
    initial = cd.duration
    clone = account.clone()
    default = next((b for b in clone.BalanceMap.get(MONETARY, ()) if b.ID == "*default"), None)
    default_uuid = new_uuid if default is None else default.Uuid
    budget = money.ZERO if default is None else default.Value
    cc = debit(clone, tariffs, cd, settings, dry_run=True, go_negative=False, new_uuid=new_uuid)
    if cc.negative_connect_fee:
        return Probe(0, clone, cc)
    allowed = _walk_increments(cd, cc, default_uuid, budget, initial)
    reusable = allowed == initial and not (cc.max_cost_disconnect or cc.dry_run_stop)
    return Probe(allowed, clone, cc, reusable)


def _walk_increments(cd: CallDescriptor, cc: CallCost, default_uuid: str, budget: Decimal,
                     initial: int) -> int:
    total = 0
    for ts in cc.Timespans:
        if _above_max_rate(cd, ts):
            return min(initial, total)
        for inc in ts.increments:
            count = inc.count
            if inc.monetary is not None and inc.monetary.uuid == default_uuid and inc.cost > 0:
                affordable = money.floor_div(budget, inc.cost) if budget > 0 else 0
                if affordable < count:
                    return min(initial, total + affordable * inc.duration)
                budget -= inc.cost * count
            total += inc.duration * count
            if total >= initial:
                return initial
    return min(initial, total)


def max_session_time(account: Account, tariffs: Tariffs, cd: CallDescriptor,
                     settings: Settings, *, new_uuid: str) -> int:
    """How long the call may last (ns): a dry-run debit on a clone, walked increment by
    increment (SPEC.md C.4). -1 when the account may go negative; 0 with no credit."""
    return probe(account, tariffs, cd, settings, new_uuid=new_uuid).allowed


def _above_max_rate(cd: CallDescriptor, ts: TimeSpan) -> bool:
    if cd.MaxRate <= 0 or cd.MaxRateUnit <= 0 or ts.rate_interval is None:
        return False
    slot = ts.rate_interval.rating.slot_at(ts.group_start)
    return slot.value * cd.MaxRateUnit > cd.MaxRate * slot.rate_unit


def max_debit(account: Account, tariffs: Tariffs, cd: CallDescriptor, settings: Settings, *,
              new_uuid: str, watcher: DebitWatcher | None = None) -> CallCost:
    """Debit as much of the call as the account can pay (CGRateS MaxDebit).

    The granted part is charged to balances only (never below zero), unless the account
    may go negative. When the dry run could pay the whole call, its result is the real
    debit's (the same computation on the same balances), so it is kept, not recomputed.
    """
    duration_index = max(cd.DurationIndex, cd.duration)
    initial = cd.duration
    found = probe(account, tariffs, cd, settings, new_uuid=new_uuid)
    allowed = found.allowed
    if cd.ForceDuration and not account.AllowNegative and allowed < initial:
        raise InsufficientCredit(f"can pay {allowed} ns of {initial}")
    if allowed == 0:
        cc = CallCost.for_cd(cd.copy(ToR=cd.tor))
        if initial == 0:
            cc.Timespans = _zero_span(tariffs, cd)
        return cc
    if found.reusable and found.cc is not None and (watcher is None or not watcher.active):
        account.BalanceMap = found.account.BalanceMap
        return found.cc
    if allowed < 0:  # AllowNegative: the whole call, as CGRateS
        return debit(account, tariffs, cd, settings, dry_run=cd.DryRun,
                     go_negative=not cd.DenyNegativeAccount, new_uuid=new_uuid,
                     watcher=watcher)
    cd = cd.copy(TimeEnd=cd.TimeStart + allowed,
                 DurationIndex=duration_index - (initial - allowed))
    # never below zero: what the dry run granted is charged to balances only
    return debit(account, tariffs, cd, settings, dry_run=cd.DryRun, go_negative=False,
                 new_uuid=new_uuid, watcher=watcher)


def perform_rounding(account: Account, cc: CallCost, settings: Settings) -> None:
    """PerformRounding: add RoundIncrements and charge them (CGRateS cc.Round + RefundRounding)."""
    refund_rounding(account, cc.round_spans(), settings)


# -- refunds ---------------------------------------------------------------------------

def refundable_increments(cc: CallCost, used: int) -> list[Increment]:
    """The increments lying wholly after `used` ns of the cost's usage (what a session hands
    back at hangup, as CGRateS's EventCost.Trim): the increment the usage ends in stays
    charged, and the zero-length connect-fee increment is never refunded."""
    out = []
    offset = 0
    for inc in cc.increments():
        if inc.duration <= 0:
            continue
        first_free = max(0, -(-(used - offset) // inc.duration))  # ceil, never negative
        if first_free < inc.count:
            out.append(inc.copy(inc.count - first_free))
        offset += inc.duration * inc.count
    return out


def refund_increments(account: Account, increments: list[Increment], tor: str,
                      settings: Settings, watcher: DebitWatcher | None = None) -> int:
    """Give back what increments took: units (consumed per increment) and money (cost).

    Increments of other accounts or of balances that no longer exist are skipped with a
    warning. Returns how many increment runs were refunded.
    """
    done = 0
    for inc in increments:
        if inc.account_id and inc.account_id != account.ID:
            log.warning("refund of %s skips an increment of account %s", account.ID,
                        inc.account_id)
            continue
        if inc.unit is not None and inc.unit.uuid:
            balance = account.find_balance(inc.unit.uuid, (tor or "*voice", "*generic"))
            amount = inc.unit.consumed if inc.unit.consumed else money.to_decimal(inc.duration)
            if balance is None:
                log.warning("refund: unit balance %s gone from %s", inc.unit.uuid, account.ID)
            else:
                balance.set_value(balance.Value + amount * inc.count, settings.decimals)
                done += 1
                if watcher is not None:
                    watcher.refunded(balance, tor or "*voice", amount * inc.count)
        if inc.monetary is not None and inc.monetary.uuid:
            balance = account.find_balance(inc.monetary.uuid, (MONETARY,))
            if balance is None:
                log.warning("refund: money balance %s gone from %s", inc.monetary.uuid,
                            account.ID)
            else:
                balance.set_value(balance.Value + inc.cost * inc.count, settings.decimals)
                done += 1
                if watcher is not None:
                    watcher.refunded(balance, MONETARY, inc.cost * inc.count)
    return done


def refund_rounding(account: Account, increments: list[Increment], settings: Settings) -> None:
    """Charge rounding differences (RoundIncrements) to the money balances that paid."""
    for inc in increments:
        if inc.monetary is None:
            continue
        balance = account.find_balance(inc.monetary.uuid, (MONETARY,))
        if balance is None:
            log.warning("rounding: money balance %s gone from %s", inc.monetary.uuid, account.ID)
            continue
        balance.set_value(balance.Value - inc.cost * inc.count, settings.decimals)
