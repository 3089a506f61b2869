"""What a session's debits took from the account, in compact runs of equal increments.

Pure code. ``runs_of`` turns a debit's CallCost into runs (what a refund needs: balance
uuids, costs, durations; and the rate each was priced with, for rounding); ``trim`` splits
them at the used time (EventCost.Trim: only increments wholly after it are refunded);
``rounding`` gives the per-rate rounding corrections of the whole call; ``only_we_changed``
tells from two balance snapshots whether a debit of ours was the only change.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from . import money
from .callcost import CallCost
from .spans import Increment, MonetaryInfo, UnitInfo, compress

VOICE = "*voice"


@dataclass(slots=True)
class ChargedRun:
    """A run of ``count`` equal increments a debit took, with what a refund needs.

    ``rating`` names the rate the increments were priced with and ``rounding`` its
    DestinationRate rounding, so the call's cost can be rounded per rate at the end.
    """

    duration: int
    cost: Decimal
    count: int
    unit_uuid: str = ""
    unit_consumed: Decimal = money.ZERO
    money_uuid: str = ""
    account_id: str = ""
    rounding_decimals: int = 0
    rounding_method: str = ""
    rating: str = ""

    @property
    def total_duration(self) -> int:
        return self.duration * self.count

    @property
    def total_cost(self) -> Decimal:
        return self.cost * self.count

    def same_kind(self, other: ChargedRun) -> bool:
        """Equal but for the count (so the two can be one run)."""
        return (self.duration, self.cost, self.unit_uuid, self.unit_consumed, self.money_uuid,
                self.account_id, self.rounding_decimals, self.rounding_method, self.rating) == (
            other.duration, other.cost, other.unit_uuid, other.unit_consumed,
            other.money_uuid, other.account_id, other.rounding_decimals,
            other.rounding_method, other.rating)

    def with_count(self, count: int) -> ChargedRun:
        return ChargedRun(self.duration, self.cost, count, self.unit_uuid, self.unit_consumed,
                          self.money_uuid, self.account_id, self.rounding_decimals,
                          self.rounding_method, self.rating)

    def to_increment(self, count: int | None = None) -> Increment:
        """The Increment a refund gives back (balance values are not needed for that)."""
        unit = None
        if self.unit_uuid:
            unit = UnitInfo(self.unit_uuid, "", money.ZERO, "", self.unit_consumed, VOICE)
        monetary = MonetaryInfo(self.money_uuid, "", money.ZERO) if self.money_uuid else None
        return Increment(self.duration, self.cost, self.count if count is None else count,
                         unit, monetary, self.account_id)

    def to_json(self) -> list[Any]:
        """Compact list form (sessions are persisted often)."""
        return [self.duration, money.to_str(self.cost), self.count, self.unit_uuid,
                money.to_str(self.unit_consumed), self.money_uuid, self.account_id,
                self.rounding_decimals, self.rounding_method, self.rating]

    @classmethod
    def from_json(cls, data: list[Any]) -> ChargedRun:
        return cls(int(data[0]), money.to_decimal(data[1]), int(data[2]), str(data[3]),
                   money.to_decimal(data[4]), str(data[5]), str(data[6]), int(data[7]),
                   str(data[8]), str(data[9]))


def runs_of(cc: CallCost) -> list[ChargedRun]:
    """The charged runs of a debit's CallCost, in time order."""
    out: list[ChargedRun] = []
    for ts in cc.Timespans:
        ri = ts.rate_interval
        decimals, method, rating = 0, "", ""
        if ri is not None:
            decimals, method = ri.rating.rounding_decimals, ri.rating.rounding_method
            slot = ri.rating.slot_at(ts.group_start) if ri.rating.slots else None
            rating = "|".join((ts.rating_plan_id, ts.matched_dest_id, ri.rating.rates_id,
                               "" if slot is None else str(slot.group_interval_start)))
        for inc in compress(ts.increments):
            unit, mon = inc.unit, inc.monetary
            merge_run(out, ChargedRun(
                inc.duration, inc.cost, inc.count,
                unit.uuid if unit else "", unit.consumed if unit else money.ZERO,
                mon.uuid if mon else "", inc.account_id, decimals, method, rating))
    return out


def merge_run(runs: list[ChargedRun], run: ChargedRun) -> None:
    """Append run, merging it into the last one when they are of the same kind."""
    if run.count <= 0:
        return
    if runs and runs[-1].same_kind(run):
        runs[-1] = runs[-1].with_count(runs[-1].count + run.count)
    else:
        runs.append(run)


def balance_values(summary: dict[str, Any] | None) -> dict[str, Decimal] | None:
    """Balance uuid -> value from an AccountSummary (None when there is none)."""
    if summary is None:
        return None
    return {str(b["UUID"]): money.to_decimal(b["Value"])
            for b in summary.get("BalanceSummaries") or ()}


def only_we_changed(before: dict[str, Decimal] | None, after: dict[str, Decimal] | None,
                    runs: tuple[ChargedRun, ...]) -> bool:
    """True when the account moved from `before` to `after` by exactly this debit.

    Then nothing else (another call, a top-up) touched it since our last debit, so the
    moment this call would exhaust it has not moved and the backstop stays where it is.
    """
    if before is None or after is None:
        return False
    expected = dict(before)
    for run in runs:
        if run.unit_uuid:
            used = run.unit_consumed if run.unit_consumed else Decimal(run.duration)
            expected[run.unit_uuid] = expected.get(run.unit_uuid, money.ZERO) - used * run.count
        if run.money_uuid:
            expected[run.money_uuid] = (expected.get(run.money_uuid, money.ZERO)
                                        - run.cost * run.count)
    return expected == after


@dataclass(frozen=True, slots=True)
class Trim:
    """A session's runs split at the used time: kept (charged) and refunded."""

    kept: list[ChargedRun]
    refund: list[ChargedRun]
    charged_until: int  # offset the kept runs pay up to

    @property
    def refund_cost(self) -> Decimal:
        return sum((r.total_cost for r in self.refund), money.ZERO)

    @property
    def kept_cost(self) -> Decimal:
        return sum((r.total_cost for r in self.kept), money.ZERO)


def trim(runs: list[ChargedRun], used: int) -> Trim:
    """EventCost.Trim: refund only increments lying wholly after `used`.

    The increment straddling the end stays charged; zero-length increments (connect
    fees) are never refunded.
    """
    kept: list[ChargedRun] = []
    refund: list[ChargedRun] = []
    pos = 0
    for run in runs:
        if run.duration <= 0:
            kept.append(run)
            continue
        keep = min(run.count, max(0, -(-(used - pos) // run.duration)))
        if keep:
            kept.append(run.with_count(keep))
        if run.count - keep:
            refund.append(run.with_count(run.count - keep))
        pos += run.total_duration
    charged = sum(r.total_duration for r in kept)
    return Trim(kept, refund, charged)


def rounding(runs: list[ChargedRun]) -> list[Increment]:
    """Rounding increments for the whole call, one per stretch priced by one rate.

    CGRateS rounds each span's cost with its DestinationRate rounding at session end and
    charges the difference to the balance that paid the span's first increment. Here the
    consecutive runs of one rate form that stretch, so the price of a call does not depend
    on how it was cut into debits (it equals the price of rating the call in one piece).
    """
    out: list[Increment] = []
    group: list[ChargedRun] = []
    for run in [*runs, None]:
        if run is not None and group and run.rating == group[0].rating and run.rating:
            group.append(run)
            continue
        if group:
            correction = _group_correction(group)
            if correction:
                first = group[0]
                out.append(Increment(0, correction, 1, None,
                                     MonetaryInfo(first.money_uuid, "", money.ZERO),
                                     first.account_id))
        group = [] if run is None else [run]
    return out


def _group_correction(group: list[ChargedRun]) -> Decimal:
    first = group[0]
    if not first.money_uuid or not first.rating or first.cost == 0:
        return money.ZERO
    cost = sum((r.total_cost for r in group), money.ZERO)
    rounded = money.round_value(cost, first.rounding_decimals, first.rounding_method)
    return rounded - cost
