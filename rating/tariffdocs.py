"""Tariff documents as stored, and their compilation into ``Tariffs``.

Every tariff-plan object is one JSON document in the store (kind, id). Money is a Decimal
string, durations integer nanoseconds, times RFC3339. Shapes (fields as CGRateS's TP API):

- destinations/<ID>        {"ID", "Prefixes": [str]}
- timings/<ID>             {"ID", "Years", "Months", "MonthDays", "WeekDays": [int],
                            "StartTime": "hh:mm:ss" | "*asap" | "*every_minute" | "*hourly",
                            "EndTime": "" | "hh:mm:ss"}
- rates/<ID>               {"ID", "RateSlots": [{"ConnectFee", "Rate", "RateUnit",
                            "RateIncrement", "GroupIntervalStart"}]}
- destination_rates/<ID>   {"ID", "DestinationRates": [{"DestinationId", "RateId",
                            "RoundingMethod", "RoundingDecimals", "MaxCost", "MaxCostStrategy"}]}
- rating_plans/<ID>        {"ID", "RatingPlanBindings": [{"DestinationRatesId", "TimingId",
                            "Weight"}]}
- rating_profiles/<*out:tenant:category:subject>
                           {"Id", "Tenant", "Category", "Subject", "RatingPlanActivations":
                            [{"ActivationTime", "RatingPlanId", "FallbackSubjects": "a;b"}]}
- actions, action_plans, action_triggers, shared_groups, account_actions: see loader.py.
- tariff_meta/version      {"Version", "LoadedAt"}: changes on every load so that every
                           engine sharing the store recompiles.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from . import money
from .tariffs import (
    ALWAYS,
    ANY,
    Activation,
    PlanDestination,
    RateInterval,
    RateSlot,
    Rating,
    RatingPlan,
    RatingProfile,
    Tariffs,
    Timing,
    profile_key,
)
from .timeutil import SECOND, parse_rfc3339

log = logging.getLogger(__name__)

DESTINATIONS = "destinations"
TIMINGS = "timings"
RATES = "rates"
DESTINATION_RATES = "destination_rates"
RATING_PLANS = "rating_plans"
RATING_PROFILES = "rating_profiles"
ACTIONS = "actions"
ACTION_PLANS = "action_plans"
ACTION_TRIGGERS = "action_triggers"
SHARED_GROUPS = "shared_groups"
ACCOUNT_ACTIONS = "account_actions"
META = "tariff_meta"
VERSION_ID = "version"

RATING_KINDS = (DESTINATIONS, TIMINGS, RATES, DESTINATION_RATES, RATING_PLANS, RATING_PROFILES)
ALL_KINDS = (*RATING_KINDS, SHARED_GROUPS, ACTIONS, ACTION_PLANS, ACTION_TRIGGERS,
             ACCOUNT_ACTIONS)

#: Timings every plan may use without defining them.
BUILTIN_TIMINGS = {ANY: ALWAYS, "*asap": Timing.build("*asap", start_time="*asap")}

Docs = Mapping[str, Mapping[str, Any]]


def timing_from_doc(doc: Mapping[str, Any]) -> Timing:
    """A Timing from its document."""
    return Timing.build(str(doc["ID"]), tuple(doc.get("Years") or ()),
                        tuple(doc.get("Months") or ()), tuple(doc.get("MonthDays") or ()),
                        tuple(doc.get("WeekDays") or ()), str(doc.get("StartTime") or "00:00:00"),
                        str(doc.get("EndTime") or ""))


def slots_from_doc(doc: Mapping[str, Any]) -> tuple[Decimal, tuple[RateSlot, ...]]:
    """(connect fee of the first row, rows sorted by GroupIntervalStart) of a rate document.

    RateIncrement or RateUnit 0 mean one second, as in CGRateS.
    """
    rows = list(doc.get("RateSlots") or ())
    fee = money.to_decimal(rows[0].get("ConnectFee") or 0) if rows else money.ZERO
    slots = sorted((RateSlot(int(r.get("GroupIntervalStart") or 0), money.to_decimal(r["Rate"]),
                             int(r.get("RateIncrement") or 0) or SECOND,
                             int(r.get("RateUnit") or 0) or SECOND) for r in rows),
                   key=lambda s: s.group_interval_start)
    return fee, tuple(slots)


class _Compiler:
    """Builds the shared, interned objects of one Tariffs."""

    def __init__(self, docs: Docs) -> None:
        self.docs = docs
        self.timings = dict(BUILTIN_TIMINGS)
        for doc in docs.get(TIMINGS, {}).values():
            timing = timing_from_doc(doc)
            self.timings[timing.id] = timing
        self.rates = {rid: slots_from_doc(doc) for rid, doc in docs.get(RATES, {}).items()}
        self._ratings: dict[tuple[Any, ...], Rating] = {}
        self._intervals: dict[tuple[Any, ...], RateInterval] = {}
        self._entries: dict[tuple[int, ...], PlanDestination] = {}

    def rating(self, row: Mapping[str, Any]) -> Rating | None:
        rate_id = str(row["RateId"])
        rate = self.rates.get(rate_id)
        if rate is None or not rate[1]:
            return None
        key = (rate_id, row.get("RoundingMethod", ""), int(row.get("RoundingDecimals") or 0),
               str(row.get("MaxCost") or "0"), row.get("MaxCostStrategy", ""))
        found = self._ratings.get(key)
        if found is None:
            found = Rating(rate[0], str(key[1]), key[2], money.to_decimal(key[3]), str(key[4]),
                           rate[1], rate_id)
            self._ratings[key] = found
        return found

    def interval(self, timing: Timing, rating: Rating, weight: Decimal) -> RateInterval:
        key = (timing.id, id(rating), weight)
        found = self._intervals.get(key)
        if found is None:
            found = RateInterval(timing, rating, weight)
            self._intervals[key] = found
        return found

    def plan(self, plan_id: str, doc: Mapping[str, Any]) -> RatingPlan:
        by_dest: dict[str, list[RateInterval]] = {}
        dest_rates = self.docs.get(DESTINATION_RATES, {})
        for binding in doc.get("RatingPlanBindings") or ():
            dr = dest_rates.get(str(binding["DestinationRatesId"]))
            timing = self.timings.get(str(binding.get("TimingId") or ANY))
            if dr is None or timing is None:
                log.warning("rating plan %s: broken binding %s", plan_id, binding)
                continue
            weight = money.to_decimal(binding.get("Weight") or 0)
            for row in dr.get("DestinationRates") or ():
                rating = self.rating(row)
                if rating is None:
                    log.warning("rating plan %s: unknown rate %s", plan_id, row.get("RateId"))
                    continue
                dest = str(row["DestinationId"])
                by_dest.setdefault(dest, []).append(self.interval(timing, rating, weight))
        return RatingPlan(plan_id, {d: self.entry(ivs) for d, ivs in by_dest.items()})

    def entry(self, intervals: list[RateInterval]) -> PlanDestination:
        ordered = sorted(intervals, key=lambda iv: -iv.weight)
        key = tuple(id(iv) for iv in ordered)
        found = self._entries.get(key)
        if found is None:
            weight = max([money.ZERO, *(iv.weight for iv in ordered)])
            always = any(iv.timing is None or iv.timing.always for iv in ordered)
            found = PlanDestination(tuple(ordered), weight, always)
            self._entries[key] = found
        return found


def profile_from_doc(key: str, doc: Mapping[str, Any]) -> RatingProfile:
    """A RatingProfile from its document (fallback subjects become profile keys)."""
    tenant, category = str(doc.get("Tenant", "")), str(doc.get("Category", ""))
    acts = []
    for act in doc.get("RatingPlanActivations") or ():
        subjects = [s for s in str(act.get("FallbackSubjects") or "").split(";") if s]
        acts.append(Activation(parse_rfc3339(str(act["ActivationTime"]))[0],
                               str(act["RatingPlanId"]),
                               tuple(profile_key(tenant, category, s) for s in subjects)))
    acts.sort(key=lambda a: a.time_ns)
    return RatingProfile(key, tuple(acts))


def compile_tariffs(docs: Docs, version: str = "") -> Tariffs:
    """Compile every rating document into one read-only Tariffs."""
    comp = _Compiler(docs)
    tariffs = Tariffs(version)
    reverse: dict[str, list[str]] = {}
    for dest_id in sorted(docs.get(DESTINATIONS, {})):
        prefixes = tuple(str(p) for p in docs[DESTINATIONS][dest_id].get("Prefixes") or ())
        tariffs.destinations[dest_id] = prefixes
        for prefix in prefixes:
            reverse.setdefault(prefix, []).append(dest_id)
    tariffs.reverse = {p: tuple(ids) for p, ids in reverse.items()}
    tariffs.timings = comp.timings
    for plan_id, doc in docs.get(RATING_PLANS, {}).items():
        tariffs.plans[plan_id] = comp.plan(plan_id, doc)
    for key, doc in docs.get(RATING_PROFILES, {}).items():
        tariffs.profiles[key] = profile_from_doc(key, doc)
    return tariffs
