"""Action ``Filter`` conditions: CGRateS's structmatcher JSON over a balance's fields.

``{"*and":[{"Value":{"*lt":0}},{"ID":{"*eq":"*default"}}]}``: an object's keys must all
hold; a field key maps to ``{"*op": value}`` or to a value (``*eq``); ``*and``/``*or`` take
a list of conditions and ``*not`` a condition (or a list, all of which must fail).
Operators: ``*eq *gt *gte *lt *lte`` (numbers compare as numbers, times as times),
``*exp`` (true: the balance has expired), ``*has`` (a map field holds every listed key).
Field names are the balance's (``Value``, ``ID`` - also ``Id`` -, ``Uuid``, ``Type``,
``Weight``, ``ExpirationDate``, ``DestinationIDs``, ``Categories``, ``SharedGroups``,
``TimingIDs``, ``RatingSubject``, ``Disabled``, ``Blocker``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from . import money
from .balances import Balance
from .errors import ServerError
from .timeutil import TimeFormatError, parse_api_time

_COMPARE = ("*eq", "*gt", "*gte", "*lt", "*lte")
_GROUPS = ("*and", "*or", "*not")
_ALIASES = {"Id": "ID", "UUID": "Uuid", "DestinationIds": "DestinationIDs",
            "TimingIds": "TimingIDs"}
_FIELDS = frozenset(("Type", "Uuid", "ID", "Value", "ExpirationDate", "Weight",
                     "DestinationIDs", "RatingSubject", "Categories", "SharedGroups",
                     "TimingIDs", "Disabled", "Blocker"))


def parse_condition(text: str) -> dict[str, Any]:
    """The condition object of a Filter text; ServerError when it is not one."""
    try:
        cond = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise ServerError(f"action Filter is not JSON: {exc.msg}") from None
    _check(cond)
    return dict(cond)


def _check(cond: Any) -> None:
    if not isinstance(cond, dict):
        raise ServerError(f"action Filter: {cond!r} is not a condition object")
    for key, value in cond.items():
        if key in _GROUPS:
            items = value if isinstance(value, list) else [value]
            if key != "*not" and not isinstance(value, list):
                raise ServerError(f"action Filter: {key} needs a list of conditions")
            for item in items:
                _check(item)
        elif _ALIASES.get(key, key) not in _FIELDS:
            raise ServerError(f"action Filter: unknown balance field {key!r}")
        elif isinstance(value, dict):
            for op in value:
                if op not in (*_COMPARE, "*exp", "*has"):
                    raise ServerError(f"action Filter: unknown operator {op!r}")


def balance_fields(balance_type: str, b: Balance) -> dict[str, Any]:
    """The fields a condition can name, for one balance."""
    return {"Type": balance_type, "Uuid": b.Uuid, "ID": b.ID, "Value": b.Value,
            "ExpirationDate": b.ExpirationDate, "Weight": b.Weight,
            "DestinationIDs": b.DestinationIDs or {}, "RatingSubject": b.RatingSubject,
            "Categories": b.Categories or {}, "SharedGroups": b.SharedGroups or {},
            "TimingIDs": b.TimingIDs or {}, "Disabled": b.Disabled, "Blocker": b.Blocker}


def matches(cond: Mapping[str, Any], fields: Mapping[str, Any], now_ns: int) -> bool:
    """Whether the balance fields satisfy the condition."""
    for key, value in cond.items():
        if key == "*and" and not all(matches(c, fields, now_ns) for c in value):
            return False
        if key == "*or" and not any(matches(c, fields, now_ns) for c in value):
            return False
        if key == "*not":
            items = value if isinstance(value, list) else [value]
            if any(matches(c, fields, now_ns) for c in items):
                return False
        if key in _GROUPS:
            continue
        ops = value if isinstance(value, dict) else {"*eq": value}
        actual = fields[_ALIASES.get(key, key)]
        if not all(_holds(op, actual, want, now_ns) for op, want in ops.items()):
            return False
    return True


def _holds(op: str, actual: Any, want: Any, now_ns: int) -> bool:
    if op == "*exp":
        expired = actual is not None and actual < now_ns
        return expired == bool(want)
    if op == "*has":
        keys = want if isinstance(want, list) else [want]
        return isinstance(actual, dict) and all(actual.get(str(k)) for k in keys)
    try:
        left, right = _comparable(actual, want, now_ns)
    except (ValueError, TimeFormatError):
        return False
    if op == "*eq":
        return bool(left == right)
    if isinstance(left, bool | dict) or isinstance(right, bool | dict):
        return False
    if op == "*gt":
        return bool(left > right)
    if op == "*gte":
        return bool(left >= right)
    if op == "*lt":
        return bool(left < right)
    return bool(left <= right)


def _comparable(actual: Any, want: Any, now_ns: int) -> tuple[Any, Any]:
    if isinstance(actual, bool):
        return actual, want
    if isinstance(actual, Decimal):
        return actual, money.to_decimal(want)
    if actual is None or isinstance(actual, int):  # a time (ExpirationDate)
        ns = parse_api_time(str(want), now_ns)[0]
        return (actual or 0), (ns or 0)
    if isinstance(actual, dict):
        return actual, want
    return str(actual), str(want)
