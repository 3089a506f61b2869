"""Which balances a filter names, and balances made from filters (SPEC.md D.2, D.5).

Three ways to compare, as CGRateS has them:

- ``match_filter`` (actions, ``MatchFilter``): a set Uuid decides alone, else a set ID;
  otherwise every set field must match, maps by *inclusion* (the balance holds every key
  the filter lists as true).
- ``hard_match`` (thresholds, ``HardMatchFilter``): the same, but maps must be *equal*.
- ``filters_equal`` (counters, ``BalanceFilter.Equal``): both IDs set → IDs equal, else
  the filters are identical.

A filter's ExpirationDate of ``ZERO_TIME_NS`` means "never expires" explicitly and equals a
balance without expiry; None means "not specified".
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import tzinfo
from decimal import Decimal
from typing import Any

from . import money
from .balances import META_DEFAULT, Balance
from .tariffs import Timing
from .timeutil import ZERO_TIME_NS, to_datetime
from .triggers import BalanceFilter, StringMap


def _expiry(ns: int | None) -> int | None:
    return None if ns is None or ns == ZERO_TIME_NS else ns


def includes(have: StringMap | None, want: StringMap) -> bool:
    """Go StringMap.Includes: every key of `want` is true in `have`."""
    have = have or {}
    return len(have) >= len(want) and all(have.get(k) for k in want)


def maps_equal(a: StringMap | None, b: StringMap | None) -> bool:
    """Go StringMap.Equal (nil and empty are equal)."""
    return (a or {}) == (b or {})


def _ids_decide(b: Balance, f: BalanceFilter) -> bool | None:
    if f.Uuid:
        return b.Uuid == f.Uuid
    if f.ID:
        return b.ID == f.ID
    return None


def match_filter(b: Balance, f: BalanceFilter | None, *, skip_ids: bool = False,
                 skip_expiry: bool = False) -> bool:
    """CGRateS ``Balance.MatchFilter``: the balance an action's filter names."""
    if f is None:
        return True
    if not skip_ids:
        decided = _ids_decide(b, f)
        if decided is not None:
            return decided
    if not skip_expiry and f.ExpirationDate is not None and \
            _expiry(b.ExpirationDate) != _expiry(f.ExpirationDate):
        return False
    return _fields_match(b, f, includes)


def hard_match(b: Balance, f: BalanceFilter | None) -> bool:
    """CGRateS ``Balance.HardMatchFilter``: the balance a threshold watches."""
    if f is None:
        return True
    decided = _ids_decide(b, f)
    if decided is not None:
        return decided
    return ((f.ExpirationDate is None or _expiry(b.ExpirationDate) == _expiry(f.ExpirationDate))
            and _fields_match(b, f, maps_equal))


def _fields_match(b: Balance, f: BalanceFilter,
                  maps_match: Callable[[StringMap | None, StringMap], bool]) -> bool:
    """Every field the filter sets (besides ids and expiry) matches; maps by maps_match."""
    return ((f.Weight is None or b.Weight == f.Weight)
            and (f.Blocker is None or b.Blocker == f.Blocker)
            and (f.Disabled is None or b.Disabled == f.Disabled)
            and (f.DestinationIDs is None or maps_match(b.DestinationIDs, f.DestinationIDs))
            and (f.Categories is None or maps_match(b.Categories, f.Categories))
            and (f.TimingIDs is None or maps_match(b.TimingIDs, f.TimingIDs))
            and (f.SharedGroups is None or maps_match(b.SharedGroups, f.SharedGroups))
            and (f.RatingSubject is None or b.RatingSubject == f.RatingSubject))


def filters_equal(a: BalanceFilter | None, b: BalanceFilter | None) -> bool:
    """CGRateS ``BalanceFilter.Equal``: IDs when both are set, else identical filters."""
    if a is None or b is None:
        return a is b
    if a.ID is not None and b.ID is not None:
        return a.ID == b.ID
    return a == b


# -- values ----------------------------------------------------------------------------------

def filter_value(f: BalanceFilter | None, now_ns: int, tz: tzinfo) -> Decimal:
    """The amount a filter's ValueFormula gives now (0 when it has none)."""
    if f is None or f.Value is None:
        return money.ZERO
    method = f.Value.get("Method") or ""
    if not method:
        return money.to_decimal(f.Value.get("Static") or 0)
    if method == "*incremental":
        return _incremental(f.Value.get("Params") or {}, now_ns, tz)
    return money.ZERO


def _incremental(params: dict[str, Any], now_ns: int, tz: tzinfo) -> Decimal:
    """CGRateS's ``*incremental`` formula: Units spread over an Interval per Increment."""
    try:
        units = money.to_decimal(params["Units"])
        interval, increment = str(params["Interval"]), str(params["Increment"])
    except (KeyError, ValueError):
        return money.ZERO
    now = to_datetime(now_ns, tz)
    month_days = Decimal(calendar.monthrange(now.year, now.month)[1])
    year_days = Decimal(366 if calendar.isleap(now.year) else 365)
    divisors = {("day", "week"): Decimal(7), ("day", "month"): month_days,
                ("day", "year"): year_days, ("hour", "day"): Decimal(24),
                ("hour", "month"): month_days * 24, ("hour", "year"): year_days * 24,
                ("minute", "hour"): Decimal(60)}
    divisor = divisors.get((increment, interval))
    return money.CONTEXT.divide(units, divisor) if divisor else money.ZERO


# -- balances from filters -------------------------------------------------------------------

def create_balance(f: BalanceFilter, uuid: str, value: Decimal,
                   timings: dict[str, Timing] | None = None) -> Balance:
    """CGRateS ``BalanceFilter.CreateBalance``: unspecified maps become ``{}``.

    Timings are resolved from the TimingIDs (unknown ids are skipped).
    """
    b = Balance(uuid, f.ID or "", value, _expiry(f.ExpirationDate), f.Weight or money.ZERO,
                dict(f.DestinationIDs or {}), f.RatingSubject or "", dict(f.Categories or {}),
                dict(f.SharedGroups or {}), None, dict(f.TimingIDs or {}), bool(f.Disabled),
                None, bool(f.Blocker))
    b.Timings = resolve_timings(b.TimingIDs, timings)
    return b


def resolve_timings(ids: StringMap | None,
                    timings: dict[str, Timing] | None) -> list[Timing] | None:
    """The Timing objects of TimingIDs (None when there are none)."""
    found = [timings[t] for t in sorted(ids or {}) if timings and t in timings]
    return found or None


def modify_balance(b: Balance, f: BalanceFilter, value: Decimal | None,
                   timings: dict[str, Timing] | None = None) -> None:
    """CGRateS ``BalanceFilter.ModifyBalance``: copy every set field; marks the balance dirty."""
    if f.ID is not None:
        b.ID = f.ID
    if value is not None:
        b.Value = value
    if f.ExpirationDate is not None:
        b.ExpirationDate = _expiry(f.ExpirationDate)
    if f.RatingSubject is not None:
        b.RatingSubject = f.RatingSubject
    for name in ("Categories", "DestinationIDs", "SharedGroups", "TimingIDs"):
        if getattr(f, name) is not None:
            setattr(b, name, dict(getattr(f, name)))
    if f.TimingIDs is not None:
        b.Timings = resolve_timings(f.TimingIDs, timings)
    if f.Weight is not None:
        b.Weight = f.Weight
    if f.Blocker is not None:
        b.Blocker = f.Blocker
    if f.Disabled is not None:
        b.Disabled = f.Disabled
    b.dirty = True


def is_default(b: Balance) -> bool:
    """The ``*default`` monetary balance."""
    return b.ID == META_DEFAULT
