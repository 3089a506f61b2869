"""Time and duration helpers in CGRateS's formats.

Durations are integer nanoseconds (Go ``time.Duration``). Instants are integer nanoseconds
since the Unix epoch (UTC) so that arithmetic is exact; a ``tzinfo`` travels alongside when
calendar fields matter (timings are evaluated in the time zone the time was given in, as Go
does with ``time.Time``). Nothing here reads the clock: "now" is always passed in.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from fractions import Fraction

NS = 1
US = 1_000
MS = 1_000_000
SECOND = 1_000_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
#: Go's zero time.Time, 0001-01-01T00:00:00Z, in epoch nanoseconds.
ZERO_TIME_NS = -62135596800 * SECOND
ZERO_TIME_TEXT = "0001-01-01T00:00:00Z"

_UNITS = {"ns": NS, "us": US, "µs": US, "μs": US, "ms": MS, "s": SECOND, "m": MINUTE,
          "h": HOUR}
_DUR_PART = re.compile(r"(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)")


class TimeFormatError(ValueError):
    """A duration or time string CGRateS would not accept."""


def parse_go_duration(text: str) -> int:
    """Go's time.ParseDuration: "1h2m3.5s", "500ms", "-1.5h", "0" -> nanoseconds."""
    s = text.strip()
    if not s:
        raise TimeFormatError(f"invalid duration {text!r}")
    sign = 1
    if s[0] in "+-":
        sign = -1 if s[0] == "-" else 1
        s = s[1:]
    if s == "0":
        return 0
    if not s:
        raise TimeFormatError(f"invalid duration {text!r}")
    total = Fraction(0)
    pos = 0
    while pos < len(s):
        m = _DUR_PART.match(s, pos)
        if m is None or (not m.group(1) and not m.group(2)):
            raise TimeFormatError(f"invalid duration {text!r}")
        whole = int(m.group(1) or "0")
        frac = Fraction(int(m.group(2)), 10 ** len(m.group(2))) if m.group(2) else Fraction(0)
        total += (whole + frac) * _UNITS[m.group(3)]
        pos = m.end()
    return sign * int(total)


def parse_duration_ns(text: str | int) -> int:
    """CGRateS ParseDurationWithNanosecs: "" -> 0, "*unlimited" -> -1, bare integer = ns."""
    if isinstance(text, bool):
        raise TimeFormatError(f"invalid duration {text!r}")
    if isinstance(text, int):
        return text
    s = text.strip()
    if s == "":
        return 0
    if s == "*unlimited":
        return -1
    if re.fullmatch(r"[+-]?\d+", s):
        return int(s)
    return parse_go_duration(s)


def parse_duration_secs(text: str | int) -> int:
    """CGRateS ParseDurationWithSecs: bare numbers (int or decimal) are seconds."""
    if isinstance(text, bool):
        raise TimeFormatError(f"invalid duration {text!r}")
    if isinstance(text, int):
        return text * SECOND
    s = text.strip()
    if s == "":
        return 0
    if s == "*unlimited":
        return -1
    if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)", s):
        return int(Fraction(s) * SECOND)
    return parse_go_duration(s)


def format_duration(ns: int) -> str:
    """Go's Duration.String(): 130000000000 -> "2m10s", 1500000 -> "1.5ms", 0 -> "0s"."""
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    u = abs(ns)
    if u < SECOND:
        for unit, size in (("ns", 1), ("µs", US), ("ms", MS)):
            if u < size * 1000:
                return sign + _fmt_frac(u, size) + unit
    out = ""
    hours, rest = divmod(u, HOUR)
    minutes, rest = divmod(rest, MINUTE)
    if hours:
        out += f"{hours}h"
    if hours or minutes:
        out += f"{minutes}m"
    return sign + out + _fmt_frac(rest, SECOND) + "s"


def _fmt_frac(value: int, size: int) -> str:
    whole, frac = divmod(value, size)
    if not frac:
        return str(whole)
    digits = len(str(size)) - 1
    return f"{whole}." + str(frac).rjust(digits, "0").rstrip("0")


# -- instants ----------------------------------------------------------------------------

def to_ns(dt: datetime) -> int:
    """Epoch nanoseconds of an aware datetime (microsecond precision)."""
    delta = dt - EPOCH
    return (delta.days * 86400 + delta.seconds) * SECOND + delta.microseconds * US


def to_datetime(ns: int, tz: tzinfo = UTC) -> datetime:
    """The datetime of epoch nanoseconds in tz (sub-microsecond digits dropped)."""
    return (EPOCH + timedelta(microseconds=ns // US)).astimezone(tz)


def format_time(ns: int | None, tz: tzinfo = UTC) -> str:
    """Go's RFC3339Nano as encoding/json writes time.Time; None = the zero time."""
    if ns is None or ns == ZERO_TIME_NS:
        return ZERO_TIME_TEXT
    secs, frac = divmod(ns, SECOND)
    dt = EPOCH + timedelta(seconds=secs)
    if tz is not UTC:
        dt = dt.astimezone(tz)
    text = (f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T"
            f"{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}")
    if frac:
        text += "." + str(frac).rjust(9, "0").rstrip("0")
    offset = dt.utcoffset() or timedelta(0)
    if not offset:
        return text + "Z"
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hh, mm = divmod(abs(minutes), 60)
    return f"{text}{sign}{hh:02d}:{mm:02d}"


_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(Z|z|[+-]\d{2}:\d{2})$")
_SQL = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?T?$")


def _parse_utc_seconds(text: str) -> int | None:
    """Fast path for the common "2006-01-02T15:04:05Z"; None when text is anything else."""
    if (len(text) != 20 or text[19] != "Z" or text[10] != "T" or text[4] != "-"
            or text[7] != "-" or text[13] != ":" or text[16] != ":"
            or not (text[0:4] + text[5:7] + text[8:10] + text[11:13] + text[14:16]
                    + text[17:19]).isdigit()):
        return None
    try:
        days = date(int(text[0:4]), int(text[5:7]), int(text[8:10])).toordinal()
        hh, mm, ss = int(text[11:13]), int(text[14:16]), int(text[17:19])
    except ValueError:
        return None
    if hh > 23 or mm > 59 or ss > 59:
        return None
    return ((days - _EPOCH_ORDINAL) * 86400 + hh * 3600 + mm * 60 + ss) * SECOND


def parse_rfc3339(text: str) -> tuple[int, tzinfo]:
    """A strict RFC3339 time (what Go's time.Time JSON decoding accepts) -> (ns, tz)."""
    fast = _parse_utc_seconds(text)
    if fast is not None:
        return fast, UTC
    m = _RFC3339.match(text.strip())
    if m is None:
        raise TimeFormatError(f"invalid RFC3339 time {text!r}")
    zone = m.group(8)
    tz: tzinfo = UTC
    if zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        tz = timezone(sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
    return _fields_to_ns(m, tz), tz


def _fields_to_ns(m: re.Match[str], tz: tzinfo) -> int:
    try:
        dt = datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), int(m.group(4)),
                      int(m.group(5)), int(m.group(6)), tzinfo=tz)
    except ValueError as exc:
        raise TimeFormatError(f"invalid time {m.group(0)!r}: {exc}") from None
    nanos = int(m.group(7).ljust(9, "0")) if m.group(7) else 0
    if isinstance(tz, timezone):
        return to_ns(dt) + nanos
    return to_ns(dt.astimezone(UTC)) + nanos


def parse_api_time(text: str, now_ns: int, tz: tzinfo = UTC) -> tuple[int | None, tzinfo]:
    """CGRateS ParseTimeDetectLayout: API time strings -> (epoch ns or None for zero, tz).

    Accepts "" / "*unlimited" (zero time), "*now", "+1h" (now plus a Go duration),
    "*daily", "*monthly", "*yearly", "*month_end[+dur]", RFC3339, "2006-01-02 15:04:05",
    "2006-01-02T15:04:05", unix seconds (10 digits, or with a fraction), unix ms (13), µs (16)
    and ns (19 digits), "20060102150405". Layouts without a zone are read in tz.
    """
    s = text.strip()
    if s in ("", "*unlimited"):
        return None, tz
    if s in ("*now", "*asap"):
        return now_ns, tz
    if s.startswith("+"):
        return now_ns + parse_go_duration(s[1:]), tz
    relative = _relative_time(s, now_ns, tz)
    if relative is not None:
        return relative, tz
    if _RFC3339.match(s):
        return parse_rfc3339(s)
    m = _SQL.match(s)
    if m:
        return _fields_to_ns(m, tz), tz
    if re.fullmatch(r"\d{14}", s):
        m2 = re.fullmatch(r"(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})()", s)
        assert m2 is not None
        return _fields_to_ns(m2, tz), tz
    return _unix_time(s, tz)


def _unix_time(s: str, tz: tzinfo) -> tuple[int, tzinfo]:
    if re.fullmatch(r"\d{10}\.\d+", s):
        return int(Fraction(s) * SECOND), tz
    scales = {19: 1, 16: US, 13: MS}
    if re.fullmatch(r"\d+", s):
        return int(s) * scales.get(len(s), SECOND), tz
    raise TimeFormatError(f"unsupported time format {s!r}")


def _relative_time(s: str, now_ns: int, tz: tzinfo) -> int | None:
    now = to_datetime(now_ns, tz)
    if s == "*daily":
        return to_ns(add_date(now, 0, 0, 1))
    if s == "*monthly":
        return to_ns(add_date(now, 0, 1, 0))
    if s == "*yearly":
        return to_ns(add_date(now, 1, 0, 0))
    if s.startswith("*month_end"):
        extra = s[len("*month_end"):]
        end = end_of_month(now)
        if extra.startswith("+"):
            return to_ns(end) + parse_go_duration(extra[1:])
        if extra:
            raise TimeFormatError(f"unsupported time format {s!r}")
        return to_ns(end)
    return None


def add_date(dt: datetime, years: int, months: int, days: int) -> datetime:
    """Go's Time.AddDate: overflowing days roll into the next month (Jan 31 + 1 month = Mar 3)."""
    month0 = dt.month - 1 + months
    year = dt.year + years + month0 // 12
    first = dt.replace(year=year, month=month0 % 12 + 1, day=1)
    return first + timedelta(days=dt.day - 1 + days)


def end_of_month(dt: datetime) -> datetime:
    """The last second of dt's month, in dt's zone (CGRateS GetEndOfMonth)."""
    last = calendar.monthrange(dt.year, dt.month)[1]
    return dt.replace(day=last, hour=23, minute=59, second=59, microsecond=0)


# -- calendar fields used by timings ---------------------------------------------------

_DATES: dict[int, tuple[int, int, int]] = {}
_OFFSETS: dict[tzinfo, int] = {}


def _fixed_offset_ns(tz: timezone) -> int:
    found = _OFFSETS.get(tz)
    if found is None:
        offset = tz.utcoffset(None)
        found = int(offset.total_seconds()) * SECOND
        _OFFSETS[tz] = found
    return found


class LocalDay:
    """Calendar facts of one instant in one zone: date, Go weekday, offset into the day.

    Fixed-offset zones (UTC and the zones of RFC3339 times) are computed with integer
    arithmetic; other tzinfo objects (zoneinfo, with DST) go through datetime.
    """

    __slots__ = ("day_start_ns", "month", "month_day", "next_day_ns", "ns_of_day", "weekday",
                 "year")

    def __init__(self, ns: int, tz: tzinfo) -> None:
        if isinstance(tz, timezone):
            offset = _fixed_offset_ns(tz)
            days, self.ns_of_day = divmod(ns + offset, DAY)
            fields = _DATES.get(days)
            if fields is None:
                d = date.fromordinal(_EPOCH_ORDINAL + days)
                fields = (d.year, d.month, d.day)
                if len(_DATES) < 100_000:
                    _DATES[days] = fields
            self.year, self.month, self.month_day = fields
            self.weekday = (days + 4) % 7  # 1970-01-01 was a Thursday; Go: Sunday = 0
            self.day_start_ns = days * DAY - offset
            self.next_day_ns = self.day_start_ns + DAY
            return
        secs = ns // SECOND
        local = (EPOCH + timedelta(seconds=secs)).astimezone(tz)
        self.year = local.year
        self.month = local.month
        self.month_day = local.day
        self.weekday = (local.weekday() + 1) % 7
        day = local.date()
        self.day_start_ns = _midnight_ns(day, tz)
        self.next_day_ns = _midnight_ns(day + timedelta(days=1), tz)
        self.ns_of_day = ns - self.day_start_ns


_last_day: tuple[int, tzinfo, LocalDay] | None = None


def local_day(ns: int, tz: tzinfo) -> LocalDay:
    """LocalDay(ns, tz), remembering the last one (rating asks for a call's start twice)."""
    global _last_day
    last = _last_day
    if last is not None and last[0] == ns and last[1] is tz:
        return last[2]
    day = LocalDay(ns, tz)
    _last_day = (ns, tz, day)
    return day


def _midnight_ns(day: date, tz: tzinfo) -> int:
    local = datetime(day.year, day.month, day.day, tzinfo=tz)
    return to_ns(local.astimezone(UTC))
