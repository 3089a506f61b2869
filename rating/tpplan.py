"""A parsed tariff plan and the errors found while reading or checking it.

The CSV readers (``tpcsv``, ``tpactions``) fill a TariffPlan with documents in the stored
shapes (``tariffdocs``) and remember where each document row came from, so that reference
errors found later still point at file:line:column.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from . import money
from .tariffdocs import ALL_KINDS
from .timeutil import TimeFormatError, format_time, parse_api_time, parse_duration_ns

ANY = "*any"


@dataclass(frozen=True)
class LoadError:
    """One problem, located in the tariff-plan folder (line/column 0 = the whole file)."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


@dataclass
class TariffPlan:
    """Documents by kind and id, plus the (file, line) each document row was read from."""

    docs: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {k: {} for k in ALL_KINDS})
    locations: dict[tuple[str, str, int], tuple[str, int]] = field(default_factory=dict)
    _seen: dict[tuple[str, str], set[Any]] = field(default_factory=dict, repr=False)

    def first_time(self, kind: str, doc_id: str, key: Any) -> bool:
        """Record `key` (a prefix, a destination of a rate...) for a document; False if known.

        Keeps duplicate checks linear for documents with many rows.
        """
        seen = self._seen.setdefault((kind, doc_id), set())
        if key in seen:
            return False
        seen.add(key)
        return True

    def where(self, kind: str, doc_id: str, row: int = 0) -> tuple[str, int]:
        """(file, line) of a document row, ("", 0) for documents not read from a file."""
        return self.locations.get((kind, doc_id, row), ("", 0))

    def count(self) -> dict[str, int]:
        """Number of documents per kind."""
        return {k: len(v) for k, v in self.docs.items()}


@dataclass
class ParseContext:
    """What reading needs besides the text: the clock, ids and the zone of naive times."""

    now_ns: int
    new_id: Callable[[], str]
    timezone: tzinfo = UTC


class Row:
    """One CSV record with typed field accessors that record errors instead of raising."""

    def __init__(self, file: str, line: int, fields: list[str], errors: list[LoadError]):
        self.file = file
        self.line = line
        self.fields = [f.strip() for f in fields]
        self.errors = errors
        self.ok = True

    def error(self, column: int, message: str) -> None:
        """Record an error at this row's column (1-based)."""
        self.ok = False
        self.errors.append(LoadError(self.file, self.line, column, message))

    def text(self, column: int) -> str:
        """The stripped text of a field."""
        return self.fields[column - 1]

    def required(self, column: int, name: str) -> str:
        """A field that must not be empty."""
        value = self.text(column)
        if not value:
            self.error(column, f"{name} is empty")
        return value

    def decimal(self, column: int, name: str, *, default: str | None = None,
                minimum: Decimal | None = None) -> Decimal | None:
        """A number; empty (or ``*any``) gives `default` when one is allowed."""
        value = self.text(column)
        if value in ("", ANY) and default is not None:
            value = default
        try:
            number = money.to_decimal(value)
        except (ValueError, InvalidOperation):
            self.error(column, f"{name} {value!r} is not a number")
            return None
        if minimum is not None and number < minimum:
            self.error(column, f"{name} {value} must not be below {minimum}")
            return None
        return number

    def integer(self, column: int, name: str, default: int = 0) -> int:
        """A non-negative integer (empty gives the default)."""
        value = self.text(column)
        if value == "":
            return default
        if not value.isdigit():
            self.error(column, f"{name} {value!r} is not a non-negative integer")
            return default
        return int(value)

    def duration(self, column: int, name: str) -> int:
        """A duration ("60s", bare number = ns), not negative."""
        value = self.text(column)
        try:
            ns = parse_duration_ns(value)
        except TimeFormatError:
            self.error(column, f"{name} {value!r} is not a duration")
            return 0
        if ns < 0:
            self.error(column, f"{name} {value!r} must not be negative")
            return 0
        return ns

    def boolean(self, column: int, name: str) -> bool | None:
        """true/false (Go's strconv.ParseBool forms); empty or ``*any`` gives None."""
        value = self.text(column)
        if value in ("", ANY):
            return None
        if value in ("1", "t", "T", "TRUE", "true", "True"):
            return True
        if value in ("0", "f", "F", "FALSE", "false", "False"):
            return False
        self.error(column, f"{name} {value!r} is not true or false")
        return None

    def time(self, column: int, name: str, ctx: ParseContext) -> str | None:
        """An API time (RFC3339, "*now", "+1h", unix, ...) as RFC3339; empty = None."""
        value = self.text(column)
        try:
            ns, tz = parse_api_time(value, ctx.now_ns, ctx.timezone)
        except TimeFormatError:
            self.error(column, f"{name} {value!r} is not a time")
            return None
        return None if ns is None else format_time(ns, tz)

    def int_list(self, column: int, name: str, low: int, high: int) -> list[int]:
        """A ``;`` list of integers in [low, high]; empty or ``*any`` = []."""
        value = self.text(column)
        if value in ("", ANY):
            return []
        out = []
        for item in value.split(";"):
            item = item.strip()
            try:
                number = int(item)
            except ValueError:
                self.error(column, f"{name} item {item!r} is not an integer")
                return []
            if not low <= number <= high:
                self.error(column, f"{name} item {number} is outside {low}..{high}")
                return []
            out.append(number)
        return out

    def json_text(self, column: int, name: str) -> str:
        """A field that must be empty or valid JSON."""
        value = self.text(column)
        if value:
            try:
                json.loads(value)
            except ValueError:
                self.error(column, f"{name} is not valid JSON")
        return value


def string_map(text: str) -> dict[str, bool] | None:
    """CGRateS ParseStringMap: "a;!b" -> {"a": true, "b": false}; "" / ``*any`` -> None."""
    if text in ("", ANY):
        return None
    out: dict[str, bool] = {}
    for item in text.split(";"):
        item = item.strip()
        if not item:
            continue
        if item.startswith("!"):
            out[item[1:]] = False
        else:
            out[item] = True
    return out
