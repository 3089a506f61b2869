"""Rating data written and read directly in the data store (APIerSv1's DataDB setters).

``SetDestination``, ``SetRatingProfile``, ``GetDestination``, ``GetRatingPlan`` and
``GetRatingProfile`` work on the stored tariff documents (``rating.tariffdocs``) and reply
in CGRateS's DataDB shapes (``engine.Destination``, ``engine.RatingPlan``,
``engine.RatingProfile``). A write bumps the tariff version, so this engine and every other
one sharing the store recompile, as after a tariff-plan load.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from rating import money
from rating.engine import Engine
from rating.errors import Exists, NotFound
from rating.tariffdocs import DESTINATIONS, META, RATING_PLANS, RATING_PROFILES, VERSION_ID
from rating.tariffs import profile_key
from rating.timeutil import TimeFormatError, format_time, parse_api_time, parse_rfc3339

from .errors import RpcError


def bump_version(engine: Engine) -> None:
    """Tell every engine on the store that tariffs changed, and recompile this one now."""
    engine.store.put(META, VERSION_ID, {"Version": engine.new_id(),
                                        "LoadedAt": format_time(engine.now_ns())})
    engine.reload_tariffs()


# -- destinations -----------------------------------------------------------------------

def set_destination(engine: Engine, dest_id: str, prefixes: list[str], overwrite: bool) -> None:
    """APIerSv1.SetDestination: EXISTS unless Overwrite; prefixes are digits/text, no spaces."""
    for prefix in prefixes:
        if not prefix or prefix != prefix.strip() or " " in prefix:
            raise RpcError(f"SERVER_ERROR: prefix {prefix!r} is empty or holds spaces")
    if not overwrite and engine.store.get(DESTINATIONS, dest_id) is not None:
        raise Exists(dest_id)
    unique = list(dict.fromkeys(prefixes))
    engine.store.put(DESTINATIONS, dest_id, {"ID": dest_id, "Prefixes": unique})
    bump_version(engine)


def get_destination(engine: Engine, dest_id: str) -> dict[str, Any]:
    """engine.Destination: ``{"Id", "Prefixes"}``; NOT_FOUND."""
    doc = engine.store.get(DESTINATIONS, dest_id) if dest_id else None
    if doc is None:
        raise NotFound(dest_id)
    return {"Id": doc["ID"], "Prefixes": list(doc.get("Prefixes") or [])}


# -- rating plans -------------------------------------------------------------------------

def _key(value: dict[str, Any]) -> str:
    """CGRateS keys the plan's timings and ratings by a short digest of their content."""
    text = json.dumps(money.jsonable(value), sort_keys=True, separators=(",", ":"))
    return hashlib.sha1(text.encode()).hexdigest()[:8]


def get_rating_plan(engine: Engine, plan_id: str) -> dict[str, Any]:
    """engine.RatingPlan: ``{"Id", "Timings", "Ratings", "DestinationRates"}``; NOT_FOUND."""
    plan = engine.tariffs().plans.get(plan_id)
    if plan is None:
        raise NotFound(plan_id)
    timings: dict[str, Any] = {}
    ratings: dict[str, Any] = {}
    rates: dict[str, list[dict[str, Any]]] = {}
    for dest_id, entry in sorted(plan.destinations.items()):
        for interval in entry.intervals:
            timing = interval.timing.to_json() if interval.timing else None
            timing_key = _key(timing) if timing else ""
            if timing is not None:
                timings[timing_key] = timing
            rating = interval.rating.to_json()
            rating_key = _key(rating)
            ratings[rating_key] = rating
            rates.setdefault(dest_id, []).append(
                {"Timing": timing_key, "Rating": rating_key,
                 "Weight": money.normal(interval.weight)})
    return {"Id": plan.id, "Timings": timings, "Ratings": ratings, "DestinationRates": rates}


# -- rating profiles ------------------------------------------------------------------------

def set_rating_profile(engine: Engine, tenant: str, category: str, subject: str,
                       activations: list[dict[str, Any]], overwrite: bool) -> None:
    """APIerSv1.SetRatingProfile: add the activations (replace them all with Overwrite).

    Errors as CGRateS words them: ``MANDATORY_IE_MISSING:RatingPlanActivation:[...]``,
    ``SERVER_ERROR:Cannot parse activation time from X``, ``NOT_FOUND:RatingPlanId:X``.
    An activation at a time the profile already has replaces that one.
    """
    key = profile_key(tenant, category, subject)
    new = [_activation(engine, act) for act in activations]
    doc = None if overwrite else engine.store.get(RATING_PROFILES, key)
    kept = [a for a in (doc or {}).get("RatingPlanActivations") or []
            if not any(_same_time(a["ActivationTime"], n["ActivationTime"]) for n in new)]
    engine.store.put(RATING_PROFILES, key, {
        "Id": key, "Tenant": tenant, "Category": category, "Subject": subject,
        "RatingPlanActivations": kept + new})
    bump_version(engine)


def _activation(engine: Engine, act: dict[str, Any]) -> dict[str, Any]:
    missing = [name for name in ("ActivationTime", "RatingPlanId") if not act.get(name)]
    if missing:
        raise RpcError(f"MANDATORY_IE_MISSING:RatingPlanActivation:[{' '.join(missing)}]")
    text = act["ActivationTime"]
    try:
        ns, tz = parse_api_time(text, engine.now_ns(), engine.timezone)
    except TimeFormatError:
        ns = None
    if ns is None:
        raise RpcError(f"SERVER_ERROR:Cannot parse activation time from {text}")
    plan_id = act["RatingPlanId"]
    if engine.store.get(RATING_PLANS, plan_id) is None:
        raise RpcError(f"NOT_FOUND:RatingPlanId:{plan_id}")
    return {"ActivationTime": format_time(ns, tz), "RatingPlanId": plan_id,
            "FallbackSubjects": act.get("FallbackSubjects") or ""}


def _same_time(a: str, b: str) -> bool:
    return parse_rfc3339(a)[0] == parse_rfc3339(b)[0]


def get_rating_profile(engine: Engine, tenant: str, category: str,
                       subject: str) -> dict[str, Any]:
    """engine.RatingProfile: ``{"Id", "RatingPlanActivations": [{ActivationTime,
    RatingPlanId, FallbackKeys}]}``; NOT_FOUND."""
    key = profile_key(tenant, category, subject)
    doc = engine.store.get(RATING_PROFILES, key)
    if doc is None:
        raise NotFound(key)
    acts = []
    for act in doc.get("RatingPlanActivations") or []:
        subjects = [s for s in str(act.get("FallbackSubjects") or "").split(";") if s]
        acts.append({"ActivationTime": act["ActivationTime"], "RatingPlanId": act["RatingPlanId"],
                     "FallbackKeys": [profile_key(tenant, category, s) for s in subjects] or None})
    return {"Id": key, "RatingPlanActivations": acts}
