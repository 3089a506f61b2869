"""Staged tariff plans (TP documents, ``agent/rpc/tp.py``) ↔ CGRateS CSV rows.

One ``Layout`` per TP object says which document fields make the columns of its CSV file
(SPEC.md F), in file order. With it the same rows serve three methods:

- ``ImportTariffPlanFromFolder``: CSV files → staged documents (typed by the SetTP*
  schema, exactly what SetTP* would store);
- ``ExportTPToFolder``: staged documents → CSV files;
- ``LoadTariffPlanFromStorDb``: staged documents → rows fed to the tariff-plan loader's own
  row parsers (``rating.tpcsv``/``rating.tpactions``), so a staged plan is checked and
  compiled exactly like a folder.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TextIO

from rating.tpplan import LoadError

from .errors import RpcError
from .schema import Bool, Int, ListOf, Number, Struct, Type
from .schemas_tp import TP_OBJECTS, TpObject

#: RatingProfiles / AccountActions imported from CSV get this LoadId (+ "_<RunId>"), as
#: CGRateS's TPCSVImporter gives them.
CSV_LOAD_ID = "CSVLOAD"


@dataclass(frozen=True)
class Layout:
    """How one TP object's documents map to the rows of its CSV file."""

    kind: str  # the TP object kind, also the CSV file stem
    head: tuple[str, ...]  # document fields that start every row
    items: str = ""  # the list field giving one row per item ("" = one row per document)
    item_fields: tuple[str, ...] = ()  # the item's fields; () with items = a list of strings
    header: str = ""

    @property
    def file(self) -> str:
        return f"{self.kind}.csv"

    @property
    def columns(self) -> int:
        return len(self.head) + ((len(self.item_fields) or 1) if self.items else 0)


_ACTION_FIELDS = ("Identifier", "ExtraParameters", "Filter", "BalanceId", "BalanceType",
                  "Categories", "DestinationIds", "RatingSubject", "SharedGroups", "ExpiryTime",
                  "TimingTags", "Units", "BalanceWeight", "BalanceBlocker", "BalanceDisabled",
                  "Weight")
_TRIGGER_FIELDS = ("UniqueID", "ThresholdType", "ThresholdValue", "Recurrent", "MinSleep",
                   "ExpirationDate", "ActivationDate", "BalanceId", "BalanceType",
                   "BalanceCategories", "BalanceDestinationIds", "BalanceRatingSubject",
                   "BalanceSharedGroups", "BalanceExpirationDate", "BalanceTimingTags",
                   "BalanceWeight", "BalanceBlocker", "BalanceDisabled", "ActionsId", "Weight")

#: In load order (timings and destinations first, account actions last).
LAYOUTS: tuple[Layout, ...] = (
    Layout("Timings", ("ID", "Years", "Months", "MonthDays", "WeekDays", "Time"),
           header="Tag,Years,Months,MonthDays,WeekDays,Time"),
    Layout("Destinations", ("ID",), "Prefixes", header="Id,Prefix"),
    Layout("Rates", ("ID",), "RateSlots",
           ("ConnectFee", "Rate", "RateUnit", "RateIncrement", "GroupIntervalStart"),
           "Id,ConnectFee,Rate,RateUnit,RateIncrement,GroupIntervalStart"),
    Layout("DestinationRates", ("ID",), "DestinationRates",
           ("DestinationId", "RateId", "RoundingMethod", "RoundingDecimals", "MaxCost",
            "MaxCostStrategy"),
           "Id,DestinationId,RatesTag,RoundingMethod,RoundingDecimals,MaxCost,MaxCostStrategy"),
    Layout("RatingPlans", ("ID",), "RatingPlanBindings",
           ("DestinationRatesId", "TimingId", "Weight"),
           "Id,DestinationRatesId,TimingTag,Weight"),
    Layout("RatingProfiles", ("Tenant", "Category", "Subject"), "RatingPlanActivations",
           ("ActivationTime", "RatingPlanId", "FallbackSubjects"),
           "Tenant,Category,Subject,ActivationTime,RatingPlanId,RatesFallbackSubject"),
    Layout("SharedGroups", ("ID",), "SharedGroups", ("Account", "Strategy", "RatingSubject"),
           "Id,Account,Strategy,RatingSubject"),
    Layout("Actions", ("ID",), "Actions", _ACTION_FIELDS,
           "ActionsId,Action,ExtraParameters,Filter,BalanceId,BalanceType,Categories,"
           "DestinationIds,RatingSubject,SharedGroup,ExpiryTime,TimingIds,Units,BalanceWeight,"
           "BalanceBlocker,BalanceDisabled,Weight"),
    Layout("ActionPlans", ("ID",), "ActionPlan", ("ActionsId", "TimingId", "Weight"),
           "Id,ActionsId,TimingId,Weight"),
    Layout("ActionTriggers", ("ID",), "ActionTriggers", _TRIGGER_FIELDS,
           "Tag,UniqueId,ThresholdType,ThresholdValue,Recurrent,MinSleep,ExpiryTime,"
           "ActivationTime,BalanceTag,BalanceType,BalanceCategories,BalanceDestinationIds,"
           "BalanceRatingSubject,BalanceSharedGroup,BalanceExpiryTime,BalanceTimingIds,"
           "BalanceWeight,BalanceBlocker,BalanceDisabled,ActionsId,Weight"),
    Layout("AccountActions",
           ("Tenant", "Account", "ActionPlanId", "ActionTriggersId", "AllowNegative", "Disabled"),
           header="Tenant,Account,ActionPlanId,ActionTriggersId,AllowNegative,Disabled"),
)
TP_OBJECT: dict[str, TpObject] = {obj.kind: obj for obj in TP_OBJECTS}


# -- documents → rows --------------------------------------------------------------------

def cell(value: Any) -> str:
    """A stored document value as CSV text."""
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    return str(value)


def doc_rows(layout: Layout, doc: dict[str, Any]) -> list[list[str]]:
    """The CSV rows of one staged document (none when its list is empty)."""
    head = [cell(doc.get(name)) for name in layout.head]
    if not layout.items:
        return [head]
    rows = []
    for item in doc.get(layout.items) or []:
        if not layout.item_fields:
            rows.append([*head, cell(item)])
        elif item is not None:
            rows.append([*head, *(cell(item.get(name)) for name in layout.item_fields)])
    return rows


# -- rows → documents --------------------------------------------------------------------

def read_csv(path: Path, layout: Layout, sep: str, errors: list[LoadError]) -> Iterator[
        tuple[int, list[str]]]:
    """(line, stripped fields) of the data rows of one CSV file (``#`` lines skipped)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        errors.append(LoadError(path.name, 0, 0, f"cannot read: {exc}"))
        return
    for line_no, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            fields = [f.strip() for f in next(csv.reader([line], delimiter=sep))]
        except csv.Error as exc:
            errors.append(LoadError(path.name, line_no, 1, f"malformed CSV: {exc}"))
            continue
        if layout.kind == "RatingProfiles" and len(fields) == layout.columns + 1:
            fields = fields[1:]  # the v0.9 layout's leading Direction column
        if len(fields) != layout.columns:
            errors.append(LoadError(path.name, line_no, 0, f"expected {layout.columns} "
                                                             f"fields, found {len(fields)}"))
            continue
        yield line_no, fields


def docs_from_rows(layout: Layout, rows: list[tuple[int, list[str]]], load_id: str,
                   errors: list[LoadError]) -> dict[str, Any]:
    """Staged documents (by their TP id) built from CSV rows, typed by the SetTP* schema."""
    obj = TP_OBJECT[layout.kind]
    schema = obj.set_schema
    grouped: dict[tuple[str, ...], tuple[int, dict[str, Any]]] = {}
    for line, fields in rows:
        head = tuple(fields[:len(layout.head)])
        if head in grouped and not layout.items:
            errors.append(LoadError(layout.file, line, 1, f"{head[0]} already defined at "
                                                          f"line {grouped[head][0]}"))
            continue
        _, doc = grouped.setdefault(head, (line, _head_doc(layout, head, load_id)))
        if layout.items:
            rest = fields[len(layout.head):]
            item = rest[0] if not layout.item_fields else dict(zip(layout.item_fields, rest,
                                                                   strict=True))
            doc[layout.items].append(item)
    docs: dict[str, Any] = {}
    for line, doc in grouped.values():
        try:
            args = schema.convert(_typed_doc(schema, doc))
        except RpcError as exc:
            errors.append(LoadError(layout.file, line, 0, exc.text))
            continue
        docs[obj.doc_id(args)] = schema.to_doc(args)
    return docs


def _head_doc(layout: Layout, head: tuple[str, ...], load_id: str) -> dict[str, Any]:
    doc: dict[str, Any] = dict(zip(layout.head, head, strict=True))
    if "LoadId" in TP_OBJECT[layout.kind].key_fields:
        doc["LoadId"] = load_id
    if layout.items:
        doc[layout.items] = []
    return doc


def _typed_doc(schema: Struct, doc: dict[str, Any]) -> dict[str, Any]:
    """CSV texts turned into the JSON values the schema expects (numbers, booleans)."""
    types = {f.name: f.type for f in schema.fields}
    out: dict[str, Any] = {}
    for name, value in doc.items():
        type_ = types[name]
        if isinstance(value, list) and isinstance(type_, ListOf):
            item_type = type_.item
            out[name] = [_typed_doc(item_type, v) if isinstance(item_type, Struct) and
                         isinstance(v, dict) else v for v in value]
        else:
            out[name] = _typed(type_, value, name)
    return out


def _typed(type_: Type, text: str, name: str) -> Any:
    if text == "":
        return None
    if isinstance(type_, Number | Int):
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise RpcError(f"{name}: {text!r} is not a number") from None
        return int(number) if isinstance(type_, Int) and number == number.to_integral() \
            else number
    if isinstance(type_, Bool):
        if text.lower() in ("1", "t", "true"):
            return True
        if text.lower() in ("0", "f", "false"):
            return False
        raise RpcError(f"{name}: {text!r} is not true or false")
    return text


def rows_of_folder(folder: Path, sep: str, errors: list[LoadError]) -> dict[
        str, list[tuple[int, list[str]]]]:
    """The data rows of every known CSV file of a folder (missing files give none)."""
    found = {}
    for layout in LAYOUTS:
        path = folder / layout.file
        if path.is_file():
            found[layout.kind] = list(read_csv(path, layout, sep, errors))
    return found


def write_csv(out: TextIO, layout: Layout, docs: list[dict[str, Any]], sep: str) -> None:
    """One CSV file: a ``#`` header line, then the rows of every document."""
    out.write("#" + layout.header.replace(",", sep) + "\n")
    writer = csv.writer(out, delimiter=sep, lineterminator="\n")
    for doc in docs:
        writer.writerows(doc_rows(layout, doc))
