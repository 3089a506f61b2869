"""Parsing the scalar forms CGRateS accepts in API fields: durations and times."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_UNIT_NS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000,
            "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000}
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})")
MAX_DURATION_NS = (1 << 63) - 1


def parse_duration(text: str) -> int:
    """Go's time.ParseDuration, plus CGRateS's rule that a bare integer means nanoseconds.

    ``"2m10s"`` → 130e9, ``"1.5h"``, ``"-1s"``, ``"60"`` → 60 (ns), ``""`` → 0.
    """
    text = text.strip()
    if text in ("", "0"):
        return 0
    if re.fullmatch(r"[-+]?\d+", text):
        return _bounded(int(text), text)
    sign, body = (-1, text[1:]) if text[:1] == "-" else (1, text.lstrip("+"))
    pos, total = 0, 0
    for match in _DURATION_PART.finditer(body):
        if match.start() != pos:
            break
        number, unit = match.groups()
        whole, _, frac = number.partition(".")
        scale = _UNIT_NS[unit]
        total += int(whole or "0") * scale + (int(frac) * scale // 10 ** len(frac) if frac else 0)
        pos = match.end()
    if pos != len(body) or not body:
        raise ValueError(f"{text!r} is not a duration (write it like 10s, 1m30s, 500ms)")
    return _bounded(sign * total, text)


def _bounded(value: int, text: str) -> int:
    if abs(value) > MAX_DURATION_NS:
        raise ValueError(f"{text!r} is out of range for a duration")
    return value


def parse_rfc3339(text: str) -> datetime | None:
    """Go's time.Time JSON form; returns None for Go's zero time (0001-01-01T00:00:00Z).

    Python keeps microseconds: digits beyond the sixth fractional digit are dropped.
    """
    match = _RFC3339.fullmatch(text)
    if not match:
        raise ValueError(f"{text!r} is not an RFC3339 time (like 2014-08-04T13:00:00Z)")
    year, month, day, hour, minute, second, frac, zone = match.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    if zone in ("Z", "z"):
        tz: timezone = UTC
    else:
        hours, minutes = int(zone[1:3]), int(zone[4:6])
        delta = timedelta(hours=hours, minutes=minutes)
        tz = timezone(-delta if zone[0] == "-" else delta)
    try:
        value = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second),
                         micro, tzinfo=tz)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a valid time ({exc})") from None
    if value.replace(tzinfo=None) == datetime(1, 1, 1) and not value.utcoffset():
        return None
    return value
