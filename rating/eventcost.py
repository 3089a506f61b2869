"""EventCost: the compact cost shape APIerSv1.GetCost returns (SPEC.md B.4, E.3).

CGRateS names the shared Rating/Rates/Timings/... entries with random 7-character ids; we
use the first 7 hex digits of a SHA-1 of the entry, so the same call always gives the same
document. Cost is Σ increment costs rounded to the global decimals: the DestinationRate
rounding is *not* applied here (unlike CallCost.Cost).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from . import money
from .callcost import CallCost, jsonable
from .spans import Increment
from .tariffs import RateInterval
from .timeutil import format_time

META_ROUNDING = "*rounding"
META_NONE = "*none"


class _Registry:
    """Content-addressed maps (Rating, Rates, Timings, RatingFilters, Accounting)."""

    def __init__(self) -> None:
        self.maps: dict[str, dict[str, Any]] = {
            "Rating": {}, "Accounting": {}, "RatingFilters": {}, "Rates": {}, "Timings": {}}

    def put(self, kind: str, entry: Any) -> str:
        text = json.dumps(jsonable(entry), sort_keys=True, separators=(",", ":"))
        key = hashlib.sha1(f"{kind}:{text}".encode()).hexdigest()[:7]
        self.maps[kind][key] = entry
        return key

    def rating_id(self, ri: RateInterval | None, filters: dict[str, str]) -> str:
        if ri is None:
            return ""
        rf_id = self.put("RatingFilters", filters)
        tm_id = ""
        if ri.timing is not None:
            tm = ri.timing.to_json()
            tm.pop("EndTime")
            tm_id = self.put("Timings", tm)
        rates_id = ""
        if ri.rating.slots:
            rates_id = self.put("Rates", [s.to_json() for s in ri.rating.slots])
        rt = ri.rating
        return self.put("Rating", {
            "ConnectFee": money.normal(rt.connect_fee), "RoundingMethod": rt.rounding_method,
            "RoundingDecimals": rt.rounding_decimals, "MaxCost": money.normal(rt.max_cost),
            "MaxCostStrategy": rt.max_cost_strategy, "TimingID": tm_id, "RatesID": rates_id,
            "RatingFiltersID": rf_id})

    def accounting_id(self, inc: Increment, filters: dict[str, str], rounded: bool) -> str:
        if inc.unit is None and inc.monetary is None:
            return ""
        rate_id = META_ROUNDING
        extra = ""
        if inc.unit is not None and inc.monetary is not None:
            if not rounded:
                rate_id = self.rating_id(inc.monetary.rate_interval, filters)
            extra = self.put("Accounting", {
                "AccountID": inc.account_id, "BalanceUUID": inc.monetary.uuid,
                "RatingID": rate_id, "Units": money.normal(inc.cost), "ExtraChargeID": ""})
        if inc.unit is not None:
            if not rounded:
                rate_id = self.rating_id(inc.unit.rate_interval, filters)
            return self.put("Accounting", {
                "AccountID": inc.account_id, "BalanceUUID": inc.unit.uuid, "RatingID": rate_id,
                "Units": money.normal(inc.unit.consumed), "ExtraChargeID": extra or META_NONE})
        assert inc.monetary is not None
        if not rounded:
            rate_id = self.rating_id(inc.monetary.rate_interval, filters)
        return self.put("Accounting", {
            "AccountID": inc.account_id, "BalanceUUID": inc.monetary.uuid, "RatingID": rate_id,
            "Units": money.normal(inc.cost), "ExtraChargeID": ""})


def event_cost(cc: CallCost, decimals: int, cgr_id: str = "", run_id: str = "") -> dict[str, Any]:
    """The EventCost JSON shape of a CallCost (Decimal values for the RPC encoder)."""
    reg = _Registry()
    charges = []
    total = money.ZERO
    usage = 0
    for ts in cc.Timespans:
        filters = {"Subject": ts.matched_subject, "DestinationPrefix": ts.matched_prefix,
                   "DestinationID": ts.matched_dest_id, "RatingPlanID": ts.rating_plan_id}
        rating_id = reg.rating_id(ts.rate_interval, filters)
        incs = []
        for inc in ts.increments:
            incs.append(_charging_increment(reg, inc, filters, False))
            total += inc.cost * inc.count
            usage += inc.duration * inc.count
        if ts.round_increment is not None:
            rinc = _charging_increment(reg, ts.round_increment, filters, True)
            rinc["Cost"] = -rinc["Cost"]
            incs.append(rinc)
            total -= ts.round_increment.cost
        charges.append({"RatingID": rating_id, "Increments": incs or None, "CompressFactor": 1})
    start = format_time(cc.Timespans[0].start, cc.tz) if cc.Timespans else format_time(None)
    return {"CGRID": cgr_id, "RunID": run_id, "StartTime": start, "Usage": usage,
            "Cost": money.normal(money.round_middle(total, decimals)),
            "Charges": charges, "AccountSummary": cc.AccountSummary, **reg.maps}


def _charging_increment(reg: _Registry, inc: Increment, filters: dict[str, str],
                        rounded: bool) -> dict[str, Any]:
    return {"Usage": inc.duration, "Cost": money.normal(inc.cost),
            "AccountingID": reg.accounting_id(inc, filters, rounded),
            "CompressFactor": inc.count}
