"""Declarative parameter schemas: what each method accepts, checked before any handler runs.

A schema converts the decoded JSON argument into typed values (``Decimal`` for numbers,
``int`` nanoseconds for durations, ``datetime`` for times) the way Go's encoding/json fills
a CGRateS struct:

- keys match field names exactly, else case-insensitively (``BalanceId`` fills
  ``BalanceID``); declared aliases accept older names (``ActionTriggersId`` → ``ID``);
- ``null`` means "not given"; unknown keys are ignored;
- a value of the wrong type is an error naming the field;
- after conversion, mandatory fields are checked like CGRateS's MissingStructFields
  (empty string, empty list/map, integer 0, or not given) and reported in the order
  declared: ``MANDATORY_IE_MISSING: [TPid ID]``.

Converted arguments are ``Args`` (a dict with every declared field, None when not given).
Schemas also turn arguments into store documents (``to_doc``: Decimals as strings) and
back into replies with Go's zero values filled in (``render``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from . import values
from .envelope import type_name
from .errors import InvalidParams, mandatory_missing

_SURROGATE = re.compile("[\ud800-\udfff]")
#: Numbers are kept within what Decimal arithmetic at 28 digits handles exactly.
NUMBER_MAX_EXPONENT = 18
NUMBER_MIN_EXPONENT = -24
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
_UNSET = object()


def type_error(path: str, expected: str, value: Any) -> InvalidParams:
    where = f"field {path}" if path else "params"
    return InvalidParams(f"SERVER_ERROR: {where}: expected {expected}, got {type_name(value)}")


def value_error(path: str, message: str) -> InvalidParams:
    where = f"field {path}" if path else "params"
    return InvalidParams(f"SERVER_ERROR: {where}: {message}")


class Args(dict[str, Any]):
    """Validated arguments: every declared field present, None when not given.

    ``aliases`` maps a field to the older name the request used for it, so a handler can
    answer in the request's dialect (see the TP action-trigger methods).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.aliases: dict[str, str] = {}

    @property
    def legacy(self) -> bool:
        """True when the request used an older field name anywhere in this object."""
        return bool(self.aliases)


class Type:
    """A field type: ``convert`` a non-null JSON value, and say when a value is 'missing'."""

    expected = "a value"
    zero: Any = None

    def convert(self, value: Any, path: str) -> Any:
        raise NotImplementedError

    def is_missing(self, value: Any) -> bool:
        return value is None

    def to_doc(self, value: Any) -> Any:
        """A JSON-compatible form for the store (no Decimal, no datetime)."""
        return value

    def render(self, doc: Any, legacy: bool = False) -> Any:
        """The reply value for a stored form (None → the Go zero value).

        legacy: also show fields of the older dialect (Field.legacy).
        """
        return self.zero if doc is None else doc

    def describe(self) -> str:
        return self.expected


class Str(Type):
    expected = "a string"
    zero = ""

    def convert(self, value: Any, path: str) -> str:
        if not isinstance(value, str):
            raise type_error(path, self.expected, value)
        if _SURROGATE.search(value):
            raise value_error(path, "string holds an unpaired UTF-16 surrogate")
        return value

    def is_missing(self, value: Any) -> bool:
        return not value


class Bool(Type):
    expected = "true or false"
    zero = False

    def convert(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            raise type_error(path, self.expected, value)
        return value


class Number(Type):
    """A float64 field of CGRateS: kept exact as Decimal."""

    expected = "a number"
    zero = 0

    def convert(self, value: Any, path: str) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            raise type_error(path, self.expected, value)
        number = Decimal(value)
        if number and not NUMBER_MIN_EXPONENT <= number.adjusted() <= NUMBER_MAX_EXPONENT:
            raise value_error(path, f"number {value} is out of range")
        if number.as_tuple().exponent < NUMBER_MIN_EXPONENT:  # type: ignore[operator]
            raise value_error(path, f"number {value} has too many decimal places")
        return number

    def to_doc(self, value: Any) -> Any:
        return str(value)

    def render(self, doc: Any, legacy: bool = False) -> Any:
        return self.zero if doc is None else Decimal(doc)


class Int(Type):
    """An int/int64 field; integral numbers written with a fraction (1e9, 5.0) are accepted."""

    expected = "a whole number"
    zero = 0

    def convert(self, value: Any, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            raise type_error(path, self.expected, value)
        if isinstance(value, Decimal):
            try:
                if value != value.to_integral_value() or abs(value.adjusted()) > 19:
                    raise type_error(path, self.expected, value)
            except InvalidOperation:
                raise type_error(path, self.expected, value) from None
            value = int(value)
        if not INT64_MIN <= value <= INT64_MAX:
            raise value_error(path, f"number {value} is out of range")
        return int(value)

    def is_missing(self, value: Any) -> bool:
        return not value


class Duration(Int):
    """Go time.Duration: integer nanoseconds; duration text ("10s", "1m30s") also accepted."""

    expected = "a duration (integer nanoseconds or text like 10s)"

    def convert(self, value: Any, path: str) -> int:
        if isinstance(value, str):
            try:
                return values.parse_duration(value)
            except ValueError as exc:
                raise value_error(path, str(exc)) from None
        return super().convert(value, path)

    def is_missing(self, value: Any) -> bool:
        return value is None


class DurationText(Str):
    """A string usage CGRateS parses itself (GetCost Usage): "2m10s"; bare digits are ns."""

    def convert(self, value: Any, path: str) -> int:  # type: ignore[override]
        if isinstance(value, int | Decimal) and not isinstance(value, bool):
            return int(Duration().convert(value, path))
        text = super().convert(value, path)
        try:
            return values.parse_duration(text)
        except ValueError as exc:
            raise value_error(path, str(exc)) from None

    def is_missing(self, value: Any) -> bool:
        return value is None


class Time(Type):
    """Go time.Time: RFC3339 text; Go's zero time counts as not given."""

    expected = "an RFC3339 time"

    def convert(self, value: Any, path: str) -> datetime | None:
        if not isinstance(value, str):
            raise type_error(path, self.expected, value)
        try:
            return values.parse_rfc3339(value)
        except ValueError as exc:
            raise value_error(path, str(exc)) from None


class Text(Str):
    """A Go string field that older clients fill with a number (``"Units": 99``): kept as text."""

    expected = "a string or a number"

    def convert(self, value: Any, path: str) -> str:
        if isinstance(value, int | Decimal) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, bool):
            return "true" if value else "false"
        return super().convert(value, path)


class IdList(Type):
    """A list of ids, given as an array of strings or as CGRateS's ``"a;b"`` text."""

    expected = "an array of strings or text like a;b"

    def convert(self, value: Any, path: str) -> list[str]:
        if isinstance(value, str):
            return [part for part in Str().convert(value, path).split(";") if part]
        if not isinstance(value, list):
            raise type_error(path, self.expected, value)
        return [Str().convert(item, f"{path}[{i}]") for i, item in enumerate(value)
                if item is not None]

    def is_missing(self, value: Any) -> bool:
        return not value


class AnyJson(Type):
    """Any JSON value, passed through (ExtraFields, ignored arguments of Ping)."""

    expected = "any value"

    def convert(self, value: Any, path: str) -> Any:
        return value


@dataclass(frozen=True)
class ListOf(Type):
    item: Type
    expected = "an array"

    def convert(self, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise type_error(path, self.expected, value)
        return [None if v is None else self.item.convert(v, f"{path}[{i}]")
                for i, v in enumerate(value)]

    def is_missing(self, value: Any) -> bool:
        return not value

    def to_doc(self, value: Any) -> Any:
        return None if value is None else [self.item.to_doc(v) for v in value]

    def render(self, doc: Any, legacy: bool = False) -> Any:
        return None if doc is None else [self.item.render(v, legacy) for v in doc]


@dataclass(frozen=True)
class MapOf(Type):
    item: Type
    expected = "an object"

    def convert(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise type_error(path, self.expected, value)
        return {k: None if v is None else self.item.convert(v, f"{path}.{k}")
                for k, v in value.items()}

    def is_missing(self, value: Any) -> bool:
        return not value

    def to_doc(self, value: Any) -> Any:
        return None if value is None else {k: self.item.to_doc(v) for k, v in value.items()}

    def render(self, doc: Any, legacy: bool = False) -> Any:
        return None if doc is None else {k: self.item.render(v, legacy) for k, v in doc.items()}


@dataclass(frozen=True)
class Field:
    """One field: its CGRateS name, type, older names it is also read from, reply zero."""

    name: str
    type: Type
    aliases: tuple[str, ...] = ()
    zero: Any = _UNSET  # what a reply shows when not given; default: the type's zero
    legacy: bool = False  # only in an older dialect: stored, left out of v0.10 replies

    def render_zero(self) -> Any:
        return self.type.zero if self.zero is _UNSET else self.zero


Check = Callable[[Args], None]


@dataclass(frozen=True)
class Struct(Type):
    """A JSON object with declared fields (a Go struct)."""

    fields: tuple[Field, ...]
    mandatory: tuple[str, ...] = ()
    checks: tuple[Check, ...] = ()
    expected = "an object"
    _index: dict[str, tuple[Field, str | None]] = field(default_factory=dict, compare=False,
                                                        repr=False)

    def __post_init__(self) -> None:
        names = {f.name for f in self.fields}
        unknown = [m for m in self.mandatory if m not in names]
        if unknown:
            raise ValueError(f"mandatory fields not declared: {unknown}")
        for exact in (True, False):
            for fld in self.fields:
                for key in (fld.name, *fld.aliases):
                    # an alias differing only in case is the same name to Go's decoder
                    alias = None if key.casefold() == fld.name.casefold() else key
                    self._index.setdefault(key if exact else key.casefold(), (fld, alias))

    def _lookup(self, key: str) -> tuple[Field, str | None] | None:
        return self._index.get(key) or self._index.get(key.casefold())

    def convert(self, value: Any, path: str = "") -> Args:
        if value is None:  # "params": [] or [null]: Go leaves every field zero
            value = {}
        if not isinstance(value, dict):
            raise type_error(path, self.expected, value)
        args = Args({f.name: None for f in self.fields})
        by_canonical: set[str] = set()
        for key, item in value.items():
            found = self._lookup(key)
            if found is None or item is None:
                continue
            fld, alias = found
            if alias is not None and fld.name in by_canonical:
                continue  # the v0.10 name wins over an older one
            args[fld.name] = fld.type.convert(item, f"{path}.{key}" if path else key)
            if alias is None:
                by_canonical.add(fld.name)
                args.aliases.pop(fld.name, None)
            else:
                args.aliases[fld.name] = alias
        return args

    def check(self, args: Args) -> None:
        """Mandatory fields, then the method's own checks; raise InvalidParams."""
        missing = self.missing(args)
        if missing:
            raise mandatory_missing(missing)
        for check in self.checks:
            check(args)

    def missing(self, args: Args) -> list[str]:
        by_name = {f.name: f for f in self.fields}
        names = []
        for name in self.mandatory:
            fld = by_name[name]
            if fld.type.is_missing(args.get(name)):
                names.append(fld.aliases[0] if args.legacy and fld.aliases else name)
        return names

    def is_missing(self, value: Any) -> bool:
        return value is None

    def to_doc(self, value: Any) -> Any:
        if value is None:
            return None
        return {f.name: f.type.to_doc(value[f.name]) for f in self.fields
                if value.get(f.name) is not None}

    def render(self, doc: Any, legacy: bool = False) -> Any:
        if doc is None:
            return None
        return {f.name: f.render_zero() if doc.get(f.name) is None
                else f.type.render(doc[f.name], legacy)
                for f in self.fields if legacy or not f.legacy}

    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]


@dataclass(frozen=True)
class Scalar(Type):
    """A method whose argument is a bare value (``APIerSv1.GetActions "ACTS_ID"``)."""

    type: Type
    name: str  # reported when missing
    mandatory: bool = True

    def convert(self, value: Any, path: str = "") -> Any:
        if value is None:
            return self.type.zero
        return self.type.convert(value, path)

    def check(self, value: Any) -> None:
        if self.mandatory and self.type.is_missing(value):
            raise mandatory_missing([self.name])


def struct(*fields: Field, mandatory: Iterable[str] = (), checks: Iterable[Check] = ()) -> Struct:
    """Shorthand used by the schema tables."""
    return Struct(tuple(fields), tuple(mandatory), tuple(checks))


def fields(spec: str, type_: Type) -> tuple[Field, ...]:
    """Several fields of one type from a space-separated list of names."""
    return tuple(Field(name, type_) for name in spec.split())


STR = Str()
BOOL = Bool()
NUM = Number()
INT = Int()
DURATION = Duration()
DURATION_TEXT = DurationText()
TIME = Time()
ANY = AnyJson()
STR_LIST = ListOf(STR)
TEXT = Text()
ID_LIST = IdList()
STR_MAP_BOOL = MapOf(BOOL)
