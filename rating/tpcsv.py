"""Reading CGRateS v0.10 tariff-plan CSV files: the rating files (SPEC.md F).

Lines starting with ``#`` and blank lines are skipped; fields are ``,``-separated and lists
inside a field ``;``-separated. Every problem is recorded with file, line and column; a
row with a problem adds nothing to the plan.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

from . import money
from .tariffdocs import (
    DESTINATION_RATES,
    DESTINATIONS,
    RATES,
    RATING_PLANS,
    RATING_PROFILES,
    TIMINGS,
)
from .tariffs import MAX_COST_DISCONNECT, MAX_COST_FREE, parse_clock, profile_key
from .tpplan import LoadError, ParseContext, Row, TariffPlan

ANY = "*any"
ROUNDING_METHODS = ("*up", "*middle", "*down")
TIMING_KEYWORDS = ("*asap", "*every_minute", "*hourly")

RowParser = Callable[[TariffPlan, Row, ParseContext], None]


def read_rows(path: Path, columns: int | tuple[int, ...],
              errors: list[LoadError]) -> Iterator[Row]:
    """Data rows of one CSV file with an allowed number of fields (others are errors)."""
    allowed = (columns,) if isinstance(columns, int) else columns
    name = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        errors.append(LoadError(name, 0, 0, f"cannot read: {exc}"))
        return
    for lineno, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            fields = next(csv.reader([line], skipinitialspace=True))
        except csv.Error as exc:
            errors.append(LoadError(name, lineno, 1, f"malformed CSV: {exc}"))
            continue
        if len(fields) not in allowed:
            expected = allowed[0]
            errors.append(LoadError(name, lineno, min(len(fields), expected) + 1,
                                    f"expected {expected} fields, found {len(fields)}"))
            continue
        yield Row(name, lineno, fields, errors)


def _locate(plan: TariffPlan, kind: str, doc_id: str, index: int, row: Row) -> None:
    plan.locations[(kind, doc_id, index)] = (row.file, row.line)


# -- Destinations, Timings -------------------------------------------------------------

def parse_destination(plan: TariffPlan, row: Row, ctx: ParseContext) -> None:
    """``Id, Prefix``: one prefix per row."""
    dest_id = row.required(1, "Id")
    prefix = row.required(2, "Prefix")
    if " " in prefix:
        row.error(2, f"Prefix {prefix!r} contains a space")
    if not row.ok:
        return
    doc = plan.docs[DESTINATIONS].setdefault(dest_id, {"ID": dest_id, "Prefixes": []})
    if plan.first_time(DESTINATIONS, dest_id, prefix):
        _locate(plan, DESTINATIONS, dest_id, len(doc["Prefixes"]), row)
        doc["Prefixes"].append(prefix)


def parse_timing(plan: TariffPlan, row: Row, ctx: ParseContext) -> None:
    """``Tag, Years, Months, MonthDays, WeekDays, Time``."""
    tag = row.required(1, "Tag")
    years = row.int_list(2, "Years", 0, 9999)
    months = row.int_list(3, "Months", 1, 12)
    month_days = row.int_list(4, "MonthDays", 1, 31)
    week_days = row.int_list(5, "WeekDays", 0, 7)
    start, end = _timing_time(row)
    if tag in plan.docs[TIMINGS]:
        first = plan.where(TIMINGS, tag)[1]
        row.error(1, f"timing {tag} already defined at line {first}")
    if not row.ok:
        return
    _locate(plan, TIMINGS, tag, 0, row)
    plan.docs[TIMINGS][tag] = {"ID": tag, "Years": years, "Months": months,
                               "MonthDays": month_days, "WeekDays": week_days,
                               "StartTime": start, "EndTime": end}


def _timing_time(row: Row) -> tuple[str, str]:
    value = row.text(6)
    if value in TIMING_KEYWORDS:
        return value, ""
    if value in ("", ANY):
        return "00:00:00", ""
    parts = value.split(";")
    if len(parts) > 2 or any(parse_clock(p.strip()) is None for p in parts):
        row.error(6, f"Time {value!r} is not hh:mm:ss, hh:mm:ss;hh:mm:ss or *asap")
        return "", ""
    start = parts[0].strip()
    end = parts[1].strip() if len(parts) == 2 else ""
    if end and (parse_clock(end) or 0) < (parse_clock(start) or 0):
        row.error(6, f"Time {value!r} ends before it starts")
    return start, end


# -- Rates, DestinationRates, RatingPlans, RatingProfiles ------------------------------

def parse_rate(plan: TariffPlan, row: Row, ctx: ParseContext) -> None:
    """``Id, ConnectFee, Rate, RateUnit, RateIncrement, GroupIntervalStart``."""
    rate_id = row.required(1, "Id")
    fee = row.decimal(2, "ConnectFee", default="0", minimum=money.ZERO)
    value = row.decimal(3, "Rate", minimum=money.ZERO)
    unit = row.duration(4, "RateUnit")
    increment = row.duration(5, "RateIncrement")
    gis = row.duration(6, "GroupIntervalStart")
    if row.ok and not plan.first_time(RATES, rate_id, gis):
        row.error(6, f"rate {rate_id} already has a row starting at {row.text(6)}")
    if not row.ok or fee is None or value is None:
        return
    doc = plan.docs[RATES].setdefault(rate_id, {"ID": rate_id, "RateSlots": []})
    _locate(plan, RATES, rate_id, len(doc["RateSlots"]), row)
    doc["RateSlots"].append({"ConnectFee": money.to_str(fee), "Rate": money.to_str(value),
                             "RateUnit": unit, "RateIncrement": increment,
                             "GroupIntervalStart": gis})


def check_rates(plan: TariffPlan, errors: list[LoadError]) -> None:
    """Every rate needs a row starting at 0 (the price of the call's first second)."""
    for rate_id, doc in plan.docs[RATES].items():
        if not any(s["GroupIntervalStart"] == 0 for s in doc["RateSlots"]):
            file, line = plan.where(RATES, rate_id)
            errors.append(LoadError(file, line, 6, f"rate {rate_id} has no row with "
                                                   "GroupIntervalStart 0"))


def parse_destination_rate(plan: TariffPlan, row: Row, ctx: ParseContext) -> None:
    """``Id, DestinationId, RatesTag, RoundingMethod, RoundingDecimals, MaxCost,
    MaxCostStrategy``."""
    dr_id = row.required(1, "Id")
    dest = row.required(2, "DestinationId")
    rate = row.required(3, "RatesTag")
    method = row.text(4)
    if method not in ("", *ROUNDING_METHODS):
        row.error(4, f"RoundingMethod {method!r} is not one of {', '.join(ROUNDING_METHODS)}")
    decimals = row.integer(5, "RoundingDecimals")
    max_cost = row.decimal(6, "MaxCost", default="0", minimum=money.ZERO)
    strategy = row.text(7)
    if strategy not in ("", MAX_COST_FREE, MAX_COST_DISCONNECT):
        row.error(7, f"MaxCostStrategy {strategy!r} is not *free or *disconnect")
    if row.ok and not plan.first_time(DESTINATION_RATES, dr_id, dest):
        row.error(2, f"destination rate {dr_id} already has destination {dest}")
    if not row.ok or max_cost is None:
        return
    doc = plan.docs[DESTINATION_RATES].setdefault(dr_id, {"ID": dr_id, "DestinationRates": []})
    _locate(plan, DESTINATION_RATES, dr_id, len(doc["DestinationRates"]), row)
    doc["DestinationRates"].append({
        "DestinationId": dest, "RateId": rate, "RoundingMethod": method,
        "RoundingDecimals": decimals, "MaxCost": money.to_str(max_cost),
        "MaxCostStrategy": strategy})


def parse_rating_plan(plan: TariffPlan, row: Row, ctx: ParseContext) -> None:
    """``Id, DestinationRatesId, TimingTag, Weight``."""
    plan_id = row.required(1, "Id")
    dr_id = row.required(2, "DestinationRatesId")
    timing = row.text(3) or ANY
    weight = row.decimal(4, "Weight", default="0")
    if not row.ok or weight is None:
        return
    doc = plan.docs[RATING_PLANS].setdefault(plan_id, {"ID": plan_id, "RatingPlanBindings": []})
    _locate(plan, RATING_PLANS, plan_id, len(doc["RatingPlanBindings"]), row)
    doc["RatingPlanBindings"].append({"DestinationRatesId": dr_id, "TimingId": timing,
                                      "Weight": money.to_str(weight)})


def parse_rating_profile(plan: TariffPlan, row: Row, ctx: ParseContext) -> None:
    """``Tenant, Category, Subject, ActivationTime, RatingPlanId, RatesFallbackSubject``."""
    if len(row.fields) == 7:  # v0.9 layout with a leading Direction column
        row.fields = row.fields[1:]
    tenant = row.required(1, "Tenant")
    category = row.required(2, "Category")
    subject = row.required(3, "Subject")
    activation = row.time(4, "ActivationTime", ctx) if row.text(4) else "0001-01-01T00:00:00Z"
    plan_id = row.required(5, "RatingPlanId")
    key = profile_key(tenant, category, subject)
    if row.ok and activation and not plan.first_time(RATING_PROFILES, key, activation):
        row.error(4, f"rating profile {key} already has an activation at {row.text(4)}")
    if not row.ok or activation is None:
        return
    doc = plan.docs[RATING_PROFILES].setdefault(key, {
        "Id": key, "Tenant": tenant, "Category": category, "Subject": subject,
        "RatingPlanActivations": []})
    _locate(plan, RATING_PROFILES, key, len(doc["RatingPlanActivations"]), row)
    doc["RatingPlanActivations"].append({"ActivationTime": activation, "RatingPlanId": plan_id,
                                         "FallbackSubjects": row.text(6)})


def decimal_text(value: Decimal | None) -> str:
    """Canonical text of an optional number ("" for None)."""
    return "" if value is None else money.to_str(value)
