"""Validated API arguments → the engine's CallDescriptor.

The schemas (``schemas_calls``) hand over typed values: ``datetime`` times, integer
nanoseconds, ``Decimal`` money, nested ``Args`` with None for what was not given. The
Responder methods send a CallDescriptor; APIerSv1's GetCost, GetMaxUsage and DebitUsage
send flat fields whose times CGRateS parses itself (``"*now"``, ``"+1h"``, SQL layout...),
as ``UsageRecord.AsCallDescriptor`` and ``APIerSv1.GetCost`` do.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any

from rating.calldesc import CallDescriptor, increment_from_json
from rating.errors import ServerError
from rating.timeutil import ZERO_TIME_NS, TimeFormatError, parse_api_time, to_ns

_STR_FIELDS = ("Category", "Tenant", "Subject", "Account", "Destination", "FallbackSubject",
               "ToR", "CgrID", "RunID")
_BOOL_FIELDS = ("ForceDuration", "PerformRounding", "DryRun", "DenyNegativeAccount")
_MONEY_FIELDS = ("LoopIndex", "MaxRate", "MaxCostSoFar")
_DURATION_FIELDS = ("DurationIndex", "MaxRateUnit")


def from_args(args: Mapping[str, Any]) -> CallDescriptor:
    """A CallDescriptor from the validated Responder argument (schemas_calls.CALL_DESCRIPTOR)."""
    cd = CallDescriptor()
    for name in _STR_FIELDS:
        value = args.get(name)
        if value:
            setattr(cd, name, value)
    for name in _BOOL_FIELDS:
        if args.get(name):
            setattr(cd, name, True)
    for name in _MONEY_FIELDS + _DURATION_FIELDS:
        value = args.get(name)
        if value is not None:
            setattr(cd, name, value)
    start: datetime | None = args.get("TimeStart")
    end: datetime | None = args.get("TimeEnd")
    if start is not None:
        cd.TimeStart = to_ns(start)
        cd.tz = start.tzinfo or cd.tz
    if end is not None:
        cd.TimeEnd = to_ns(end)
    extra = args.get("ExtraFields")
    if extra:
        cd.ExtraFields = {str(k): "" if v is None else str(v) for k, v in extra.items()}
    increments = args.get("Increments") or ()
    try:
        cd.Increments = [increment_from_json(_given(inc)) for inc in increments if inc]
    except (ValueError, TypeError, ArithmeticError) as exc:
        raise ServerError(f"Increments: {exc}") from None
    return cd


def _given(value: Any) -> Any:
    """The value without its absent (None) fields, nested objects included."""
    if isinstance(value, Mapping):
        return {k: _given(v) for k, v in value.items() if v is not None}
    return value


def api_time(text: str, now_ns: int, tz: tzinfo, field: str) -> int:
    """An API time string as epoch ns (empty = Go's zero time); SERVER_ERROR when unreadable."""
    try:
        ns, _ = parse_api_time(text, now_ns, tz)
    except TimeFormatError as exc:
        raise ServerError(f"{field}: {exc}") from None
    return ZERO_TIME_NS if ns is None else ns


def for_api_cost(tenant: str, category: str, subject: str, answer_time: str, destination: str,
                 usage: int, now_ns: int, tz: tzinfo) -> CallDescriptor:
    """APIerSv1.GetCost's CallDescriptor: from AnswerTime for Usage, DurationIndex = Usage."""
    start = api_time(answer_time, now_ns, tz, "AnswerTime")
    return CallDescriptor(Category=category, Tenant=tenant, Subject=subject,
                          Destination=destination, TimeStart=start, TimeEnd=start + usage,
                          DurationIndex=usage, tz=tz)


def from_usage_record(record: Mapping[str, Any], *, now_ns: int, tz: tzinfo,
                      deny_negative: bool = False) -> CallDescriptor:
    """``UsageRecord.AsCallDescriptor`` with APIerSv1's defaults (ToR *voice, times *now).

    Tenant and Category are left empty when not given: the engine fills its defaults.
    """
    account = record.get("Account") or ""
    start_text = record.get("AnswerTime") or record.get("SetupTime") or "*now"
    start = api_time(start_text, now_ns, tz, "AnswerTime")
    usage: int = record.get("Usage") or 0
    extra = record.get("ExtraFields") or {}
    cd = CallDescriptor(
        Category=record.get("Category") or "", Tenant=record.get("Tenant") or "",
        Subject=record.get("Subject") or account, Account=account,
        Destination=record.get("Destination") or "", TimeStart=start, TimeEnd=start + usage,
        ToR=record.get("ToR") or "*voice", DenyNegativeAccount=deny_negative,
        ExtraFields={str(k): "" if v is None else str(v) for k, v in extra.items()}, tz=tz)
    cd.CgrID = _usage_record_id(cd, record.get("RequestType") or "")
    return cd


def _usage_record_id(cd: CallDescriptor, request_type: str) -> str:
    """A stable id for the record (CGRateS's UsageRecord.GetId is a digest of its fields)."""
    text = "|".join((cd.ToR, request_type, cd.Tenant, cd.Category, cd.Account, cd.Subject,
                     cd.Destination, str(cd.TimeStart), str(cd.duration)))
    return hashlib.sha1(text.encode()).hexdigest()

