"""Finding CDRs: GetCDRs filters (``RPCCDRsFilter`` v2, ``AttrGetCdrs`` v1) over the store.

The store indexes CDRs by account (``tenant:account``), OriginID, CGRID, RunID and
OrderTime; ``store_query`` narrows the scan with those, and ``CdrFilter.matches`` checks
every other field in memory. Semantics are CGRateS's SQL ones: lists match any value,
``Not*`` lists exclude, ranges are [start, end), ``DestinationPrefixes`` are prefixes,
``ExtraFields`` with an empty value only need the field to exist. OrderID and
CreatedAt/UpdatedAt all read the CDR's OrderTime (when it was made).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

from . import money
from .cdrs import Cdr
from .errors import ServerError
from .store.base import CdrQuery, Store
from .timeutil import TimeFormatError, parse_api_time, parse_duration_ns, to_ns

#: RPCCDRsFilter list field → CDR field.
LIST_FIELDS = {"CGRIDs": "CGRID", "RunIDs": "RunID", "OriginIDs": "OriginID",
               "OriginHosts": "OriginHost", "Sources": "Source", "ToRs": "ToR",
               "RequestTypes": "RequestType", "Tenants": "Tenant", "Categories": "Category",
               "Accounts": "Account", "Subjects": "Subject"}
#: AttrGetCdrs (v1) names → RPCCDRsFilter names.
V1_NAMES = {"CgrIds": "CGRIDs", "MediationRunIds": "RunIDs", "TORs": "ToRs",
            "CdrHosts": "OriginHosts", "CdrSources": "Sources", "ReqTypes": "RequestTypes",
            "Tenants": "Tenants", "Categories": "Categories", "Accounts": "Accounts",
            "Subjects": "Subjects", "DestinationPrefixes": "DestinationPrefixes",
            "OrderIdStart": "OrderIDStart", "OrderIdEnd": "OrderIDEnd",
            "TimeStart": "AnswerTimeStart", "TimeEnd": "AnswerTimeEnd",
            "OrderBy": "OrderBy", "Limit": "Limit", "Offset": "Offset"}
#: Results of one query are bounded: a filter without Limit returns at most this many.
MAX_RESULTS = 10_000
PAGE = 1_000
_ORDER_KEYS = {"OrderID": "OrderID", "AnswerTime": "AnswerTime", "SetupTime": "SetupTime",
               "Usage": "Usage", "Cost": "Cost", "": "OrderTime"}


@dataclass
class CdrFilter:
    """A parsed GetCDRs filter; empty values mean "any"."""

    include: dict[str, frozenset[str]] = field(default_factory=dict)  # CDR field -> values
    exclude: dict[str, frozenset[str]] = field(default_factory=dict)
    prefixes: tuple[str, ...] = ()
    not_prefixes: tuple[str, ...] = ()
    costs: frozenset[Decimal] = frozenset()
    not_costs: frozenset[Decimal] = frozenset()
    extra_fields: dict[str, str] = field(default_factory=dict)
    not_extra_fields: dict[str, str] = field(default_factory=dict)
    ranges: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)
    min_cost: Decimal | None = None
    max_cost: Decimal | None = None
    order_by: str = ""
    descending: bool = False
    limit: int | None = None
    offset: int = 0

    def matches(self, cdr: Cdr) -> bool:
        """Whether the CDR passes every condition."""
        for name, values in self.include.items():
            if getattr(cdr, name) not in values:
                return False
        for name, values in self.exclude.items():
            if getattr(cdr, name) in values:
                return False
        return (self._destination_ok(cdr.Destination) and self._cost_ok(cdr.Cost)
                and self._extra_ok(cdr.ExtraFields) and self._ranges_ok(cdr))

    def _destination_ok(self, destination: str) -> bool:
        if self.prefixes and not destination.startswith(self.prefixes):
            return False
        return not (self.not_prefixes and destination.startswith(self.not_prefixes))

    def _cost_ok(self, cost: Decimal) -> bool:
        if self.costs and cost not in self.costs:
            return False
        if cost in self.not_costs:
            return False
        if self.min_cost == 0 and self.max_cost == -1:  # CGRateS: "skip errors"
            return cost >= 0
        if self.min_cost is not None and cost < self.min_cost:
            return False
        return self.max_cost is None or cost < self.max_cost

    def _extra_ok(self, extra: Mapping[str, str]) -> bool:
        for key, value in self.extra_fields.items():
            if key not in extra or (value and extra[key] != value):
                return False
        return not any(key in extra and (not value or extra[key] == value)
                       for key, value in self.not_extra_fields.items())

    def _ranges_ok(self, cdr: Cdr) -> bool:
        for name, (start, end) in self.ranges.items():
            value = getattr(cdr, name)
            if value is None and (start is not None or end is not None):
                return False
            if start is not None and value < start:
                return False
            if end is not None and value >= end:
                return False
        return True


# -- building a filter from the API arguments -----------------------------------------------

def filter_from_args(args: Mapping[str, Any], *, v1: bool, now_ns: int, tz: tzinfo) -> CdrFilter:
    """Parse GetCDRs arguments (v1 AttrGetCdrs or v2 RPCCDRsFilter) into a CdrFilter.

    A bad time, duration or number raises ServerError (CGRateS: ``SERVER_ERROR: <e>``).
    """
    a = _v2_names(args) if v1 else dict(args)
    f = CdrFilter()
    for name, cdr_field in LIST_FIELDS.items():
        if a.get(name):
            f.include[cdr_field] = frozenset(str(v) for v in a[name])
        if a.get("Not" + name):
            f.exclude[cdr_field] = frozenset(str(v) for v in a["Not" + name])
    f.prefixes = tuple(str(p) for p in a.get("DestinationPrefixes") or ())
    f.not_prefixes = tuple(str(p) for p in a.get("NotDestinationPrefixes") or ())
    f.costs = frozenset(_decimal(c) for c in a.get("Costs") or ())
    f.not_costs = frozenset(_decimal(c) for c in a.get("NotCosts") or ())
    f.extra_fields = {str(k): str(v) for k, v in (a.get("ExtraFields") or {}).items()}
    f.not_extra_fields = {str(k): str(v) for k, v in (a.get("NotExtraFields") or {}).items()}
    _parse_ranges(f, a, now_ns, tz)
    _parse_costs(f, a, v1)
    _parse_order(f, a)
    return f


def _v2_names(args: Mapping[str, Any]) -> dict[str, Any]:
    out = {V1_NAMES[k]: v for k, v in args.items() if k in V1_NAMES}
    out["SkipErrors"], out["SkipRated"] = args.get("SkipErrors"), args.get("SkipRated")
    return out


def _decimal(value: Any) -> Decimal:
    try:
        return money.to_decimal(value)
    except ValueError as exc:
        raise ServerError(str(exc)) from None


def _time(value: Any, now_ns: int, tz: tzinfo) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return to_ns(value)
    try:
        return parse_api_time(str(value), now_ns, tz)[0]
    except TimeFormatError as exc:
        raise ServerError(str(exc)) from None


def _usage(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        return parse_duration_ns(value if isinstance(value, int) else str(value))
    except TimeFormatError as exc:
        raise ServerError(str(exc)) from None


def _parse_ranges(f: CdrFilter, a: Mapping[str, Any], now_ns: int, tz: tzinfo) -> None:
    for prefix, cdr_field in (("SetupTime", "SetupTime"), ("AnswerTime", "AnswerTime"),
                              ("CreatedAt", "OrderTime"), ("UpdatedAt", "OrderTime")):
        start = _time(a.get(prefix + "Start"), now_ns, tz)
        end = _time(a.get(prefix + "End"), now_ns, tz)
        if start is not None or end is not None:
            _narrow(f, cdr_field, start, end)
    if a.get("OrderIDStart") or a.get("OrderIDEnd"):
        _narrow(f, "OrderID", a.get("OrderIDStart") or None, a.get("OrderIDEnd") or None)
    low, high = _usage(a.get("MinUsage")), _usage(a.get("MaxUsage"))
    if low is not None or high is not None:
        _narrow(f, "Usage", low, high)


def _narrow(f: CdrFilter, name: str, start: int | None, end: int | None) -> None:
    old_start, old_end = f.ranges.get(name, (None, None))
    if old_start is not None and (start is None or old_start > start):
        start = old_start
    if old_end is not None and (end is None or old_end < end):
        end = old_end
    f.ranges[name] = (start, end)


def _parse_costs(f: CdrFilter, a: Mapping[str, Any], v1: bool) -> None:
    if v1:
        if a.get("SkipRated"):
            f.max_cost = Decimal(-1)
        elif a.get("SkipErrors"):
            f.min_cost, f.max_cost = Decimal(0), Decimal(-1)
        return
    if a.get("MinCost") is not None:
        f.min_cost = _decimal(a["MinCost"])
    if a.get("MaxCost") is not None:
        f.max_cost = _decimal(a["MaxCost"])


def _parse_order(f: CdrFilter, a: Mapping[str, Any]) -> None:
    order = str(a.get("OrderBy") or "")
    name, _, direction = order.partition(";")
    if name not in _ORDER_KEYS:
        raise ServerError(f"invalid OrderBy {order!r}")
    f.order_by, f.descending = name, direction.strip().lower() == "desc"
    limit, offset = a.get("Limit"), a.get("Offset")
    if limit is not None and (not isinstance(limit, int) or limit < 0):
        raise ServerError(f"invalid Limit {limit!r}")
    f.limit = limit or None
    f.offset = max(0, int(offset or 0))


# -- running it -------------------------------------------------------------------------------

def store_query(f: CdrFilter, limit: int = PAGE) -> CdrQuery:
    """The store query that covers every CDR the filter can match."""
    accounts: tuple[str, ...] = ()
    tenants, names = f.include.get("Tenant"), f.include.get("Account")
    if tenants and names and len(tenants) * len(names) <= 500:
        accounts = tuple(sorted(f"{t}:{n}" for t in tenants for n in names))
    since, until = None, None
    for name in ("OrderTime", "OrderID"):  # OrderID equals OrderTime (see rating/cdrs.py)
        start, end = f.ranges.get(name, (None, None))
        since = start if since is None or (start is not None and start > since) else since
        until = end if until is None or (end is not None and end < until) else until
    return CdrQuery(accounts=accounts, origin_ids=_sorted(f.include.get("OriginID")),
                    cgr_ids=_sorted(f.include.get("CGRID")),
                    run_ids=_sorted(f.include.get("RunID")),
                    since_ns=since, until_ns=until, limit=limit)


def _sorted(values: frozenset[str] | None) -> tuple[str, ...]:
    return tuple(sorted(values)) if values and len(values) <= 500 else ()


def scan(store: Store, f: CdrFilter) -> Iterator[Cdr]:
    """Every stored CDR matching the filter, in OrderTime order."""
    query = store_query(f)
    while True:
        docs, cursor = store.query_cdrs(query)
        for doc in docs:
            cdr = Cdr.from_doc(doc)
            if f.matches(cdr):
                yield cdr
        if cursor is None:
            return
        query = CdrQuery(query.accounts, query.origin_ids, query.cgr_ids, query.run_ids,
                         query.since_ns, query.until_ns, query.limit, cursor)


def find_cdrs(store: Store, f: CdrFilter) -> list[Cdr]:
    """The page of matching CDRs the filter asks for (OrderBy, Offset, Limit applied)."""
    wanted = MAX_RESULTS if f.limit is None else min(f.limit, MAX_RESULTS)
    if not f.order_by and not f.descending:
        out: list[Cdr] = []
        for index, cdr in enumerate(scan(store, f)):
            if index >= f.offset:
                out.append(cdr)
                if len(out) >= wanted:
                    break
        return out
    rows = []
    for cdr in scan(store, f):
        rows.append(cdr)
        if len(rows) > MAX_RESULTS * 10:
            raise ServerError(f"more than {MAX_RESULTS * 10} CDRs to sort; narrow the filter")
    key = _ORDER_KEYS[f.order_by]
    rows.sort(key=lambda c: (getattr(c, key) is not None, getattr(c, key) or 0),
              reverse=f.descending)
    return rows[f.offset:f.offset + wanted]


def count_cdrs(store: Store, f: CdrFilter) -> int:
    """How many stored CDRs match (Offset and Limit ignored)."""
    return sum(1 for _ in scan(store, f))
