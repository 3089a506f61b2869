"""Finding the rates of a call: rating profile, activations, fallbacks, destination match.

This is CGRateS's ``LoadRatingPlans`` / ``getRatingPlansForPrefix`` (SPEC.md B.2): the
result is a list of RatingInfo, each covering the call from its activation time on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo

from .errors import MaxRecursionDepth, RatingPlanNotFound, UnauthorizedDestination
from .tariffs import ANY, RateInterval, RatingProfile, Tariffs, profile_key
from .timeutil import LocalDay, local_day

RECURSION_MAX_DEPTH = 3


@dataclass(slots=True)
class RatingInfo:
    """Which plan and destination prices the call from `activation_ns` on.

    intervals is None for a gap entry (nothing matched), which only fallbacks can fill.
    """

    activation_ns: int
    matched_subject: str = ""
    rating_plan_id: str = ""
    matched_prefix: str = ""
    matched_dest_id: str = ""
    intervals: tuple[RateInterval, ...] | None = None
    fallback_keys: tuple[str, ...] = ()


@dataclass(slots=True)
class RatingQuery:
    """What a lookup needs to know about the call."""

    tenant: str
    category: str
    destination: str
    start_ns: int
    end_ns: int
    tz: tzinfo


def find_rating_infos(tariffs: Tariffs, query: RatingQuery, subject: str) -> list[RatingInfo]:
    """The rating infos covering the whole call, or the CGRateS error.

    The subject's own profile is used when it exists (even if it does not cover the
    destination); only a subject without any profile falls back to ``*any``.
    """
    key = profile_key(query.tenant, query.category, subject)
    simple = _simple_case(tariffs, query, key)
    if simple is not None:
        return simple
    infos, found = _for_key(tariffs, query, key, 1)
    if not found:
        infos, found = _for_key(tariffs, query, profile_key(query.tenant, query.category, ANY), 1)
    if not found:
        raise RatingPlanNotFound(f"no rating profile for subject {subject!r}")
    if not _continuous(infos, query.start_ns):
        raise UnauthorizedDestination(f"destination {query.destination!r} not covered")
    return infos


def _simple_case(tariffs: Tariffs, query: RatingQuery, key: str) -> list[RatingInfo] | None:
    """The common case, memoised: one activation in force for the whole call and a
    destination match that does not depend on the time of day. None = take the long way."""
    profile = tariffs.profiles.get(key)
    if profile is None:
        profile = tariffs.profiles.get(profile_key(query.tenant, query.category, ANY))
        if profile is None:
            return None
    acts = profile.active_for(query.start_ns, query.end_ns)
    if len(acts) != 1 or acts[0].time_ns > query.start_ns:
        return None
    act = acts[0]
    memo_key = (profile.key, query.destination, act)
    found = tariffs.info_memo.get(memo_key)
    if found is not None:
        return [found]
    plan = tariffs.plans.get(act.plan_id)
    if plan is None:
        return None
    match = _static_match(tariffs, plan.id, query.destination)
    if match is None:
        return None
    prefix, dest_id, intervals = match
    info = RatingInfo(act.time_ns, profile.key, plan.id, prefix, dest_id, intervals,
                      act.fallback_keys)
    if len(tariffs.info_memo) >= 100_000:
        tariffs.info_memo.clear()
    tariffs.info_memo[memo_key] = info
    return [info]


def _static_match(tariffs: Tariffs, plan_id: str,
                  destination: str) -> tuple[str, str, tuple[RateInterval, ...]] | None:
    """_match_destination when every candidate it looks at is active at all times."""
    plan = tariffs.plans[plan_id]
    if destination not in (ANY, ""):
        best = None
        for prefix, dest_id, entry in tariffs.prefix_candidates(plan, destination):
            if best is not None and prefix != best[0]:
                break  # only the longest matching prefix counts
            if not entry.always:
                return None
            if best is None or entry.weight > best[2].weight:
                best = (prefix, dest_id, entry)
        if best is not None:
            return best[0], best[1], best[2].intervals
    any_entry = plan.destinations.get(ANY)
    if any_entry is None or not any_entry.always:
        return None
    return ANY, ANY, any_entry.intervals


def _continuous(infos: list[RatingInfo], start_ns: int) -> bool:
    if not infos or infos[0].activation_ns > start_ns:
        return False
    return all(ri.intervals is not None for ri in infos)


def _for_key(tariffs: Tariffs, query: RatingQuery, key: str,
             depth: int) -> tuple[list[RatingInfo], bool]:
    """(infos, profile found); fills gaps through each entry's fallback keys."""
    if depth > RECURSION_MAX_DEPTH:
        raise MaxRecursionDepth(key)
    profile = tariffs.profiles.get(key)
    if profile is None:
        return [], False
    infos = _infos_of_profile(tariffs, profile, query)
    if not _continuous(infos, query.start_ns):
        infos = _fill_from_fallbacks(tariffs, query, infos, depth + 1)
    return infos, True


def _fill_from_fallbacks(tariffs: Tariffs, query: RatingQuery, infos: list[RatingInfo],
                         depth: int) -> list[RatingInfo]:
    out = list(infos)
    index = 0
    while index < len(out):
        info = out[index]
        if info.intervals is not None or not info.fallback_keys:
            index += 1
            continue
        start = query.start_ns if index == 0 else info.activation_ns
        end = query.end_ns if index == len(out) - 1 else out[index + 1].activation_ns
        sub = RatingQuery(query.tenant, query.category, query.destination, start, end, query.tz)
        replacement: list[RatingInfo] = []
        for key in info.fallback_keys:
            try:
                found, ok = _for_key(tariffs, sub, key, depth)
            except MaxRecursionDepth:
                continue
            if not ok:
                continue
            replacement = [ri for ri in found if ri.intervals is not None]
            if _continuous(found, sub.start_ns):
                break
        if replacement:
            out[index:index + 1] = replacement
            index += len(replacement)
        else:
            index += 1
    return out


def _infos_of_profile(tariffs: Tariffs, profile: RatingProfile,
                      query: RatingQuery) -> list[RatingInfo]:
    infos: list[RatingInfo] = []
    day = local_day(query.start_ns, query.tz)
    for index, act in enumerate(profile.active_for(query.start_ns, query.end_ns)):
        plan = tariffs.plans.get(act.plan_id)
        if plan is None:
            continue
        match = _match_destination(tariffs, plan.id, query.destination, day)
        if index == 0 and query.start_ns < act.time_ns:
            any_key = profile_key(query.tenant, query.category, ANY)
            infos.append(RatingInfo(query.start_ns, fallback_keys=(any_key,)))
        if match is not None:
            prefix, dest_id, intervals = match
            infos.append(RatingInfo(act.time_ns, profile.key, plan.id, prefix, dest_id,
                                    intervals, act.fallback_keys))
        elif act.fallback_keys:
            infos.append(RatingInfo(act.time_ns, fallback_keys=act.fallback_keys))
    return infos


def _match_destination(tariffs: Tariffs, plan_id: str, destination: str,
                       day: LocalDay) -> tuple[str, str, tuple[RateInterval, ...]] | None:
    """Longest prefix whose destinations the plan prices with a timing active now; else *any."""
    plan = tariffs.plans[plan_id]
    if destination not in (ANY, ""):
        best = None
        best_prefix = ""
        for prefix, dest_id, entry in tariffs.prefix_candidates(plan, destination):
            if best is not None and prefix != best_prefix:
                break
            if (best is None or entry.weight > best[2].weight) and entry.active_at(day):
                best = (prefix, dest_id, entry)
                best_prefix = prefix
        if best is not None:
            return best[0], best[1], best[2].intervals
    any_entry = plan.destinations.get(ANY)
    if any_entry is None:
        return None
    return ANY, ANY, any_entry.intervals
