"""JSON text ↔ Python values for the API, with exact numbers.

Numbers with a fraction or exponent become ``Decimal`` (never ``float``) and integers stay
``int``; ``Decimal`` results are written back as exact JSON numbers. Datetimes are written
as RFC3339 the way Go does (``Z`` for UTC, fractional seconds only when not zero). Objects
with a ``to_json()`` method (engine results) are written as what it returns.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from .errors import ParseError

_encode_str: Callable[[str], str] = json.encoder.encode_basestring_ascii

#: Decimals whose magnitude lies in 1e-30..1e30 are written in plain positional notation.
_PLAIN_EXPONENT = 30


class RawJson:
    """JSON text written as it is (an id echoed verbatim)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RawJson) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def __repr__(self) -> str:
        return f"RawJson({self.text!r})"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


_decoder = json.JSONDecoder(parse_float=Decimal, parse_constant=_reject_constant)


def loads(data: bytes | str) -> Any:
    """Parse one JSON value; raise ParseError with a short reason on any defect.

    Callers bound the nesting depth before calling (see framing.py), so the recursive
    parser never reaches Python's recursion limit.
    """
    try:
        text = data.decode("utf-8") if isinstance(data, bytes | bytearray) else data
    except UnicodeDecodeError as exc:
        raise ParseError(f"invalid UTF-8 at byte {exc.start}") from None
    try:
        return _decoder.decode(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"{exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except (ValueError, RecursionError) as exc:  # int digit limit, NaN, Infinity
        raise ParseError(str(exc)) from None
    except ArithmeticError:  # decimal.InvalidOperation: an exponent beyond Decimal's range
        raise ParseError("number out of range") from None


def format_decimal(value: Decimal) -> str:
    """An exact JSON number for a Decimal: trailing zeros dropped, no exponent when small.

    (Decimal.normalize would round to the context's 28 digits: never used here.)
    """
    if not value.is_finite():
        raise ValueError(f"{value} cannot be written as JSON")
    if value.is_zero():
        return "0"
    if not -_PLAIN_EXPONENT <= value.adjusted() <= _PLAIN_EXPONENT:
        return str(value)
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_time(value: datetime) -> str:
    """RFC3339 as Go's time.Time marshals it (RFC3339Nano, trailing zeros trimmed)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    offset = value.utcoffset() or timedelta(0)
    if not offset:
        return text + "Z"
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{text}{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def dumps(value: Any) -> str:
    """Compact JSON text of value (ASCII only, so any transport encoding is safe)."""
    parts: list[str] = []
    _write(value, parts.append)
    return "".join(parts)


def pretty(value: Any, indent: int = 2) -> str:
    """Indented JSON text for people (the console), with the same exact numbers."""
    return _pretty(value, indent, 0)


def _pretty(value: Any, indent: int, level: int) -> str:
    if hasattr(value, "to_json"):
        value = value.to_json()
    pad, inner = " " * (indent * level), " " * (indent * (level + 1))
    if isinstance(value, dict) and value:
        items = [f"{inner}{_encode_str(str(k))}: {_pretty(v, indent, level + 1)}"
                 for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list | tuple) and value:
        items = [f"{inner}{_pretty(v, indent, level + 1)}" for v in value]
        return "[\n" + ",\n".join(items) + f"\n{pad}]"
    return dumps(value)


def _write(value: Any, out: Callable[[str], Any]) -> None:
    if value is None:
        out("null")
    elif value is True:
        out("true")
    elif value is False:
        out("false")
    elif isinstance(value, str):
        out(_encode_str(value))
    elif isinstance(value, int):
        out(int.__repr__(value))
    elif isinstance(value, Decimal):
        out(format_decimal(value))
    elif isinstance(value, dict):
        _write_object(value, out)
    elif isinstance(value, list | tuple):
        _write_array(value, out)
    else:
        _write_other(value, out)


def _write_object(value: dict[Any, Any], out: Callable[[str], Any]) -> None:
    out("{")
    first = True
    for key, item in value.items():
        if not first:
            out(",")
        first = False
        out(_encode_str(key if isinstance(key, str) else str(key)))
        out(":")
        _write(item, out)
    out("}")


def _write_array(value: list[Any] | tuple[Any, ...], out: Callable[[str], Any]) -> None:
    out("[")
    for index, item in enumerate(value):
        if index:
            out(",")
        _write(item, out)
    out("]")


def _write_other(value: Any, out: Callable[[str], Any]) -> None:
    if isinstance(value, RawJson):
        out(value.text)
    elif isinstance(value, datetime):
        out(_encode_str(format_time(value)))
    elif isinstance(value, float):
        # Never on a money path (they are Decimals); kept for stats such as uptime.
        out(json.dumps(value))
    elif hasattr(value, "to_json"):
        _write(value.to_json(), out)
    elif isinstance(value, set | frozenset):
        _write_array(sorted(value), out)
    else:
        raise TypeError(f"{type(value).__name__} is not JSON serialisable")
