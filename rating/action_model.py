"""Actions as stored and as the API writes them (SPEC.md D.1).

An action set is the document ``actions/<ID>`` = ``{"ID", "Actions": [Action JSON]}`` (the
shape the tariff-plan loader writes). ``action_from_api`` reads one ``TPAction`` of
``APIerSv1/2.SetActions`` (v1 gives ``Units``/``BalanceWeight`` as numbers, v2 as text)
the way CGRateS does: every balance field the request names becomes a *set* filter
field, even when empty (so ``RatingSubject: ""`` only matches balances without one);
``ExpirationString`` is kept as text and resolved when the action runs.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from decimal import Decimal
from typing import Any

from . import money
from .errors import MandatoryIEMissing, ServerError
from .timeutil import (
    ZERO_TIME_NS,
    TimeFormatError,
    add_date,
    end_of_month,
    parse_api_time,
    parse_duration_ns,
    parse_go_duration,
    to_datetime,
    to_ns,
)
from .triggers import BalanceFilter, string_map_from_json

VOICE = "*voice"
UNLIMITED = "*unlimited"


@dataclass
class Action:
    """One action of a set; ``Balance`` is the filter (and template) it works with."""

    Id: str
    ActionType: str
    ExtraParameters: str = ""
    Filter: str = ""
    ExpirationString: str = ""
    Weight: Decimal = money.ZERO
    Balance: BalanceFilter = field(default_factory=BalanceFilter)

    def to_json(self) -> dict[str, Any]:
        """The engine.Action JSON (``APIerSv2.GetActions``), Decimal numbers."""
        return {"Id": self.Id, "ActionType": self.ActionType,
                "ExtraParameters": self.ExtraParameters, "Filter": self.Filter,
                "ExpirationString": self.ExpirationString, "Weight": money.normal(self.Weight),
                "Balance": self.Balance.to_json()}

    def to_doc(self) -> dict[str, Any]:
        """The stored shape (Decimal values as text)."""
        doc: dict[str, Any] = money.jsonable(self.to_json())
        return doc

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Action:
        """Read the stored/JSON shape."""
        return cls(str(data.get("Id", "")), str(data.get("ActionType", "")),
                   str(data.get("ExtraParameters") or ""), str(data.get("Filter") or ""),
                   str(data.get("ExpirationString") or ""),
                   money.to_decimal(data.get("Weight") or 0),
                   BalanceFilter.from_json(data.get("Balance")) or BalanceFilter())

    def clone(self) -> Action:
        """A copy whose filter can be changed (expiry resolved) without touching this one."""
        return copy.deepcopy(self)


def sort_actions(actions: list[Action]) -> list[Action]:
    """Weight descending; equal weights keep their order."""
    return sorted(actions, key=lambda a: -a.Weight)


def actions_from_doc(doc: Mapping[str, Any]) -> list[Action]:
    """The actions of a stored ``actions/<ID>`` document."""
    return [Action.from_json(a) for a in doc.get("Actions") or ()]


# -- the API's TPAction ---------------------------------------------------------------------

def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return money.to_str(value)
    return str(value)


def _units(balance_type: str, units: Any, actions_id: str) -> dict[str, Any] | None:
    """ValueFormula of Units: numbers as given; v2 text, durations allowed for *voice."""
    if units is None or units == "":
        return None
    try:
        if isinstance(units, str):
            text = units.strip()
            if balance_type == VOICE:
                value = Decimal(parse_duration_ns(text))
            else:
                value = money.to_decimal(text)
        else:
            value = money.to_decimal(units)
    except (ValueError, TimeFormatError):
        raise ServerError(f"action {actions_id}: Units {units!r} is not a number"
                          + (" or duration" if balance_type == VOICE else "")) from None
    return {"Method": "", "Params": None, "Static": money.to_str(value)}


def _bool(value: Any, what: str) -> bool | None:
    text = _text(value).strip().lower()
    if text == "":
        return None
    if text in ("true", "false"):
        return text == "true"
    raise ServerError(f"{what} {value!r} is not true or false")


def _string_map(text: Any) -> dict[str, bool]:
    out: dict[str, bool] = {}
    for item in _text(text).split(";"):
        item = item.strip()
        if item and item != "*any":
            out[item.lstrip("!")] = not item.startswith("!")
    return out


def action_from_api(actions_id: str, a: Mapping[str, Any], now_ns: int, tz: tzinfo) -> Action:
    """One TPAction of SetActions as the stored Action (ServerError on a bad field)."""
    identifier = _text(a.get("Identifier"))
    if not identifier:
        raise MandatoryIEMissing(["Identifier"])
    btype = _text(a.get("BalanceType"))
    weight = a.get("BalanceWeight")
    bf = BalanceFilter(
        Uuid=_text(a.get("BalanceUuid")), ID=_text(a.get("BalanceId")), Type=btype,
        Value=_units(btype, a.get("Units"), actions_id),
        Weight=None if weight in (None, "") else _decimal(weight, "BalanceWeight"),
        DestinationIDs=_string_map(a.get("DestinationIds")),
        RatingSubject=_text(a.get("RatingSubject")),
        SharedGroups=_string_map(a.get("SharedGroups")),
        Categories=_string_map(a.get("Categories")),
        TimingIDs=_string_map(a.get("TimingTags")),
        Blocker=_bool(a.get("BalanceBlocker"), "BalanceBlocker"),
        Disabled=_bool(a.get("BalanceDisabled"), "BalanceDisabled"))
    expiry = _text(a.get("ExpiryTime"))
    if expiry and resolve_expiry(expiry, now_ns, tz) is None:
        raise ServerError(f"action {actions_id}: ExpiryTime {expiry!r} is not a time")
    filter_text = _text(a.get("Filter"))
    if filter_text:
        from .structmatch import parse_condition

        parse_condition(filter_text)
    return Action(actions_id, identifier, _text(a.get("ExtraParameters")), filter_text,
                  expiry, _decimal(a.get("Weight") or 0, "Weight"), bf)


def _decimal(value: Any, what: str) -> Decimal:
    try:
        return money.to_decimal(value)
    except ValueError:
        raise ServerError(f"{what} {value!r} is not a number") from None


def action_to_tp(a: Action) -> dict[str, Any]:
    """``APIerSv1.GetActions``: the TPAction shape with string fields."""
    bf = a.Balance
    value = money.to_str(money.to_decimal((bf.Value or {}).get("Static") or 0))

    def joined(m: dict[str, bool] | None) -> str:
        return ";".join(k if v else "!" + k for k, v in sorted((m or {}).items()))

    return {
        "Identifier": a.ActionType, "BalanceId": bf.ID or "", "BalanceUuid": bf.Uuid or "",
        "BalanceType": bf.Type or "", "Units": value, "ExpiryTime": a.ExpirationString,
        "Filter": a.Filter, "TimingTags": joined(bf.TimingIDs),
        "DestinationIds": joined(bf.DestinationIDs), "RatingSubject": bf.RatingSubject or "",
        "Categories": joined(bf.Categories), "SharedGroups": joined(bf.SharedGroups),
        "BalanceWeight": "" if bf.Weight is None else money.to_str(bf.Weight),
        "ExtraParameters": a.ExtraParameters,
        "BalanceBlocker": "" if bf.Blocker is None else str(bf.Blocker).lower(),
        "BalanceDisabled": "" if bf.Disabled is None else str(bf.Disabled).lower(),
        "Weight": money.normal(a.Weight),
    }


# -- ExpiryTime ------------------------------------------------------------------------------

def resolve_expiry(text: str, now_ns: int, tz: tzinfo) -> int | None:
    """The expiration an ExpiryTime names at `now_ns`: epoch ns, ZERO_TIME_NS for never
    (``*unlimited``), or None when the text is not a time CGRateS reads.

    ``*month_end[+dur]``: last second of this month (+dur); ``*daily``/``*monthly``/
    ``*yearly``: +1 day/month/year; any other ``*mo...`` (``*month``): +1 month, plus the
    duration after ``+``; ``+720h``: now + duration; ``*now``; absolute RFC3339, SQL or
    unix forms.
    """
    s = text.strip()
    if s in ("", UNLIMITED):
        return ZERO_TIME_NS
    now = to_datetime(now_ns, tz)
    try:
        if s.startswith("*month_end"):
            extra = s[len("*month_end"):]
            if extra and not extra.startswith("+"):
                return None
            return to_ns(end_of_month(now)) + (parse_go_duration(extra[1:]) if extra else 0)
        if s.startswith("*mo") and s != "*monthly":
            extra = s.partition("+")[2]
            return to_ns(add_date(now, 0, 1, 0)) + (parse_go_duration(extra) if extra else 0)
        ns = parse_api_time(s, now_ns, tz)[0]
    except TimeFormatError:
        return None
    return ZERO_TIME_NS if ns is None else ns


def string_map(value: Any) -> dict[str, bool] | None:
    """A StringMap from JSON or ``a;!b`` text (None stays None)."""
    if value is None or isinstance(value, dict):
        return string_map_from_json(value)
    return _string_map(value)
