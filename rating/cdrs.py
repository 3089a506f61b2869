"""CDRs: one record per call leg and run, or per ``*cdrlog``'d action (CGRateS v0.10 CDR).

A ``Cdr`` carries CGRateS's CDR fields with exact types: times and ``OrderTime`` as epoch
nanoseconds, ``Usage`` as nanoseconds, ``Cost`` as Decimal (-1 = not rated), and
``CostDetails`` as the EventCost JSON value. Three shapes leave it:

- ``to_doc()``: what the store keeps (``CostDetails`` as exact JSON text, money as text,
  plus ``OrderTime``, the store's time index);
- ``to_json()``: the CDR struct as CGRateS marshals it (``CDRsV1.GetCDRs``, exports);
- ``to_external()``: ``ExternalCDR`` as ``APIerSv1/2.GetCDRs`` reply it (times RFC3339 to
  the second, ``Usage`` as text: ``"1m7s"`` for ``*voice``, nanoseconds otherwise,
  ``CostDetails`` as JSON text).

``CGRID`` is ``sha1(OriginID + OriginHost)`` as in CGRateS. ``OrderID`` equals
``OrderTime`` (unix ns when the CDR was made): CGRateS's StorDB row id has no
equivalent in a shared store, and a time-ordered id sorts the same way.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from . import money
from .timeutil import SECOND, format_duration, format_time
from .triggers import time_from_json

VOICE = "*voice"
DEFAULT_RUN = "*default"
NOT_RATED = Decimal(-1)
#: Source of call CDRs written by the FreeSWITCH agent (CGRateS names its agent so).
SOURCE_FREESWITCH = "FreeSWITCHAgent"

_encode_str: Callable[[str], str] = json.encoder.encode_basestring


def cgr_id(origin_id: str, origin_host: str) -> str:
    """CGRateS's CGRID: hex SHA-1 of OriginID followed by OriginHost."""
    return hashlib.sha1((origin_id + origin_host).encode()).hexdigest()


@dataclass
class Cdr:
    """One CDR; field names and meanings are CGRateS v0.10's."""

    CGRID: str
    RunID: str = DEFAULT_RUN
    OrderID: int = 0
    OriginHost: str = ""
    Source: str = ""
    OriginID: str = ""
    ToR: str = VOICE
    RequestType: str = ""
    Tenant: str = ""
    Category: str = ""
    Account: str = ""
    Subject: str = ""
    Destination: str = ""
    SetupTime: int | None = None  # epoch ns; None = Go's zero time
    AnswerTime: int | None = None
    Usage: int = 0  # ns (or units for non-voice ToRs)
    ExtraFields: dict[str, str] = field(default_factory=dict)
    ExtraInfo: str = ""
    Partial: bool = False
    PreRated: bool = False
    CostSource: str = ""
    Cost: Decimal = NOT_RATED
    CostDetails: Any = None  # the EventCost JSON value (Decimal numbers), or None
    OrderTime: int = 0  # unix ns when made; the store's index

    @property
    def account_key(self) -> str:
        """``tenant:account``, as the store indexes CDRs."""
        return f"{self.Tenant}:{self.Account}"

    # -- shapes ---------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """The CDR struct's JSON (times RFC3339Nano, Usage ns, Decimal numbers)."""
        return {
            "CGRID": self.CGRID, "RunID": self.RunID, "OrderID": self.OrderID,
            "OriginHost": self.OriginHost, "Source": self.Source, "OriginID": self.OriginID,
            "ToR": self.ToR, "RequestType": self.RequestType, "Tenant": self.Tenant,
            "Category": self.Category, "Account": self.Account, "Subject": self.Subject,
            "Destination": self.Destination, "SetupTime": format_time(self.SetupTime),
            "AnswerTime": format_time(self.AnswerTime), "Usage": self.Usage,
            "ExtraFields": dict(self.ExtraFields), "ExtraInfo": self.ExtraInfo,
            "Partial": self.Partial, "PreRated": self.PreRated, "CostSource": self.CostSource,
            "Cost": money.normal(self.Cost), "CostDetails": self.CostDetails,
        }

    def to_external(self) -> dict[str, Any]:
        """ExternalCDR (``APIerSv1.GetCDRs``/``APIerSv2.GetCDRs``)."""
        usage = format_duration(self.Usage) if self.ToR == VOICE else str(self.Usage)
        return {
            "CGRID": self.CGRID, "RunID": self.RunID, "OrderID": self.OrderID,
            "OriginHost": self.OriginHost, "Source": self.Source, "OriginID": self.OriginID,
            "ToR": self.ToR, "RequestType": self.RequestType, "Tenant": self.Tenant,
            "Category": self.Category, "Account": self.Account, "Subject": self.Subject,
            "Destination": self.Destination, "SetupTime": format_seconds(self.SetupTime),
            "AnswerTime": format_seconds(self.AnswerTime), "Usage": usage,
            "ExtraFields": dict(self.ExtraFields), "CostSource": self.CostSource,
            "Cost": money.normal(self.Cost), "CostDetails": json_text(self.CostDetails),
            "ExtraInfo": self.ExtraInfo, "PreRated": self.PreRated,
        }

    def to_doc(self) -> dict[str, Any]:
        """The stored document: the struct's JSON with exact text for money and details."""
        doc = self.to_json()
        doc["Cost"] = money.to_str(self.Cost)
        doc["CostDetails"] = None if self.CostDetails is None else json_text(self.CostDetails)
        doc["OrderTime"] = self.OrderTime
        return doc

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Cdr:
        """Read a stored document (or the struct's JSON, CostDetails as value or text)."""
        details = doc.get("CostDetails")
        if isinstance(details, str):
            details = json.loads(details, parse_float=Decimal)
        return cls(
            CGRID=str(doc["CGRID"]), RunID=str(doc.get("RunID", DEFAULT_RUN)),
            OrderID=int(doc.get("OrderID") or 0), OriginHost=str(doc.get("OriginHost", "")),
            Source=str(doc.get("Source", "")), OriginID=str(doc.get("OriginID", "")),
            ToR=str(doc.get("ToR", VOICE)), RequestType=str(doc.get("RequestType", "")),
            Tenant=str(doc.get("Tenant", "")), Category=str(doc.get("Category", "")),
            Account=str(doc.get("Account", "")), Subject=str(doc.get("Subject", "")),
            Destination=str(doc.get("Destination", "")),
            SetupTime=time_from_json(doc.get("SetupTime")),
            AnswerTime=time_from_json(doc.get("AnswerTime")),
            Usage=int(doc.get("Usage") or 0),
            ExtraFields={str(k): str(v) for k, v in (doc.get("ExtraFields") or {}).items()},
            ExtraInfo=str(doc.get("ExtraInfo", "")), Partial=bool(doc.get("Partial")),
            PreRated=bool(doc.get("PreRated")), CostSource=str(doc.get("CostSource", "")),
            Cost=money.to_decimal(doc.get("Cost", "-1")), CostDetails=details,
            OrderTime=int(doc.get("OrderTime") or 0))


def format_seconds(ns: int | None) -> str:
    """Go's ``Format(time.RFC3339)``: whole seconds, ``Z`` for UTC."""
    if ns is None:
        return format_time(None)
    return format_time(ns - ns % SECOND)


def json_text(value: Any) -> str:
    """Compact JSON text with Decimal values written as exact numbers (``null`` for None)."""
    parts: list[str] = []
    _write(value, parts.append)
    return "".join(parts)


def _write(value: Any, out: Callable[[str], Any]) -> None:
    if value is None or isinstance(value, bool):
        out({None: "null", True: "true", False: "false"}[value])
    elif isinstance(value, str):
        out(_encode_str(value))
    elif isinstance(value, int):
        out(str(value))
    elif isinstance(value, Decimal):
        out(money.to_str(value))
    elif isinstance(value, dict):
        out("{")
        for i, (k, v) in enumerate(value.items()):
            out(("," if i else "") + _encode_str(str(k)) + ":")
            _write(v, out)
        out("}")
    elif isinstance(value, list | tuple):
        out("[")
        for i, v in enumerate(value):
            if i:
                out(",")
            _write(v, out)
        out("]")
    else:
        raise TypeError(f"not a JSON value: {type(value).__name__}")


# -- builders ---------------------------------------------------------------------------

def call_cdr(*, origin_id: str, origin_host: str, order_time: int, tenant: str, account: str,
             destination: str, setup_time: int | None, answer_time: int | None, usage: int,
             request_type: str, category: str = "call", subject: str = "", tor: str = VOICE,
             source: str = SOURCE_FREESWITCH, run_id: str = DEFAULT_RUN,
             extra_fields: Mapping[str, str] | None = None, cost: Decimal = NOT_RATED,
             cost_details: Any = None, cost_source: str = "", extra_info: str = "",
             pre_rated: bool = False, partial: bool = False) -> Cdr:
    """The CDR of one call leg at settlement (times epoch ns, usage ns).

    ``cost_details`` is the EventCost JSON value (``rating.eventcost.event_cost`` of the
    session's CallCost); ``cost`` stays -1 when the call was not rated. Subject defaults
    to the account, as CGRateS does.
    """
    if usage < 0:
        raise ValueError(f"usage must not be negative, not {usage}")
    return Cdr(
        CGRID=cgr_id(origin_id, origin_host), RunID=run_id, OrderID=order_time,
        OriginHost=origin_host, Source=source, OriginID=origin_id, ToR=tor or VOICE,
        RequestType=request_type, Tenant=tenant, Category=category, Account=account,
        Subject=subject or account, Destination=destination, SetupTime=setup_time,
        AnswerTime=answer_time, Usage=usage, ExtraFields=dict(extra_fields or {}),
        ExtraInfo=extra_info, Partial=partial, PreRated=pre_rated, CostSource=cost_source,
        Cost=cost, CostDetails=cost_details, OrderTime=order_time)
