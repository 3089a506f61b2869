"""The 2012-era CGRateS call API in v0.10 terms: old CallDescriptor in, old CallCost out.

The documents of 2012 (seeds 001 and 004) describe a CallDescriptor ``{Tor, CstmId,
Subject, Account, DestinationPrefix, Direction, TimeStart, TimeEnd, Amount}`` and a
CallCost ``{TOR, CstmId, Subject, DestinationPrefix, Cost, ConnectFee, Timespans}``. This
module maps one onto v0.10's ``CallDescriptor`` and renders a v0.10 ``CallCost`` in the old
shape; it also names the 2013 balance ids and account types in v0.10 terms. Pure: ``now``
and defaults are passed in.

Mapping (see docs/legacy.md for the why of each):

- ``CstmId`` → Tenant, ``DestinationPrefix`` → Destination (the v0.10 names win when both
  are given); ``Tor`` → Category: 0 or absent = the default category, any other value
  names the category as text; ``Direction`` OUT/IN → ``*out``/``*in``.
- ``TimeStart`` absent → now; ``TimeEnd`` absent → ``TimeStart`` (plus the usage a method
  asks for, e.g. GetMaxSessionTime's ``Amount`` seconds).
- Old ``Cost`` excludes the connect fee, reported apart as ``ConnectFee`` (2012 debited
  ``Cost + ConnectFee``); timespans are compact, with no per-increment lists.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, tzinfo
from decimal import Decimal
from typing import Any

from . import money
from .balances import DATA, GENERIC, MONETARY, SMS, VOICE
from .callcost import CallCost
from .calldesc import CallDescriptor
from .errors import ServerError
from .spans import TimeSpan
from .timeutil import SECOND, format_time

OUT, IN = "*out", "*in"
#: Names only a 2012 CallDescriptor has (compared case-insensitively, as Go's decoder does).
OLD_ONLY_NAMES = frozenset(("cstmid", "destinationprefix", "amount"))
#: The 2012 spellings of TOR; v0.10 writes ``ToR`` (a text), 2012 sent a number.
OLD_TOR_NAMES = ("Tor", "TOR", "tor")
_DIRECTIONS = {"": OUT, "OUT": OUT, "*OUT": OUT, "OUTBOUND": OUT,
               "IN": IN, "*IN": IN, "INBOUND": IN}

#: 2013's balance ids (AttrGetBalance.BalanceId) → v0.10 balance types.
BALANCE_IDS = {"MONETARY": MONETARY, "SMS": SMS, "INTERNET": DATA, "INTERNET_TIME": GENERIC,
               "MINUTES": VOICE}
#: Balance types whose API values are seconds while v0.10 stores nanoseconds.
TIME_TYPES = frozenset((VOICE, GENERIC))
_ACCOUNT_TYPES = {"*prepaid": False, "prepaid": False, "*postpaid": True, "postpaid": True}
#: 2013 counter thresholds → v0.10; a 2013 trigger without a type counted units (max).
THRESHOLD_TYPES = {"": "*max_event_counter", "*max_counter": "*max_event_counter",
                   "*min_counter": "*min_event_counter"}


def is_old_call(raw: Any) -> bool:
    """Whether a request argument is a 2012 CallDescriptor (it uses a name v0.10 lacks)."""
    if not isinstance(raw, Mapping):
        return False
    for key, value in raw.items():
        if value is None or not isinstance(key, str):
            continue
        if key.casefold() in OLD_ONLY_NAMES:
            return True
        if key in OLD_TOR_NAMES and isinstance(value, int | Decimal) \
                and not isinstance(value, bool):
            return True
    return False


@dataclass(frozen=True)
class OldCall:
    """A 2012 CallDescriptor, typed: epoch-ns times (None = not given), Decimal amount."""

    tor: str = ""
    tenant: str = ""
    subject: str = ""
    account: str = ""
    destination: str = ""
    direction: str = ""
    category: str = ""
    time_start: int | None = None
    time_end: int | None = None
    amount: Decimal | None = None
    tz: tzinfo = UTC

    def tor_reply(self) -> int | str:
        """TOR as the reply echoes it: a number when it was one (0 when absent)."""
        text = self.tor.strip()
        if not text:
            return 0
        return int(text) if text.lstrip("-").isdigit() else text

    def category_or(self, default_category: str) -> str:
        """The v0.10 Category: Category if given, else Tor (0 → the default category)."""
        if self.category:
            return self.category
        tor = str(self.tor_reply())
        return default_category if tor == "0" else tor

    @property
    def subject_or_account(self) -> str:
        """Who is charged: Account, else Subject (CGRateS's account key rule)."""
        return self.account or self.subject


def normal_direction(text: str) -> str:
    """``*out`` or ``*in`` from the old spellings (OUT, IN, OUTBOUND, *out, ...)."""
    found = _DIRECTIONS.get(text.strip().upper())
    if found is None:
        raise ServerError(f"Direction {text!r}: use OUT or IN")
    return found


def seconds_to_ns(seconds: Decimal, field: str = "Amount") -> int:
    """Whole nanoseconds of a (possibly fractional) number of seconds; never negative."""
    if seconds < 0:
        raise ServerError(f"{field} {seconds} must not be negative")
    ns = seconds * SECOND
    if ns != ns.to_integral_value():
        raise ServerError(f"{field} {seconds} is finer than a nanosecond")
    return int(ns)


def ns_to_seconds(ns: int) -> Decimal:
    """Exact seconds of a nanosecond count (-1 stays -1: "unlimited")."""
    if ns < 0:
        return Decimal(ns) if ns == -1 else money.normal(Decimal(ns) / SECOND)
    return money.normal(Decimal(ns) / SECOND)


def call_descriptor(call: OldCall, *, tor_kind: str, now_ns: int, default_category: str,
                    usage_ns: int | None = None) -> CallDescriptor:
    """The v0.10 CallDescriptor of an old call (``usage_ns`` overrides TimeEnd)."""
    start = now_ns if call.time_start is None else call.time_start
    if usage_ns is not None:
        end = start + usage_ns
    else:
        end = start if call.time_end is None else call.time_end
    if end < start:
        raise ServerError("TimeEnd is before TimeStart")
    return CallDescriptor(
        Category=call.category_or(default_category), Tenant=call.tenant,
        Subject=call.subject, Account=call.account, Destination=call.destination,
        TimeStart=start, TimeEnd=end, ToR=tor_kind,
        Direction=normal_direction(call.direction), tz=call.tz)


def requested_usage(call: OldCall) -> int | None:
    """The usage GetMaxSessionTime/MaxDebit ask for: Amount seconds, None when not given."""
    if call.amount is None or call.amount == 0:
        return None
    return seconds_to_ns(call.amount)


# -- the old CallCost ------------------------------------------------------------------------

def connect_fee(cc: CallCost) -> Decimal:
    """The connect fee the CallCost charged (its zero-length increments)."""
    return sum((inc.cost * inc.count for inc in cc.increments() if inc.duration == 0),
               money.ZERO)


def old_call_cost(cc: CallCost, call: OldCall) -> dict[str, Any]:
    """The 2012 CallCost shape of a v0.10 CallCost (Decimal numbers for the encoder)."""
    fee = connect_fee(cc)
    return {"TOR": call.tor_reply(), "CstmId": cc.Tenant, "Subject": cc.Subject,
            "DestinationPrefix": cc.Destination, "Cost": money.normal(cc.Cost - fee),
            "ConnectFee": money.normal(fee),
            "Timespans": [old_timespan(ts, cc.tz) for ts in cc.Timespans]}


def old_timespan(ts: TimeSpan, tz: tzinfo) -> dict[str, Any]:
    """One compact 2012 TimeSpan: times, cost (fee apart), call duration, rate, minutes."""
    fee = sum((i.cost * i.count for i in ts.increments if i.duration == 0), money.ZERO)
    minutes = _minute_info(ts)
    return {"TimeStart": format_time(ts.start, tz), "TimeEnd": format_time(ts.end, tz),
            "Cost": money.normal(ts.cost - fee),
            "CallDuration": ns_to_seconds(ts.duration_index),
            "Interval": None if minutes is not None else _interval(ts), "MinuteInfo": minutes}


def _interval(ts: TimeSpan) -> dict[str, Any] | None:
    """The price the span was rated with (2012's Interval), None when it has none."""
    ri = ts.rate_interval
    if ri is None or not ri.rating.slots:
        return None
    rating = ri.rating
    slot = rating.slot_at(ts.group_start)
    return {"StartTime": ri.timing.start_time if ri.timing is not None else "",
            "Weight": money.normal(ri.weight), "ConnectFee": money.normal(rating.connect_fee),
            "Price": money.normal(slot.value), "PricedUnits": ns_to_seconds(slot.rate_unit),
            "RateIncrements": ns_to_seconds(slot.rate_increment),
            "RoundingMethod": rating.rounding_method,
            "RoundingDecimals": rating.rounding_decimals}


def _minute_info(ts: TimeSpan) -> dict[str, Any] | None:
    """The minute balance that paid the span, if one did (2012's MinuteInfo; Price is the
    money paid with those minutes, 0 for free ones)."""
    units = [i for i in ts.increments if i.unit is not None and i.duration > 0]
    if not units:
        return None
    first = units[0].unit
    assert first is not None
    paid = sum((i.cost * i.count for i in units), money.ZERO)
    return {"DestinationId": first.destination_id,
            "Quantity": ns_to_seconds(sum(i.duration * i.count for i in units)),
            "Price": money.normal(paid)}


# -- 2013 management names ------------------------------------------------------------------

def balance_type(balance_id: str) -> str:
    """The v0.10 balance type of a 2013 BalanceId (MONETARY, SMS, ...)."""
    found = BALANCE_IDS.get(balance_id.strip().upper())
    if found is None:
        raise ServerError(f"BalanceId {balance_id!r}: use one of {', '.join(BALANCE_IDS)}")
    return found


def is_old_balance_id(value: Any) -> bool:
    """Whether a BalanceId names a 2013 balance type rather than a v0.10 balance ID."""
    return isinstance(value, str) and value.strip().upper() in BALANCE_IDS


def to_stored_units(btype: str, value: Decimal) -> Decimal:
    """An API amount as v0.10 stores it: seconds become nanoseconds for time balances."""
    return value * SECOND if btype in TIME_TYPES else value


def from_stored_units(btype: str, value: Decimal) -> Decimal:
    """A stored amount as the old API shows it: nanoseconds become seconds."""
    return money.normal(value / SECOND if btype in TIME_TYPES else value)


def allows_negative(account_type: str) -> bool:
    """``*postpaid`` accounts may go negative (v0.10 AllowNegative); ``*prepaid`` may not."""
    found = _ACCOUNT_TYPES.get(account_type.strip().lower())
    if found is None:
        raise ServerError(f"Type {account_type!r}: use *prepaid or *postpaid")
    return found


def threshold_type(text: str) -> str:
    """The v0.10 ThresholdType of a 2013 one (no type: a max counter)."""
    return THRESHOLD_TYPES.get(text.strip(), text.strip())
