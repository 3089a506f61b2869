"""Action-plan timings → the next time they are due (pure: the clock is passed in).

CGRateS v0.10 builds a 7-field cron (`sec min hour monthday month weekday year`) from a
timing's Years / Months / MonthDays / WeekDays / Time (SPEC.md D.4); we compute the same
next run directly. Quirks kept from CGRateS: Years without Months means January only,
Months without MonthDays means the 1st, an empty Time means 00:00:00. The keywords
`*daily`, `*weekly`, `*monthly`, `*month_end`, `*yearly` (CGRateS master) are anchored at the
moment the plan is defined: `*monthly` = the anchor's day of month and clock every month.

Times are evaluated in the configured time zone. Across DST changes: a local time that
does not exist (spring forward) runs at the first instant after the gap; a local time
that exists twice (fall back) runs once, at its first occurrence.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

ASAP = "*asap"
EVERY_MINUTE = "*every_minute"
HOURLY = "*hourly"
KEYWORDS = ("*daily", "*weekly", "*monthly", "*month_end", "*yearly")

#: How far ahead to look before declaring a timing never due again (covers Feb 29 and
#: explicit far years); a plan whose every listed year has passed returns None.
HORIZON_DAYS = 366 * 9


class TimingError(ValueError):
    """A timing that cannot be scheduled; the text is the CGRateS error."""


@dataclass(frozen=True)
class PlanTiming:
    """When an action timing is due. Empty sets mean "any"."""

    years: frozenset[int] = frozenset()
    months: frozenset[int] = frozenset()
    month_days: frozenset[int] = frozenset()  # -1 = last day of the month, -2 the one before…
    week_days: frozenset[int] = frozenset()  # 0 = Sunday … 6 = Saturday
    time: str = "00:00:00"  # hh:mm:ss, *every_minute, *hourly or *asap

    @property
    def is_asap(self) -> bool:
        return self.time == ASAP


def _int_list(text: str, what: str, low: int, high: int) -> frozenset[int]:
    text = text.strip()
    if text in ("", "*any"):
        return frozenset()
    values = set()
    for part in text.split(";"):
        try:
            value = int(part)
        except ValueError:
            raise TimingError(f"UNSUPPORTED_FORMAT:{what} {text}") from None
        if not (low <= value <= high) or (value == 0 and low < 0):
            raise TimingError(f"UNSUPPORTED_FORMAT:{what} {text}")
        values.add(value)
    return frozenset(values)


def _check_time(text: str) -> str:
    text = text.strip()
    if text in ("", "*any"):
        return "00:00:00"
    if text in (ASAP, EVERY_MINUTE, HOURLY):
        return text
    try:
        clock = time.fromisoformat(text)
    except ValueError:
        raise TimingError(f"UNSUPPORTED_FORMAT:{text}") from None
    return clock.strftime("%H:%M:%S")


def parse_timing(years: str = "", months: str = "", month_days: str = "", week_days: str = "",
                 time_text: str = "") -> PlanTiming:
    """Build a timing from CGRateS's `;`-separated lists (`*any` or empty = any)."""
    week = _int_list(week_days, "WeekDays", 0, 7)
    return PlanTiming(
        years=_int_list(years, "Years", 1970, 9999),
        months=_int_list(months, "Months", 1, 12),
        month_days=_int_list(month_days, "MonthDays", -31, 31),
        week_days=frozenset(d % 7 for d in week),
        time=_check_time(time_text),
    )


def keyword_timing(keyword: str, anchor: datetime, zone: tzinfo) -> PlanTiming:
    """`*daily`/`*weekly`/`*monthly`/`*month_end`/`*yearly`, anchored at `anchor`."""
    local = anchor.astimezone(zone)
    clock = local.strftime("%H:%M:%S")
    weekday = (local.weekday() + 1) % 7  # Python: Monday=0; CGRateS: Sunday=0
    by_keyword = {
        "*daily": PlanTiming(time=clock),
        "*weekly": PlanTiming(week_days=frozenset({weekday}), time=clock),
        "*monthly": PlanTiming(month_days=frozenset({local.day}), time=clock),
        "*month_end": PlanTiming(month_days=frozenset({-1}), time=clock),
        "*yearly": PlanTiming(months=frozenset({local.month}), month_days=frozenset({local.day}),
                              time=clock),
    }
    if keyword not in by_keyword:
        raise TimingError(f"UNSUPPORTED_FORMAT:{keyword}")
    return by_keyword[keyword]


def _effective(timing: PlanTiming) -> PlanTiming:
    """Apply CGRateS's cron-building defaults (Years without Months → January, …)."""
    months, month_days = timing.months, timing.month_days
    if timing.years and not months:
        months = frozenset({1})
    if months and not month_days and not timing.week_days:
        month_days = frozenset({1})
    return PlanTiming(timing.years, months, month_days, timing.week_days, timing.time)


def _day_matches(t: PlanTiming, day: date) -> bool:
    if t.years and day.year not in t.years:
        return False
    if t.months and day.month not in t.months:
        return False
    if t.month_days:
        last = calendar.monthrange(day.year, day.month)[1]
        if day.day not in t.month_days and day.day - last - 1 not in t.month_days:
            return False
    return not t.week_days or (day.weekday() + 1) % 7 in t.week_days


def _instant(day: date, clock: time, zone: tzinfo) -> datetime:
    """The instant a local wall-clock time denotes, in UTC.

    fold=0 picks the first occurrence of a repeated time; for a time inside a DST gap,
    zoneinfo applies the offset from before the jump, which lands just as far after it
    (02:30 in a 02:00→03:00 gap → 03:30), so the run happens once, right after the gap.
    """
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


def _instants_of_day(t: PlanTiming, day: date, zone: tzinfo) -> list[datetime]:
    """The due instants of one local day, in order (real minutes, so DST changes count right)."""
    if t.time not in (EVERY_MINUTE, HOURLY):
        return [_instant(day, time.fromisoformat(t.time), zone)]
    begin = _instant(day, time(0), zone)
    end = _instant(day + timedelta(days=1), time(0), zone)
    instants = []
    current = begin
    while current < end:
        if t.time == EVERY_MINUTE or current.astimezone(zone).minute == 0:
            instants.append(current)
        current += timedelta(minutes=1)
    return instants


def next_run(timing: PlanTiming, after: datetime, zone: tzinfo) -> datetime | None:
    """The first due instant strictly after `after` (UTC), or None if never due again.

    `*asap` timings are never scheduled (they run once when attached): None.
    """
    if timing.is_asap:
        return None
    if after.tzinfo is None:
        raise ValueError("after must be timezone-aware")
    t = _effective(timing)
    start_day = after.astimezone(zone).date() - timedelta(days=1)
    for offset in range(HORIZON_DAYS):
        day = start_day + timedelta(days=offset)
        if t.years and day.year > max(t.years):
            return None
        if not _day_matches(t, day):
            continue
        for due in _instants_of_day(t, day, zone):
            if due > after:
                return due
    return None


def runs_between(timing: PlanTiming, start: datetime, end: datetime, zone: tzinfo,
                 limit: int = 10_000) -> list[datetime]:
    """Every due instant in (start, end], at most `limit` of them (for catch-up and reports)."""
    runs: list[datetime] = []
    current = start
    while len(runs) < limit:
        due = next_run(timing, current, zone)
        if due is None or due > end:
            break
        runs.append(due)
        current = due
    return runs
