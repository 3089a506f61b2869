"""Action triggers from the API's field maps (SetAccountActionTriggers, SetActionTrigger,
AddTriggeredAction): CGRateS's ``UpdateActionTrigger``.

A trigger is updated when it belongs to the request's GroupID (and UniqueID, when given);
only the fields present in the map change. A trigger without an ID is new: it needs
GroupID, ThresholdType and ThresholdValue. Times read like API times (``*now``, RFC3339,
``+1h``...), MinSleep like CGRateS durations (a bare number is nanoseconds).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, tzinfo
from typing import Any

from . import money
from .errors import MandatoryIEMissing, ServerError
from .timeutil import ZERO_TIME_NS, TimeFormatError, parse_api_time, parse_duration_ns, to_ns
from .tpactions import BALANCE_TYPES, THRESHOLD_TYPES
from .triggers import ActionTrigger, BalanceFilter


def _time(value: Any, now_ns: int, tz: tzinfo) -> int | None:
    if isinstance(value, datetime):
        return to_ns(value)
    try:
        return parse_api_time(str(value or ""), now_ns, tz)[0]
    except TimeFormatError as exc:
        raise ServerError(str(exc)) from None


def _ids(value: Any) -> dict[str, bool]:
    items = value.split(";") if isinstance(value, str) else list(value or ())
    return {str(i).lstrip("!"): not str(i).startswith("!") for i in items if str(i)}


def _bf(at: ActionTrigger) -> BalanceFilter:
    if at.Balance is None:
        at.Balance = BalanceFilter()
    return at.Balance


#: field -> how it changes the trigger: fn(trigger, value, now_ns, tz)
Setter = Callable[[ActionTrigger, Any, int, tzinfo], None]


def _set(name: str, convert: Callable[[Any], Any]) -> Setter:
    return lambda at, v, now, tz: setattr(at, name, convert(v))


def _set_balance(name: str, convert: Callable[[Any], Any]) -> Setter:
    return lambda at, v, now, tz: setattr(_bf(at), name, convert(v))


def _threshold_type(value: Any) -> str:
    if str(value) not in THRESHOLD_TYPES:
        raise ServerError(f"unknown ThresholdType {value!r}")
    return str(value)


def _balance_type(value: Any) -> str:
    if str(value) not in BALANCE_TYPES:
        raise ServerError(f"unknown BalanceType {value!r}")
    return str(value)


def _duration(value: Any) -> int:
    try:
        return parse_duration_ns(value if isinstance(value, int) else str(value))
    except TimeFormatError as exc:
        raise ServerError(str(exc)) from None


def _number(value: Any) -> Any:
    try:
        return money.to_decimal(value)
    except ValueError as exc:
        raise ServerError(str(exc)) from None


SETTERS: dict[str, Setter] = {
    "ThresholdType": _set("ThresholdType", _threshold_type),
    "ThresholdValue": _set("ThresholdValue", _number),
    "Recurrent": _set("Recurrent", bool),
    "Executed": _set("Executed", bool),
    "MinSleep": _set("MinSleep", _duration),
    "ExpirationDate": lambda at, v, now, tz: setattr(at, "ExpirationDate", _time(v, now, tz)),
    "ActivationDate": lambda at, v, now, tz: setattr(at, "ActivationDate", _time(v, now, tz)),
    "BalanceID": _set_balance("ID", str),
    "BalanceType": _set_balance("Type", _balance_type),
    "BalanceDestinationIds": _set_balance("DestinationIDs", _ids),
    "BalanceWeight": _set_balance("Weight", _number),
    "BalanceExpirationDate": lambda at, v, now, tz: setattr(
        _bf(at), "ExpirationDate", _time(v, now, tz) or ZERO_TIME_NS),
    "BalanceTimingTags": _set_balance("TimingIDs", _ids),
    "BalanceRatingSubject": _set_balance("RatingSubject", str),
    "BalanceCategories": _set_balance("Categories", _ids),
    "BalanceSharedGroups": _set_balance("SharedGroups", _ids),
    "BalanceBlocker": _set_balance("Blocker", bool),
    "BalanceDisabled": _set_balance("Disabled", bool),
    "MinQueuedItems": _set("MinQueuedItems", int),
    "ActionsID": _set("ActionsID", str),
    "Weight": _set("Weight", _number),
}
ALIASES = {"BalanceId": "BalanceID", "ActionsId": "ActionsID",
           "BalanceDestinationIDs": "BalanceDestinationIds"}


def update_trigger(at: ActionTrigger, group_id: str, unique_id: str,
                   fields: Mapping[str, Any], now_ns: int, tz: tzinfo,
                   new_id: Callable[[], str]) -> bool:
    """Apply the field map when the trigger is the request's; True when it was."""
    fields = {ALIASES.get(k, k): v for k, v in fields.items() if v is not None}
    unknown = sorted(set(fields) - set(SETTERS))
    if unknown:
        raise ServerError(f"unknown ActionTrigger fields {unknown}")
    if not at.ID:  # a new trigger
        if not group_id:
            raise MandatoryIEMissing(["GroupID"])
        missing = [k for k in ("ThresholdType", "ThresholdValue") if k not in fields]
        if missing:
            raise MandatoryIEMissing(missing)
        at.ID = group_id
        at.UniqueID = unique_id or new_id()
    if (group_id and group_id != at.ID) or (unique_id and unique_id != at.UniqueID):
        return False
    for name, value in fields.items():
        SETTERS[name](at, value, now_ns, tz)
    return True
