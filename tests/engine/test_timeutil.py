"""Durations and times in CGRateS's formats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from rating.timeutil import (
    HOUR,
    MINUTE,
    MS,
    SECOND,
    ZERO_TIME_NS,
    LocalDay,
    TimeFormatError,
    format_duration,
    format_time,
    parse_api_time,
    parse_duration_ns,
    parse_duration_secs,
    parse_go_duration,
    parse_rfc3339,
    to_ns,
)


@pytest.mark.parametrize(("text", "ns"), [
    ("60s", 60 * SECOND), ("1m30s", 90 * SECOND), ("1.5h", 90 * MINUTE), ("500ms", 500 * MS),
    ("2m10s", 130 * SECOND), ("0", 0), ("-1s", -SECOND), ("1h0m0.5s", HOUR + 500 * MS),
    ("3us", 3000), ("3µs", 3000), ("7ns", 7), (".5s", 500 * MS),
])
def test_go_durations_parse_to_nanoseconds(text: str, ns: int) -> None:
    assert parse_go_duration(text) == ns


@pytest.mark.parametrize("text", ["", "1x", "s", "1.s.", "abc", "1h-1m", "+"])
def test_malformed_go_durations_are_rejected(text: str) -> None:
    with pytest.raises(TimeFormatError):
        parse_go_duration(text)


@pytest.mark.parametrize(("text", "ns"), [
    ("60", 60), ("60s", 60 * SECOND), ("", 0), ("*unlimited", -1), (1500, 1500),
])
def test_api_durations_treat_bare_numbers_as_nanoseconds(text: str | int, ns: int) -> None:
    assert parse_duration_ns(text) == ns


@pytest.mark.parametrize(("text", "ns"), [
    ("60", 60 * SECOND), ("1.5", 1500 * MS), ("2m", 120 * SECOND), (7, 7 * SECOND),
])
def test_freeswitch_durations_treat_bare_numbers_as_seconds(text: str | int, ns: int) -> None:
    assert parse_duration_secs(text) == ns


@pytest.mark.parametrize(("ns", "text"), [
    (130 * SECOND, "2m10s"), (0, "0s"), (1500 * 1000, "1.5ms"), (HOUR, "1h0m0s"),
    (-90 * SECOND, "-1m30s"), (5, "5ns"), (67 * SECOND, "1m7s"),
])
def test_durations_format_like_go(ns: int, text: str) -> None:
    assert format_duration(ns) == text


@pytest.mark.parametrize("text", [
    "2014-08-04T13:00:00Z", "2023-11-15T10:27:52.865119544+11:00", "2014-08-04T13:00:00.5Z",
    "1999-12-31T23:59:59-05:30",
])
def test_rfc3339_times_round_trip_with_nanoseconds_and_zone(text: str) -> None:
    ns, tz = parse_rfc3339(text)
    assert format_time(ns, tz) == text


def test_the_zero_time_reads_and_writes_as_go_does() -> None:
    assert parse_rfc3339("0001-01-01T00:00:00Z")[0] == ZERO_TIME_NS
    assert format_time(None) == "0001-01-01T00:00:00Z"


NOW = to_ns(datetime(2024, 1, 31, 10, 0, tzinfo=UTC))


@pytest.mark.parametrize(("text", "expected"), [
    ("*now", datetime(2024, 1, 31, 10, 0, tzinfo=UTC)),
    ("+1h", datetime(2024, 1, 31, 11, 0, tzinfo=UTC)),
    ("2014-08-04 13:00:00", datetime(2014, 8, 4, 13, 0, tzinfo=UTC)),
    ("2014-08-04T13:00:00", datetime(2014, 8, 4, 13, 0, tzinfo=UTC)),
    ("1407157200", datetime(2014, 8, 4, 13, 0, tzinfo=UTC)),
    ("1407157200500", datetime(2014, 8, 4, 13, 0, 0, 500000, tzinfo=UTC)),
    ("1407157200.25", datetime(2014, 8, 4, 13, 0, 0, 250000, tzinfo=UTC)),
    ("20140804130000", datetime(2014, 8, 4, 13, 0, tzinfo=UTC)),
    ("*daily", datetime(2024, 2, 1, 10, 0, tzinfo=UTC)),
    ("*monthly", datetime(2024, 3, 2, 10, 0, tzinfo=UTC)),  # Go AddDate: Jan 31 + 1 month
    ("*yearly", datetime(2025, 1, 31, 10, 0, tzinfo=UTC)),
    ("*month_end", datetime(2024, 1, 31, 23, 59, 59, tzinfo=UTC)),
    ("*month_end+1h", datetime(2024, 2, 1, 0, 59, 59, tzinfo=UTC)),
])
def test_api_times_accept_cgrates_layouts(text: str, expected: datetime) -> None:
    ns, _ = parse_api_time(text, NOW)
    assert ns == to_ns(expected)


def test_api_times_without_zone_use_the_given_zone() -> None:
    plus2 = timezone(timedelta(hours=2))
    ns, tz = parse_api_time("2014-08-04 13:00:00", NOW, plus2)
    assert ns == to_ns(datetime(2014, 8, 4, 11, 0, tzinfo=UTC))
    assert tz is plus2


@pytest.mark.parametrize("text", ["", "*unlimited"])
def test_empty_api_times_mean_never(text: str) -> None:
    assert parse_api_time(text, NOW)[0] is None


@pytest.mark.parametrize("text", ["yesterday", "2014-13-01T00:00:00Z", "+1x", "*month_endx"])
def test_malformed_api_times_are_rejected(text: str) -> None:
    with pytest.raises(TimeFormatError):
        parse_api_time(text, NOW)


def test_local_day_gives_go_weekdays_and_offsets_in_the_zone() -> None:
    ns = to_ns(datetime(2014, 8, 3, 23, 30, tzinfo=UTC))  # Sunday 23:30 UTC
    utc = LocalDay(ns, UTC)
    assert (utc.weekday, utc.ns_of_day) == (0, (23 * 60 + 30) * MINUTE)
    berlin = LocalDay(ns, timezone(timedelta(hours=2)))  # already Monday 01:30
    assert (berlin.weekday, berlin.month_day, berlin.ns_of_day) == (1, 4, 90 * MINUTE)
    assert berlin.next_day_ns - berlin.day_start_ns == 24 * HOUR
