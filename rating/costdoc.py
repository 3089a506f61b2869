"""A compact, storable form of a CallCost: what a debit transaction remembers.

The store keeps the result of every debit under its debit id so that a retry returns the
first answer; this form is small (rate intervals and account ids listed once, everything
else as arrays) because it is encoded and checked on every debit. ``from_doc`` rebuilds an
equal CallCost (rate intervals become detached copies, equal in every field) from this
version 2 and from the version 1 documents earlier releases remembered.
"""

from __future__ import annotations

from datetime import UTC, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from . import money
from .callcost import CallCost, rate_interval_from_json, summary_from_json
from .spans import Increment, MonetaryInfo, TimeSpan, UnitInfo
from .tariffs import RateInterval

VERSION = 2
_SUMMARY_KEYS = ("Tenant", "ID", "BalanceSummaries", "AllowNegative", "Disabled")
_BALANCE_KEYS = ("UUID", "ID", "Type", "Value", "Disabled")


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
    """Rate intervals and account ids of a document, each listed once and referenced by
    index."""

    def __init__(self) -> None:
        self.docs: list[Any] = []
        self.index: dict[int, int] = {}
        self.accounts: list[str] = []

    def ref(self, ri: RateInterval | None) -> int:
        if ri is None:
            return -1
        found = self.index.get(id(ri))
        if found is None:
            found = len(self.docs)
            self.docs.append(_ri_compact(ri))
            self.index[id(ri)] = found
        return found

    def account(self, account_id: str) -> int:
        accounts = self.accounts
        for index, known in enumerate(accounts):
            if known == account_id:
                return index
        accounts.append(account_id)
        return len(accounts) - 1


def _ri_compact(ri: RateInterval) -> list[Any]:
    """The interval's stored shape (ri.to_doc()) as arrays, built once per interval."""
    found: list[Any] | None = ri._shapes.get("compact")
    if found is None:
        doc = ri.to_doc()
        tm, rt = doc["Timing"], doc["Rating"]
        timing = None if tm is None else [tm["Years"], tm["Months"], tm["MonthDays"],
                                          tm["WeekDays"], tm["StartTime"], tm["EndTime"]]
        slots = [[r["GroupIntervalStart"], r["Value"], r["RateIncrement"], r["RateUnit"]]
                 for r in rt["Rates"]]
        found = [timing, [rt["ConnectFee"], rt["RoundingMethod"], rt["RoundingDecimals"],
                          rt["MaxCost"], rt["MaxCostStrategy"], slots], doc["Weight"]]
        ri._shapes["compact"] = found
    return found


def _ri_doc(compact: list[Any]) -> dict[str, Any]:
    """The stored RateInterval shape back from its arrays."""
    tm, rt, weight = compact
    timing = None if tm is None else {"Years": tm[0], "Months": tm[1], "MonthDays": tm[2],
                                      "WeekDays": tm[3], "StartTime": tm[4], "EndTime": tm[5]}
    rates = [{"GroupIntervalStart": r[0], "Value": r[1], "RateIncrement": r[2],
              "RateUnit": r[3]} for r in rt[5]]
    return {"Timing": timing, "Rating": {
        "ConnectFee": rt[0], "RoundingMethod": rt[1], "RoundingDecimals": rt[2],
        "MaxCost": rt[3], "MaxCostStrategy": rt[4], "Rates": rates}, "Weight": weight}


def _inc_doc(inc: Increment, ris: _Intervals) -> list[Any]:
    unit = inc.unit
    mon = inc.monetary
    return [inc.duration, money.to_str(inc.cost), inc.count,
            None if unit is None else [unit.uuid, unit.id, money.to_str(unit.value),
                                       unit.destination_id, money.to_str(unit.consumed),
                                       unit.tor, ris.ref(unit.rate_interval)],
            None if mon is None else [mon.uuid, mon.id, money.to_str(mon.value),
                                      ris.ref(mon.rate_interval)],
            ris.account(inc.account_id)]


def to_doc(cc: CallCost) -> dict[str, Any]:
    """The compact JSON-compatible document of a CallCost."""
    ris = _Intervals()
    spans = [[ts.start, ts.end, ts.duration_index, ris.ref(ts.rate_interval),
              money.to_str(ts.cost), [_inc_doc(i, ris) for i in ts.increments],
              None if ts.round_increment is None else _inc_doc(ts.round_increment, ris),
              ts.matched_subject, ts.matched_prefix, ts.matched_dest_id, ts.rating_plan_id]
             for ts in cc.Timespans]
    doc = {"V": VERSION, "Head": [cc.Category, cc.Tenant, cc.Subject, cc.Account,
                                  cc.Destination, cc.ToR],
           "Cost": money.to_str(cc.Cost), "TZ": _tz_doc(cc.tz), "RI": ris.docs,
           "A": ris.accounts, "TS": spans}
    summary = cc.AccountSummary
    if summary is not None and _plain_summary(summary):
        doc["AS"] = [summary["Tenant"], summary["ID"], [
            [b["UUID"], b["ID"], b["Type"], money.to_str(b["Value"]), b["Disabled"]]
            for b in summary["BalanceSummaries"]], summary["AllowNegative"],
            summary["Disabled"]]
    else:
        doc["AccountSummary"] = _summary_doc(summary)
    return doc


def _plain_summary(summary: dict[str, Any]) -> bool:
    """Whether the summary has exactly the shape Account.summary() makes (then it is
    stored as arrays; anything else is stored as it is)."""
    return tuple(summary) == _SUMMARY_KEYS and all(
        tuple(b) == _BALANCE_KEYS and isinstance(b["Value"], Decimal)
        for b in summary["BalanceSummaries"])


def _summary_doc(summary: dict[str, Any] | None) -> dict[str, Any] | None:
    if summary is None:
        return None
    out = dict(summary)
    out["BalanceSummaries"] = [dict(b, Value=money.to_str(b["Value"]))
                               for b in summary["BalanceSummaries"]]
    return out


def _summary_from(doc: dict[str, Any]) -> dict[str, Any] | None:
    compact = doc.get("AS")
    if compact is None:
        return summary_from_json(doc.get("AccountSummary"))
    return summary_from_json({
        "Tenant": compact[0], "ID": compact[1],
        "BalanceSummaries": [dict(zip(_BALANCE_KEYS, b, strict=True)) for b in compact[2]],
        "AllowNegative": compact[3], "Disabled": compact[4]})


def _inc_from(doc: list[Any], ris: list[RateInterval], accounts: list[str] | None) -> Increment:
    def ri(index: int) -> RateInterval | None:
        return None if index < 0 else ris[index]

    u, m = doc[3], doc[4]
    unit = None if u is None else UnitInfo(u[0], u[1], money.to_decimal(u[2]), u[3],
                                           money.to_decimal(u[4]), u[5], ri(u[6]))
    mon = None if m is None else MonetaryInfo(m[0], m[1], money.to_decimal(m[2]), ri(m[3]))
    account_id = doc[5] if accounts is None else accounts[doc[5]]
    return Increment(int(doc[0]), money.to_decimal(doc[1]), int(doc[2]), unit, mon, account_id)


def from_doc(doc: dict[str, Any]) -> CallCost:
    """Rebuild the CallCost a document (version 1 or 2) was made from."""
    version = doc.get("V")
    if version not in (1, VERSION):
        raise ValueError(f"unknown CallCost document version {version!r}")
    if version == 1:
        ris = [rate_interval_from_json(d) for d in doc["RI"]]
        accounts = None
    else:
        ris = [rate_interval_from_json(_ri_doc(d)) for d in doc["RI"]]
        accounts = doc["A"]
    spans = []
    for t in doc["TS"]:
        spans.append(TimeSpan(int(t[0]), int(t[1]), int(t[2]), None if t[3] < 0 else ris[t[3]],
                              [_inc_from(i, ris, accounts) for i in t[5]],
                              money.to_decimal(t[4]),
                              None if t[6] is None else _inc_from(t[6], ris, accounts), t[7],
                              t[8], t[9], t[10]))
    head = doc["Head"]
    return CallCost(head[0], head[1], head[2], head[3], head[4], head[5],
                    money.to_decimal(doc["Cost"]), spans, _summary_from(doc),
                    _tz_from(doc["TZ"]))
