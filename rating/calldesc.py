"""The CallDescriptor: what every rating and charging operation takes (SPEC.md B.2).

Field names follow CGRateS so ``from_json`` reads a Responder.* request as is; times are
epoch nanoseconds with the zone they were written in, durations integer nanoseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from decimal import Decimal
from typing import Any

from . import money
from .errors import ServerError
from .spans import Increment, MonetaryInfo, UnitInfo
from .timeutil import (
    ZERO_TIME_NS,
    TimeFormatError,
    format_time,
    parse_api_time,
    parse_duration_ns,
    parse_rfc3339,
)

META_OUT = "*out"
VOICE = "*voice"


@dataclass
class CallDescriptor:
    """A call (or a stretch of one) to rate or charge."""

    Category: str = ""
    Tenant: str = ""
    Subject: str = ""
    Account: str = ""
    Destination: str = ""
    TimeStart: int = ZERO_TIME_NS
    TimeEnd: int = ZERO_TIME_NS
    LoopIndex: Decimal = money.ZERO
    DurationIndex: int = 0
    FallbackSubject: str = ""
    Increments: list[Increment] = field(default_factory=list)
    ToR: str = ""
    ExtraFields: dict[str, str] = field(default_factory=dict)
    MaxRate: Decimal = money.ZERO
    MaxRateUnit: int = 0
    MaxCostSoFar: Decimal = money.ZERO
    CgrID: str = ""
    RunID: str = ""
    ForceDuration: bool = False
    PerformRounding: bool = False
    DryRun: bool = False
    DenyNegativeAccount: bool = False
    Direction: str = META_OUT
    tz: tzinfo = UTC

    @property
    def duration(self) -> int:
        """TimeEnd - TimeStart in ns."""
        return self.TimeEnd - self.TimeStart

    @property
    def account_key(self) -> str:
        """``tenant:account`` of the account charged (Account, else Subject)."""
        return f"{self.Tenant}:{self.Account or self.Subject}"

    @property
    def tor(self) -> str:
        """ToR with CGRateS's default."""
        return self.ToR or VOICE

    def copy(self, **changes: Any) -> CallDescriptor:
        """A shallow copy with some fields replaced (field names are not re-validated)."""
        new = object.__new__(CallDescriptor)
        new.__dict__.update(self.__dict__)
        new.__dict__.update(changes)
        return new

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CallDescriptor:
        """Read a CallDescriptor JSON object; bad values raise ServerError naming the field."""
        if not isinstance(data, dict):
            raise ServerError("CallDescriptor must be a JSON object")
        cd = cls()
        try:
            _read_into(cd, data)
        except (ValueError, TypeError, KeyError, TimeFormatError) as exc:
            raise ServerError(str(exc)) from None
        return cd

    @classmethod
    def from_usage(cls, data: dict[str, Any], *, now_ns: int, tz: tzinfo = UTC) -> CallDescriptor:
        """A call from API usage arguments: APIerSv1.GetCost's {Tenant, Category, Subject,
        AnswerTime, Destination, Usage} or a UsageRecord {ToR, RequestType, Tenant, Category,
        Account, Subject, Destination, SetupTime, AnswerTime, Usage}.

        Times are API times ("*now", RFC3339, "2006-01-02 15:04:05", unix...); Usage is a
        duration string ("2m10s"; a bare number is nanoseconds) or integer nanoseconds. The
        call starts at AnswerTime, else SetupTime, else now.
        """
        if not isinstance(data, dict):
            raise ServerError("the arguments must be a JSON object")
        try:
            return _from_usage(data, now_ns, tz)
        except (ValueError, TypeError, TimeFormatError) as exc:
            raise ServerError(str(exc)) from None

    def to_json(self) -> dict[str, Any]:
        """The CallDescriptor JSON shape."""
        return {
            "Category": self.Category, "Tenant": self.Tenant, "Subject": self.Subject,
            "Account": self.Account, "Destination": self.Destination,
            "TimeStart": format_time(self.TimeStart, self.tz),
            "TimeEnd": format_time(self.TimeEnd, self.tz),
            "LoopIndex": money.normal(self.LoopIndex), "DurationIndex": self.DurationIndex,
            "FallbackSubject": self.FallbackSubject, "RatingInfos": None,
            "Increments": [i.to_json() for i in self.Increments] or None, "ToR": self.ToR,
            "ExtraFields": self.ExtraFields or None, "MaxRate": money.normal(self.MaxRate),
            "MaxRateUnit": self.MaxRateUnit, "MaxCostSoFar": money.normal(self.MaxCostSoFar),
            "CgrID": self.CgrID, "RunID": self.RunID, "ForceDuration": self.ForceDuration,
            "PerformRounding": self.PerformRounding, "DryRun": self.DryRun,
            "DenyNegativeAccount": self.DenyNegativeAccount, "Direction": self.Direction,
        }


def _from_usage(data: dict[str, Any], now_ns: int, tz: tzinfo) -> CallDescriptor:
    cd = CallDescriptor(tz=tz)
    for name in ("Tenant", "Category", "Subject", "Account", "Destination", "ToR"):
        value = data.get(name)
        if value is not None:
            setattr(cd, name, _text(name, value))
    start: int | None = None
    for name in ("AnswerTime", "SetupTime"):
        value = data.get(name)
        if value not in (None, "") and start is None:
            start, cd.tz = parse_api_time(_text(name, value), now_ns, tz)
    cd.TimeStart = now_ns if start is None else start
    usage = _duration("Usage", data.get("Usage") or 0)
    cd.TimeEnd = cd.TimeStart + usage
    cd.DurationIndex = usage
    extra = data.get("ExtraFields")
    if extra:
        cd.ExtraFields = {str(k): str(v) for k, v in dict(extra).items()}
    return cd


_STR_FIELDS = ("Category", "Tenant", "Subject", "Account", "Destination", "FallbackSubject",
               "ToR", "CgrID", "RunID", "Direction")
_BOOL_FIELDS = ("ForceDuration", "PerformRounding", "DryRun", "DenyNegativeAccount")


def _read_into(cd: CallDescriptor, data: dict[str, Any]) -> None:
    for name in _STR_FIELDS:
        value = data.get(name)
        if value is not None:
            if not isinstance(value, str):
                raise ValueError(f"{name} must be a string")
            setattr(cd, name, value)
    for name in _BOOL_FIELDS:
        value = data.get(name)
        if value is not None:
            if not isinstance(value, bool):
                raise ValueError(f"{name} must be true or false")
            setattr(cd, name, value)
    if not cd.Direction:
        cd.Direction = META_OUT
    for name in ("TimeStart", "TimeEnd"):
        value = data.get(name)
        if value not in (None, ""):
            ns, tz = parse_rfc3339(_text(name, value))
            setattr(cd, name, ns)
            if name == "TimeStart":
                cd.tz = tz
    for name in ("DurationIndex", "MaxRateUnit"):
        value = data.get(name)
        if value is not None:
            setattr(cd, name, _duration(name, value))
    for name in ("LoopIndex", "MaxRate", "MaxCostSoFar"):
        value = data.get(name)
        if value is not None:
            setattr(cd, name, money.to_decimal(value))
    extra = data.get("ExtraFields")
    if extra:
        cd.ExtraFields = {str(k): str(v) for k, v in dict(extra).items()}
    cd.Increments = [increment_from_json(i) for i in data.get("Increments") or ()]


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string")
    return value


def _duration(name: str, value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a duration")
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal) and value == int(value):
        return int(value)
    if isinstance(value, str):
        return parse_duration_ns(value)
    raise ValueError(f"{name} must be a duration")


def increment_from_json(data: dict[str, Any]) -> Increment:
    """An Increment from its JSON shape (Responder CallCost / CallDescriptor.Increments)."""
    if not isinstance(data, dict):
        raise ValueError("an increment must be a JSON object")
    info = data.get("BalanceInfo") or {}
    unit_json = info.get("Unit")
    money_json = info.get("Monetary")
    unit = None
    if unit_json:
        unit = UnitInfo(str(unit_json.get("UUID", "")), str(unit_json.get("ID", "")),
                        money.to_decimal(unit_json.get("Value") or 0),
                        str(unit_json.get("DestinationID", "")),
                        money.to_decimal(unit_json.get("Consumed") or 0),
                        str(unit_json.get("ToR", "")))
    monetary = None
    if money_json:
        monetary = MonetaryInfo(str(money_json.get("UUID", "")), str(money_json.get("ID", "")),
                                money.to_decimal(money_json.get("Value") or 0))
    count = int(data.get("CompressFactor") or 1)
    return Increment(_duration("Duration", data.get("Duration") or 0),
                     money.to_decimal(data.get("Cost") or 0), max(count, 1), unit, monetary,
                     str(info.get("AccountID", "")))
