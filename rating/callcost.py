"""The CallCost: what rating and debits return, in the Responder JSON shape (SPEC.md E.3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from decimal import Decimal
from typing import Any

from . import money
from .calldesc import CallDescriptor, increment_from_json
from .spans import Increment, TimeSpan
from .tariffs import RateInterval, RateSlot, Rating, Timing
from .timeutil import parse_rfc3339

jsonable = money.jsonable


@dataclass
class CallCost:
    """Cost of a call or of a stretch of one, with its spans and increments."""

    Category: str = ""
    Tenant: str = ""
    Subject: str = ""
    Account: str = ""
    Destination: str = ""
    ToR: str = ""
    Cost: Decimal = money.ZERO
    Timespans: list[TimeSpan] = field(default_factory=list)
    AccountSummary: dict[str, Any] | None = None
    tz: tzinfo = UTC
    deduct_connect_fee: bool = True
    negative_connect_fee: bool = False
    max_cost_disconnect: bool = False
    dry_run_stop: bool = False  # a dry run stopped where a real debit would have gone on

    @classmethod
    def for_cd(cls, cd: CallDescriptor) -> CallCost:
        """An empty CallCost carrying the call's identity (CGRateS CreateCallCost)."""
        return cls(cd.Category, cd.Tenant, cd.Subject, cd.Account, cd.Destination, cd.ToR,
                   tz=cd.tz, deduct_connect_fee=cd.LoopIndex == 0)

    @property
    def rated_usage(self) -> int:
        """Σ span durations in ns (after increment rounding)."""
        return sum(ts.end - ts.start for ts in self.Timespans)

    @property
    def end(self) -> int | None:
        """End of the last span, None when there is none."""
        return self.Timespans[-1].end if self.Timespans else None

    def increments(self) -> list[Increment]:
        """All increment runs in time order (connect-fee increment included)."""
        return [inc for ts in self.Timespans for inc in ts.increments]

    def connect_fee(self) -> Decimal:
        """ConnectFee of the first span's rating (0 when it has none)."""
        if not self.Timespans or self.Timespans[0].rate_interval is None:
            return money.ZERO
        return self.Timespans[0].rate_interval.rating.connect_fee

    def longest_rounding(self) -> tuple[int, str]:
        """(RoundingDecimals, RoundingMethod) of the span with the most decimals."""
        decimals, method = 0, ""
        for ts in self.Timespans:
            ri = ts.rate_interval
            if ri is not None and ri.rating.rounding_decimals > decimals:
                decimals, method = ri.rating.rounding_decimals, ri.rating.rounding_method
        return decimals, method

    def update_cost(self, decimals: int) -> None:
        """Cost = Σ span increment costs, each rounded to `decimals` (CGRateS updateCost)."""
        total = money.ZERO
        for ts in self.Timespans:
            if ts.increments:
                ts.cost = ts.increments_cost(decimals)
            total = money.round_middle(total + ts.cost, decimals)
        self.Cost = total

    def round_spans(self) -> list[Increment]:
        """PerformRounding: add each money-paid span's rounding difference as RoundIncrement.

        Returns the round increments (to be charged with RefundRounding).
        """
        out = []
        for ts in self.Timespans:
            if not ts.increments or ts.rate_interval is None:
                continue
            first = ts.increments[0]
            if first.monetary is None or first.cost == 0:
                continue
            cost = sum((i.cost * i.count for i in ts.increments), money.ZERO)
            rating = ts.rate_interval.rating
            rounded = money.round_value(cost, rating.rounding_decimals, rating.rounding_method)
            correction = rounded - cost
            if correction:
                ts.round_increment = Increment(0, correction, 1, first.unit, first.monetary,
                                               first.account_id)
                ts.cost += correction
                self.Cost += correction
                out.append(ts.round_increment)
        return out

    def to_json(self) -> dict[str, Any]:
        """The Responder CallCost JSON shape (Decimal values for the RPC encoder)."""
        return {"Category": self.Category, "Tenant": self.Tenant, "Subject": self.Subject,
                "Account": self.Account, "Destination": self.Destination, "ToR": self.ToR,
                "Cost": money.normal(self.Cost),
                "Timespans": [ts.to_json(self.tz) for ts in self.Timespans] or None,
                "RatedUsage": self.rated_usage, "AccountSummary": self.AccountSummary}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CallCost:
        """Read a CallCost JSON (numbers as JSON numbers or Decimal strings)."""
        spans = [_span_from_json(ts) for ts in data.get("Timespans") or ()]
        tz: tzinfo = UTC
        if data.get("Timespans"):
            tz = parse_rfc3339(data["Timespans"][0]["TimeStart"])[1]
        return cls(data.get("Category", ""), data.get("Tenant", ""), data.get("Subject", ""),
                   data.get("Account", ""), data.get("Destination", ""), data.get("ToR", ""),
                   money.to_decimal(data.get("Cost") or 0), spans,
                   summary_from_json(data.get("AccountSummary")), tz)


def summary_from_json(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """An AccountSummary with its balance values read back as Decimal."""
    if data is None:
        return None
    out = dict(data)
    out["BalanceSummaries"] = [dict(b, Value=money.to_decimal(b.get("Value") or 0))
                               for b in data.get("BalanceSummaries") or ()]
    return out


def _span_from_json(data: dict[str, Any]) -> TimeSpan:
    ri = data.get("RateInterval")
    rnd = data.get("RoundIncrement")
    return TimeSpan(
        parse_rfc3339(data["TimeStart"])[0], parse_rfc3339(data["TimeEnd"])[0],
        int(data.get("DurationIndex") or 0), None if not ri else rate_interval_from_json(ri),
        [increment_from_json(i) for i in data.get("Increments") or ()],
        money.to_decimal(data.get("Cost") or 0),
        None if not rnd else increment_from_json(rnd),
        data.get("MatchedSubject", ""), data.get("MatchedPrefix", ""),
        data.get("MatchedDestId", ""), data.get("RatingPlanId", ""))


def rate_interval_from_json(data: dict[str, Any]) -> RateInterval:
    """A detached RateInterval from its JSON shape."""
    tm = data.get("Timing")
    timing = None
    if tm:
        timing = Timing.build("", tuple(tm.get("Years") or ()), tuple(tm.get("Months") or ()),
                              tuple(tm.get("MonthDays") or ()), tuple(tm.get("WeekDays") or ()),
                              tm.get("StartTime") or "00:00:00", tm.get("EndTime") or "")
    rt = data.get("Rating") or {}
    slots = tuple(RateSlot(int(s.get("GroupIntervalStart") or 0), money.to_decimal(s["Value"]),
                           int(s.get("RateIncrement") or 0), int(s.get("RateUnit") or 0))
                  for s in rt.get("Rates") or ())
    rating = Rating(money.to_decimal(rt.get("ConnectFee") or 0), rt.get("RoundingMethod", ""),
                    int(rt.get("RoundingDecimals") or 0), money.to_decimal(rt.get("MaxCost") or 0),
                    rt.get("MaxCostStrategy", ""), slots)
    return RateInterval(timing, rating, money.to_decimal(data.get("Weight") or 0))
