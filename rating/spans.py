"""Time spans and increments: the pieces a call is split into and priced by.

An Increment here is a *run* of `count` equal increments (CGRateS's CompressFactor), so a
three-hour call at one-second increments is one object, and debits pay whole runs at once
with exact integer arithmetic instead of looping 10,800 times.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from . import money
from .tariffs import RateInterval
from .timeutil import format_time


def _ri_json(ri: RateInterval | None) -> dict[str, Any] | None:
    return None if ri is None else ri.to_json()


@dataclass(slots=True)
class UnitInfo:
    """The unit balance an increment consumed from (CGRateS UnitInfo)."""

    uuid: str
    id: str
    value: Decimal  # balance value after this (run of) increment(s)
    destination_id: str
    consumed: Decimal  # units per increment
    tor: str
    rate_interval: RateInterval | None = None

    def to_json(self) -> dict[str, Any]:
        """The UnitInfo JSON shape."""
        return {"UUID": self.uuid, "ID": self.id, "Value": money.normal(self.value),
                "DestinationID": self.destination_id, "Consumed": money.normal(self.consumed),
                "ToR": self.tor,
                "RateInterval": _ri_json(self.rate_interval)}


@dataclass(slots=True)
class MonetaryInfo:
    """The monetary balance an increment was paid from (CGRateS MonetaryInfo)."""

    uuid: str
    id: str
    value: Decimal  # balance value after this (run of) increment(s)
    rate_interval: RateInterval | None = None

    def to_json(self) -> dict[str, Any]:
        """The MonetaryInfo JSON shape."""
        return {"UUID": self.uuid, "ID": self.id, "Value": money.normal(self.value),
                "RateInterval": _ri_json(self.rate_interval)}


@dataclass(slots=True)
class Increment:
    """`count` consecutive increments of `duration` ns costing `cost` each."""

    duration: int
    cost: Decimal
    count: int = 1
    unit: UnitInfo | None = None
    monetary: MonetaryInfo | None = None
    account_id: str = ""

    @property
    def total_cost(self) -> Decimal:
        """Cost of the whole run."""
        return self.cost * self.count

    @property
    def total_duration(self) -> int:
        """Duration of the whole run in ns."""
        return self.duration * self.count

    def copy(self, count: int | None = None) -> Increment:
        """A copy, optionally with another count (balance infos are shared, not copied)."""
        return Increment(self.duration, self.cost, self.count if count is None else count,
                         self.unit, self.monetary, self.account_id)

    def balance_info_json(self) -> dict[str, Any]:
        """The BalanceInfo (DebitInfo) JSON shape."""
        return {"Unit": None if self.unit is None else self.unit.to_json(),
                "Monetary": None if self.monetary is None else self.monetary.to_json(),
                "AccountID": self.account_id}

    def to_json(self) -> dict[str, Any]:
        """The Increment JSON shape (Responder CallCost)."""
        return {"Duration": self.duration, "Cost": money.normal(self.cost),
                "BalanceInfo": self.balance_info_json(), "CompressFactor": self.count}


@dataclass(slots=True)
class TimeSpan:
    """A stretch of the call priced by one rate interval (or paid by one unit balance)."""

    start: int  # epoch ns
    end: int
    duration_index: int  # call duration so far at `end`
    rate_interval: RateInterval | None
    increments: list[Increment] = field(default_factory=list)
    cost: Decimal = money.ZERO
    round_increment: Increment | None = None
    matched_subject: str = ""
    matched_prefix: str = ""
    matched_dest_id: str = ""
    rating_plan_id: str = ""

    @property
    def duration(self) -> int:
        """Length of the span in ns."""
        return self.end - self.start

    @property
    def group_start(self) -> int:
        """Call offset at the span's start (CGRateS GetGroupStart)."""
        return max(0, self.duration_index - (self.end - self.start))

    def increments_cost(self, decimals: int) -> Decimal:
        """Σ increment costs rounded *middle to `decimals` (CGRateS CalculateCost)."""
        total = sum((inc.cost * inc.count for inc in self.increments), money.ZERO)
        return money.round_middle(total, decimals)

    def to_json(self, tz: Any) -> dict[str, Any]:
        """The TimeSpan JSON shape (Responder CallCost)."""
        return {
            "TimeStart": format_time(self.start, tz), "TimeEnd": format_time(self.end, tz),
            "Cost": money.normal(self.cost),
            "RateInterval": None if self.rate_interval is None else self.rate_interval.to_json(),
            "DurationIndex": self.duration_index,
            "Increments": [inc.to_json() for inc in compress(self.increments)] or None,
            "RoundIncrement": None if self.round_increment is None
            else self.round_increment.to_json(),
            "MatchedSubject": self.matched_subject, "MatchedPrefix": self.matched_prefix,
            "MatchedDestId": self.matched_dest_id, "RatingPlanId": self.rating_plan_id,
            "CompressFactor": 1,
        }


def compress(increments: list[Increment]) -> list[Increment]:
    """Merge neighbouring runs that are equal but for their count (balance value: the last)."""
    out: list[Increment] = []
    for inc in increments:
        if inc.count <= 0:
            continue
        last = out[-1] if out else None
        if (last is not None and last.duration == inc.duration and last.cost == inc.cost
                and last.account_id == inc.account_id and _same_info(last, inc)):
            out[-1] = Increment(last.duration, last.cost, last.count + inc.count, inc.unit,
                                inc.monetary, inc.account_id)
        else:
            out.append(inc)
    return out


def _same_info(a: Increment, b: Increment) -> bool:
    au, bu = a.unit, b.unit
    if (au is None) != (bu is None):
        return False
    if au is not None and bu is not None and (
            au.uuid != bu.uuid or au.consumed != bu.consumed
            or au.rate_interval is not bu.rate_interval):
        return False
    am, bm = a.monetary, b.monetary
    if (am is None) != (bm is None):
        return False
    return am is None or bm is None or (am.uuid == bm.uuid
                                        and am.rate_interval is bm.rate_interval)


def split_span(span: TimeSpan, index: int, consumed: int) -> TimeSpan:
    """Cut `span` after `consumed` increments of its run `index`; return the paid head.

    The head keeps runs before `index` plus the first `consumed` increments of that run;
    `span` itself is left untouched.
    """
    runs = [inc.copy() for inc in span.increments[:index]]
    if consumed:
        runs.append(span.increments[index].copy(consumed))
    end = span.start + sum(inc.duration * inc.count for inc in runs)
    head = TimeSpan(span.start, end, span.duration_index - (span.end - end), span.rate_interval,
                    runs, money.ZERO, None, span.matched_subject, span.matched_prefix,
                    span.matched_dest_id, span.rating_plan_id)
    return head
