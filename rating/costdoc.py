"""A compact, storable form of a CallCost: what a debit transaction remembers.

The store keeps the result of every debit under its debit id so that a retry returns the
first answer; this form is small (rate intervals listed once, increments as arrays) so that
remembering it costs little. ``from_doc`` rebuilds an equal CallCost (rate intervals become
detached copies, equal in every field).
"""

from __future__ import annotations

from datetime import UTC, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from . import money
from .callcost import CallCost, rate_interval_from_json, summary_from_json
from .spans import Increment, MonetaryInfo, TimeSpan, UnitInfo
from .tariffs import RateInterval

VERSION = 1


def _tz_doc(tz: tzinfo) -> Any:
    if isinstance(tz, timezone):
        offset = tz.utcoffset(None)
        return int(offset.total_seconds())
    return getattr(tz, "key", 0)


def _tz_from(doc: Any) -> tzinfo:
    if isinstance(doc, int):
        return UTC if doc == 0 else timezone(timedelta(seconds=doc))
    try:
        return ZoneInfo(str(doc))
    except (ValueError, KeyError):
        return UTC


class _Intervals:
    def __init__(self) -> None:
        self.docs: list[dict[str, Any]] = []
        self.index: dict[int, int] = {}

    def ref(self, ri: RateInterval | None) -> int:
        if ri is None:
            return -1
        found = self.index.get(id(ri))
        if found is None:
            found = len(self.docs)
            self.docs.append(ri.to_doc())
            self.index[id(ri)] = found
        return found


def _inc_doc(inc: Increment, ris: _Intervals) -> list[Any]:
    unit = inc.unit
    mon = inc.monetary
    return [inc.duration, money.to_str(inc.cost), inc.count,
            None if unit is None else [unit.uuid, unit.id, money.to_str(unit.value),
                                       unit.destination_id, money.to_str(unit.consumed),
                                       unit.tor, ris.ref(unit.rate_interval)],
            None if mon is None else [mon.uuid, mon.id, money.to_str(mon.value),
                                      ris.ref(mon.rate_interval)],
            inc.account_id]


def to_doc(cc: CallCost) -> dict[str, Any]:
    """The compact JSON-compatible document of a CallCost."""
    ris = _Intervals()
    spans = [[ts.start, ts.end, ts.duration_index, ris.ref(ts.rate_interval),
              money.to_str(ts.cost), [_inc_doc(i, ris) for i in ts.increments],
              None if ts.round_increment is None else _inc_doc(ts.round_increment, ris),
              ts.matched_subject, ts.matched_prefix, ts.matched_dest_id, ts.rating_plan_id]
             for ts in cc.Timespans]
    return {"V": VERSION, "Head": [cc.Category, cc.Tenant, cc.Subject, cc.Account,
                                   cc.Destination, cc.ToR],
            "Cost": money.to_str(cc.Cost), "TZ": _tz_doc(cc.tz), "RI": ris.docs, "TS": spans,
            "AccountSummary": _summary_doc(cc.AccountSummary)}


def _summary_doc(summary: dict[str, Any] | None) -> dict[str, Any] | None:
    if summary is None:
        return None
    out = dict(summary)
    out["BalanceSummaries"] = [dict(b, Value=money.to_str(b["Value"]))
                               for b in summary["BalanceSummaries"]]
    return out


def _inc_from(doc: list[Any], ris: list[RateInterval]) -> Increment:
    def ri(index: int) -> RateInterval | None:
        return None if index < 0 else ris[index]

    u, m = doc[3], doc[4]
    unit = None if u is None else UnitInfo(u[0], u[1], money.to_decimal(u[2]), u[3],
                                           money.to_decimal(u[4]), u[5], ri(u[6]))
    mon = None if m is None else MonetaryInfo(m[0], m[1], money.to_decimal(m[2]), ri(m[3]))
    return Increment(int(doc[0]), money.to_decimal(doc[1]), int(doc[2]), unit, mon, doc[5])


def from_doc(doc: dict[str, Any]) -> CallCost:
    """Rebuild the CallCost a document was made from."""
    if doc.get("V") != VERSION:
        raise ValueError(f"unknown CallCost document version {doc.get('V')!r}")
    ris = [rate_interval_from_json(d) for d in doc["RI"]]
    spans = []
    for t in doc["TS"]:
        spans.append(TimeSpan(int(t[0]), int(t[1]), int(t[2]), None if t[3] < 0 else ris[t[3]],
                              [_inc_from(i, ris) for i in t[5]], money.to_decimal(t[4]),
                              None if t[6] is None else _inc_from(t[6], ris), t[7], t[8], t[9],
                              t[10]))
    head = doc["Head"]
    return CallCost(head[0], head[1], head[2], head[3], head[4], head[5],
                    money.to_decimal(doc["Cost"]), spans,
                    summary_from_json(doc.get("AccountSummary")), _tz_from(doc["TZ"]))
