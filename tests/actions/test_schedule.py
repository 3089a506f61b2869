"""Action-plan timings: next due times across month ends, leap years and DST."""

from __future__ import annotations

import calendar
import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rating.schedule import (
    PlanTiming,
    TimingError,
    keyword_timing,
    next_run,
    parse_timing,
    runs_between,
)

UTCZ = ZoneInfo("UTC")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def at(text: str, zone: ZoneInfo = UTCZ) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


@pytest.mark.parametrize(
    ("fields", "after", "expected"),
    [
        # Every day at a clock time.
        (("", "", "", "", "08:30:00"), "2026-03-10 08:29:59", "2026-03-10 08:30:00"),
        (("", "", "", "", "08:30:00"), "2026-03-10 08:30:00", "2026-03-11 08:30:00"),
        # Monthly on the 1st at midnight, across a year end.
        (("*any", "*any", "1", "*any", "00:00:00"), "2026-12-15 10:00:00", "2027-01-01 00:00:00"),
        # The 31st skips months without one.
        (("", "", "31", "", "12:00:00"), "2026-04-01 00:00:00", "2026-05-31 12:00:00"),
        # Last day of the month (-1), February of a leap year and of a common year.
        (("", "", "-1", "", "23:59:59"), "2028-02-01 00:00:00", "2028-02-29 23:59:59"),
        (("", "", "-1", "", "23:59:59"), "2027-02-01 00:00:00", "2027-02-28 23:59:59"),
        # Feb 29 only exists in leap years.
        (("", "2", "29", "", "06:00:00"), "2025-03-01 00:00:00", "2028-02-29 06:00:00"),
        # Week days: 0 and 7 are Sunday; 2026-11-22 is a Sunday.
        (("", "", "", "7", "09:00:00"), "2026-11-22 09:00:01", "2026-11-29 09:00:00"),
        (("", "", "", "1;5", "09:00:00"), "2026-11-22 10:00:00", "2026-11-23 09:00:00"),
        # Years without Months means January (CGRateS builds the cron that way); Months
        # without MonthDays means the 1st.
        (("2027", "", "", "", "10:00:00"), "2026-06-01 00:00:00", "2027-01-01 10:00:00"),
        (("", "6", "", "", "10:00:00"), "2026-06-02 00:00:00", "2027-06-01 10:00:00"),
        # Every minute and hourly.
        (("", "", "", "", "*every_minute"), "2026-01-01 10:00:30", "2026-01-01 10:01:00"),
        (("", "", "", "", "*hourly"), "2026-01-01 10:00:00", "2026-01-01 11:00:00"),
        (("", "", "", "", "*hourly"), "2026-01-01 23:59:59", "2026-01-02 00:00:00"),
        # Empty time is midnight.
        (("", "", "15", "", ""), "2026-01-15 00:00:01", "2026-02-15 00:00:00"),
    ],
)
def test_next_run_in_utc(fields: tuple[str, ...], after: str, expected: str) -> None:
    timing = parse_timing(*fields)
    assert next_run(timing, at(after), UTCZ) == at(expected)


def test_timing_whose_years_have_passed_is_never_due() -> None:
    assert next_run(parse_timing("2020", "1", "1", "", "00:00:00"), at("2026-01-01 00:00:00"), UTCZ) is None


def test_asap_is_never_scheduled() -> None:
    timing = parse_timing(time_text="*asap")
    assert timing.is_asap
    assert next_run(timing, at("2026-01-01 00:00:00"), UTCZ) is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [(("", "13", "", "", ""), "UNSUPPORTED_FORMAT:Months 13"),
     (("", "", "32", "", ""), "UNSUPPORTED_FORMAT:MonthDays 32"),
     (("", "", "0", "", ""), "UNSUPPORTED_FORMAT:MonthDays 0"),
     (("", "", "", "8", ""), "UNSUPPORTED_FORMAT:WeekDays 8"),
     (("x", "", "", "", ""), "UNSUPPORTED_FORMAT:Years x"),
     (("", "", "", "", "25:00:00"), "UNSUPPORTED_FORMAT:25:00:00"),
     (("", "", "", "", "*monthly"), "UNSUPPORTED_FORMAT:*monthly")],
)
def test_bad_timing_fields_are_rejected(fields: tuple[str, ...], message: str) -> None:
    with pytest.raises(TimingError, match=message.replace("*", r"\*")):
        parse_timing(*fields)


def test_daily_run_at_0230_in_berlin_on_spring_forward_day_runs_once_after_the_gap() -> None:
    timing = parse_timing(time_text="02:30:00")
    # 2026-03-29: Berlin jumps from 02:00 CET to 03:00 CEST; 02:30 does not exist.
    due = next_run(timing, at("2026-03-29 00:00:00", BERLIN), BERLIN)
    assert due is not None
    assert due.astimezone(BERLIN).replace(tzinfo=None) == datetime(2026, 3, 29, 3, 30)
    following = next_run(timing, due, BERLIN)
    assert following is not None
    assert following.astimezone(BERLIN).replace(tzinfo=None) == datetime(2026, 3, 30, 2, 30)


def test_daily_run_at_0230_in_berlin_on_fall_back_day_runs_once() -> None:
    timing = parse_timing(time_text="02:30:00")
    # 2026-10-25: 02:00-03:00 happens twice in Berlin.
    runs = runs_between(timing, at("2026-10-24 12:00:00", BERLIN), at("2026-10-26 12:00:00", BERLIN), BERLIN)
    assert [r.astimezone(UTC).isoformat() for r in runs] == [
        "2026-10-25T00:30:00+00:00",  # 02:30 CEST, the first occurrence
        "2026-10-26T01:30:00+00:00",  # 02:30 CET the next day
    ]


def test_every_minute_counts_real_minutes_across_dst_changes() -> None:
    timing = parse_timing(time_text="*every_minute")
    for start in ("2026-03-08 00:00:00", "2026-11-01 00:00:00"):  # New York DST changes
        begin = at(start, NEW_YORK).astimezone(UTC)  # arithmetic in real time, not wall time
        end = begin + timedelta(hours=4)
        runs = runs_between(timing, begin, end, NEW_YORK)
        assert len(runs) == 4 * 60
        assert all(b - a == timedelta(minutes=1) for a, b in itertools.pairwise(runs))


def test_hourly_runs_once_per_real_hour_across_fall_back() -> None:
    timing = parse_timing(time_text="*hourly")
    begin = at("2026-11-01 00:30:00", NEW_YORK).astimezone(UTC)  # 01:00-02:00 happens twice
    runs = runs_between(timing, begin, begin + timedelta(hours=4), NEW_YORK)
    assert len(runs) == 4
    assert all(b - a == timedelta(hours=1) for a, b in itertools.pairwise(runs))


@pytest.mark.parametrize(
    ("keyword", "anchor", "after", "expected"),
    [
        ("*daily", "2026-01-31 07:15:00", "2026-01-31 07:15:00", "2026-02-01 07:15:00"),
        ("*weekly", "2026-11-22 07:15:00", "2026-11-22 08:00:00", "2026-11-29 07:15:00"),
        ("*monthly", "2026-01-15 07:15:00", "2026-01-15 08:00:00", "2026-02-15 07:15:00"),
        ("*month_end", "2026-01-15 23:00:00", "2026-01-31 23:00:00", "2026-02-28 23:00:00"),
        ("*yearly", "2024-02-29 12:00:00", "2024-03-01 00:00:00", "2028-02-29 12:00:00"),
    ],
)
def test_keyword_timings_are_anchored_when_defined(keyword: str, anchor: str, after: str, expected: str) -> None:
    timing = keyword_timing(keyword, at(anchor), UTCZ)
    assert next_run(timing, at(after), UTCZ) == at(expected)


def test_a_year_of_monthly_runs_has_twelve_dates_on_the_first() -> None:
    timing = parse_timing("", "", "1", "", "00:00:00")
    runs = runs_between(timing, at("2026-01-01 00:00:00"), at("2027-01-01 00:00:00"), BERLIN)
    local = [r.astimezone(BERLIN) for r in runs]
    # 2026-01-01 00:00 Berlin is before the start; 2027-01-01 00:00 Berlin is before the end.
    assert [d.month for d in local] == [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 1]
    assert all((d.day, d.hour, d.minute) == (1, 0, 0) for d in local)


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)),
    st.sampled_from([BERLIN, NEW_YORK, UTCZ]),
    st.sets(st.integers(-3, 28).filter(bool), max_size=3),
    st.sets(st.integers(0, 6), max_size=3),
    st.times().map(lambda t: t.replace(microsecond=0).isoformat()),
    st.floats(min_value=0, max_value=1, exclude_max=True),
)
def test_next_run_is_later_matching_and_the_same_from_any_point_before_it(
        after: datetime, zone: ZoneInfo, days: set[int], weekdays: set[int], clock: str,
        fraction: float) -> None:
    timing = PlanTiming(month_days=frozenset(days), week_days=frozenset(weekdays), time=clock)
    due = next_run(timing, after, zone)
    assert due is not None and due > after
    local = due.astimezone(zone)
    if weekdays:
        assert (local.weekday() + 1) % 7 in weekdays
    if days:
        last = calendar.monthrange(local.year, local.month)[1]
        assert local.day in days or local.day - last - 1 in days
    # Nothing due was skipped: from any instant between `after` and `due`, `due` is next.
    between = after + (due - after - timedelta(microseconds=1)) * fraction
    assert next_run(timing, between, zone) == due
