"""CGRateS inline filters over session fields, for SessionSv1 (``*string:~*req.Account:1001``).

Supported: ``*string``, ``*notstring``, ``*prefix``, ``*notprefix``, ``*suffix``,
``*notsuffix``, ``*exists``, ``*notexists``, ``*empty``, ``*notempty`` and the numeric
``*gt``, ``*gte``, ``*lt``, ``*lte``. Values are separated by ``;`` (any may match). The
field path may be ``~Account``, ``~*req.Account`` or ``Account``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

_TEXT: dict[str, Callable[[str, str], bool]] = {
    "*string": lambda v, x: v == x,
    "*prefix": lambda v, x: v.startswith(x),
    "*suffix": lambda v, x: v.endswith(x),
}
_NUMERIC: dict[str, Callable[[Decimal, Decimal], bool]] = {
    "*gt": lambda a, b: a > b, "*gte": lambda a, b: a >= b,
    "*lt": lambda a, b: a < b, "*lte": lambda a, b: a <= b,
}
_PRESENCE = ("*exists", "*notexists", "*empty", "*notempty")


class FilterError(ValueError):
    """A filter that cannot be read; the text is CGRateS-like."""


@dataclass(frozen=True)
class Filter:
    kind: str
    path: str
    values: tuple[str, ...]

    def matches(self, fields: Mapping[str, Any]) -> bool:
        present = self.path in fields and fields[self.path] is not None
        value = "" if not present else _text(fields[self.path])
        if self.kind in _PRESENCE:
            return {"*exists": present, "*notexists": not present, "*empty": not value,
                    "*notempty": bool(value)}[self.kind]
        negate = self.kind.startswith("*not")
        base = "*" + self.kind[4:] if negate else self.kind
        if base in _TEXT:
            hit = present and any(_TEXT[base](value, x) for x in self.values)
            return not hit if negate else hit
        number = _number(value)
        return number is not None and any(
            (limit := _number(x)) is not None and _NUMERIC[self.kind](number, limit)
            for x in self.values)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _number(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except (InvalidOperation, ValueError):
        return None


def parse_filter(text: str) -> Filter:
    """One inline filter; FilterError when it is not one."""
    parts = text.split(":", 2)
    if len(parts) < 2 or not parts[0].startswith("*"):
        raise FilterError(f"NOT_IMPLEMENTED:{text}")
    kind, path = parts[0], parts[1]
    known = set(_TEXT) | {"*not" + k[1:] for k in _TEXT} | set(_NUMERIC) | set(_PRESENCE)
    if kind not in known:
        raise FilterError(f"NOT_IMPLEMENTED:{kind}")
    path = path.removeprefix("~").removeprefix("*req.")
    values = tuple(parts[2].split(";")) if len(parts) == 3 else ()
    if kind not in _PRESENCE and not values:
        raise FilterError(f"MANDATORY_IE_MISSING: [Values] in {text}")
    return Filter(kind, path, values)


def matches_all(filters: list[Filter], fields: Mapping[str, Any]) -> bool:
    return all(f.matches(fields) for f in filters)
