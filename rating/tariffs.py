"""Compiled tariff objects: timings, rates, rate intervals, rating plans and profiles.

These are the in-memory, read-only forms the pricing code works on (SPEC.md B.1). They are
built from the stored tariff documents by ``rating.tariffdocs`` and shared between calls, so
they are immutable and hold precomputed values (nanosecond windows, sorted rate slots).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from . import money
from .timeutil import DAY, SECOND, LocalDay

ANY = "*any"

_UNITS: dict[int, Decimal] = {}


def _unit_decimal(unit: int) -> Decimal:
    found = _UNITS.get(unit)
    if found is None:
        found = Decimal(unit)
        if len(_UNITS) < 10_000:
            _UNITS[unit] = found
    return found
META_OUT = "*out"
MAX_COST_FREE = "*free"
MAX_COST_DISCONNECT = "*disconnect"


def parse_clock(text: str) -> int | None:
    """Seconds into the day of "hh:mm:ss", or None when text is not such a clock time."""
    parts = text.split(":")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    h, m, s = (int(p) for p in parts)
    if h > 23 or m > 59 or s > 59:
        return None
    return h * 3600 + m * 60 + s


@dataclass(frozen=True, slots=True)
class Timing:
    """When a rate interval applies: calendar lists (empty = any) and a daily window.

    The window is [StartTime, EndTime] with EndTime's whole second included; no EndTime
    means through the end of the day. WeekDays use Go numbering (0 = Sunday; 7 is read as 0).
    """

    id: str
    years: tuple[int, ...] = ()
    months: tuple[int, ...] = ()
    month_days: tuple[int, ...] = ()
    week_days: tuple[int, ...] = ()
    start_time: str = "00:00:00"
    end_time: str = ""
    start_ns: int = 0
    end_ns: int = DAY

    @classmethod
    def build(cls, id: str, years: tuple[int, ...] = (), months: tuple[int, ...] = (),
              month_days: tuple[int, ...] = (), week_days: tuple[int, ...] = (),
              start_time: str = "00:00:00", end_time: str = "") -> Timing:
        """A timing with its window precomputed (non-clock start times count as 00:00:00)."""
        start = parse_clock(start_time) or 0
        end = parse_clock(end_time) if end_time else None
        end_ns = DAY if end is None else (end + 1) * SECOND
        return cls(id, years, months, month_days, tuple(7 if d == 0 else d for d in week_days),
                   start_time, end_time, start * SECOND, end_ns)

    @property
    def always(self) -> bool:
        """Active at every instant (no calendar restriction, whole-day window)."""
        return (not (self.years or self.months or self.month_days or self.week_days)
                and self.start_ns == 0 and self.end_ns == DAY)

    def on_day(self, day: LocalDay) -> bool:
        """Whether the calendar lists admit this day (the daily window aside)."""
        if self.years and day.year not in self.years:
            return False
        if self.months and day.month not in self.months:
            return False
        if self.month_days and day.month_day not in self.month_days:
            return False
        return not self.week_days or (day.weekday or 7) in self.week_days

    def active_at(self, day: LocalDay) -> bool:
        """Whether the timing is active at the instant `day` describes."""
        return self.start_ns <= day.ns_of_day < self.end_ns and self.on_day(day)

    def to_json(self) -> dict[str, Any]:
        """The RITiming JSON shape (WeekDays with Sunday as 0, as Go writes them)."""
        return {"Years": list(self.years), "Months": list(self.months),
                "MonthDays": list(self.month_days),
                "WeekDays": [0 if d == 7 else d for d in self.week_days],
                "StartTime": self.start_time, "EndTime": self.end_time}


ALWAYS = Timing.build(ANY)


@dataclass(frozen=True, slots=True)
class RateSlot:
    """One row of a rate: from call offset GroupIntervalStart, Value per RateUnit."""

    group_interval_start: int
    value: Decimal
    rate_increment: int
    rate_unit: int

    @property
    def unit_decimal(self) -> Decimal:
        """RateUnit as a Decimal (for the span cost division)."""
        return _unit_decimal(self.rate_unit)

    def to_json(self) -> dict[str, Any]:
        """The Rate JSON shape (durations in ns, Value as Decimal for the encoder)."""
        return {"GroupIntervalStart": self.group_interval_start, "Value": money.normal(self.value),
                "RateIncrement": self.rate_increment, "RateUnit": self.rate_unit}


@dataclass(frozen=True, slots=True, eq=False)
class Rating:
    """A rate bound by a destination rate: CGRateS's RIRate."""

    connect_fee: Decimal
    rounding_method: str
    rounding_decimals: int
    max_cost: Decimal
    max_cost_strategy: str
    slots: tuple[RateSlot, ...]
    rates_id: str = ""
    #: rating.pricing's memo: (slot start, span duration, decimals) -> (increment cost, count)
    costs: dict[tuple[int, int, int], tuple[Decimal, int]] = field(
        default_factory=dict, repr=False, compare=False)

    def slot_at(self, offset: int) -> RateSlot:
        """The rate row in force at call offset `offset` (greatest GroupIntervalStart <= it)."""
        slots = self.slots
        found = slots[0]
        for slot in slots:
            if slot.group_interval_start > offset:
                break
            found = slot
        return found

    def to_json(self) -> dict[str, Any]:
        """The RIRate JSON shape."""
        return {"ConnectFee": money.normal(self.connect_fee),
                "RoundingMethod": self.rounding_method,
                "RoundingDecimals": self.rounding_decimals,
                "MaxCost": money.normal(self.max_cost), "MaxCostStrategy": self.max_cost_strategy,
                "Rates": [s.to_json() for s in self.slots]}


@dataclass(frozen=True, slots=True, eq=False)
class RateInterval:
    """A rating in force while a timing is active, with a weight to settle overlaps."""

    timing: Timing | None
    rating: Rating
    weight: Decimal
    _shapes: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        """The RateInterval JSON shape (built once and shared: callers must not change it)."""
        shape: dict[str, Any] | None = self._shapes.get("json")
        if shape is None:
            shape = {"Timing": None if self.timing is None else self.timing.to_json(),
                     "Rating": self.rating.to_json(), "Weight": money.normal(self.weight)}
            self._shapes["json"] = shape
        return shape

    def to_doc(self) -> dict[str, Any]:
        """to_json with Decimal values as strings (built once and shared)."""
        doc: dict[str, Any] | None = self._shapes.get("doc")
        if doc is None:
            doc = money.jsonable(self.to_json())
            self._shapes["doc"] = doc
        return doc


@dataclass(frozen=True, slots=True)
class PlanDestination:
    """The rate intervals a rating plan has for one destination ID."""

    intervals: tuple[RateInterval, ...]  # weight descending
    weight: Decimal  # max weight, never below 0 (Go's RateIntervalList.GetWeight)
    always: bool = False  # some interval is active at every instant

    def active_at(self, day: LocalDay) -> bool:
        """Whether any interval's timing is active at that instant."""
        if self.always:
            return True
        return any(i.timing is None or i.timing.active_at(day) for i in self.intervals)


@dataclass(frozen=True, slots=True)
class RatingPlan:
    """A compiled rating plan: destination ID -> its rate intervals."""

    id: str
    destinations: dict[str, PlanDestination]


@dataclass(frozen=True, slots=True)
class Activation:
    """A rating profile entry: from `time_ns` on, use `plan_id` (then the fallback keys)."""

    time_ns: int
    plan_id: str
    fallback_keys: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RatingProfile:
    """Activations of one ``*out:tenant:category:subject`` key, sorted by time."""

    key: str
    activations: tuple[Activation, ...]

    def active_for(self, start_ns: int, end_ns: int) -> tuple[Activation, ...]:
        """The last activation at or before the start plus every later one up to the end."""
        acts = self.activations
        first = 0
        stop = len(acts)
        for index, act in enumerate(acts):
            if act.time_ns <= start_ns:
                first = index
            if act.time_ns > end_ns:
                stop = index
                break
        return acts[first:stop]


def profile_key(tenant: str, category: str, subject: str) -> str:
    """The rating profile key CGRateS builds for a subject."""
    return f"{META_OUT}:{tenant}:{category}:{subject}"


@dataclass
class Tariffs:
    """Every compiled tariff object of the store, plus the reverse prefix index."""

    version: str = ""
    destinations: dict[str, tuple[str, ...]] = field(default_factory=dict)
    reverse: dict[str, tuple[str, ...]] = field(default_factory=dict)
    timings: dict[str, Timing] = field(default_factory=dict)
    plans: dict[str, RatingPlan] = field(default_factory=dict)
    profiles: dict[str, RatingProfile] = field(default_factory=dict)
    _match_cache: dict[tuple[str, str], tuple[tuple[str, str, PlanDestination], ...]] = field(
        default_factory=dict, repr=False)
    #: rating.lookup's memo of time-independent matches: (profile, number, activation) -> info
    info_memo: dict[tuple[str, str, Activation], Any] = field(default_factory=dict, repr=False)

    def prefix_candidates(self, plan: RatingPlan,
                          number: str) -> tuple[tuple[str, str, PlanDestination], ...]:
        """(prefix, destination ID, plan entry) for every prefix of number, longest first.

        Only destinations the plan prices are listed; the result depends on the plan and the
        number alone, so it is memoised (bounded) for the hot path.
        """
        key = (plan.id, number)
        found = self._match_cache.get(key)
        if found is not None:
            return found
        out: list[tuple[str, str, PlanDestination]] = []
        reverse = self.reverse
        dests = plan.destinations
        for end in range(len(number), 0, -1):
            prefix = number[:end]
            for dest_id in reverse.get(prefix, ()):
                entry = dests.get(dest_id)
                if entry is not None:
                    out.append((prefix, dest_id, entry))
        result = tuple(out)
        if len(self._match_cache) >= 200_000:
            self._match_cache.clear()
        self._match_cache[key] = result
        return result

    def destination_ids_for(self, number: str) -> list[tuple[str, tuple[str, ...]]]:
        """(prefix, destination IDs) for the prefixes of number that have any, longest first."""
        reverse = self.reverse
        out = []
        for end in range(len(number), 0, -1):
            ids = reverse.get(number[:end])
            if ids:
                out.append((number[:end], ids))
        return out
