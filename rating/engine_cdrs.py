"""Engine methods for CDRs: storing call CDRs and answering GetCDRs / CountCDRs."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .cdr_query import count_cdrs, filter_from_args, find_cdrs
from .cdrs import DEFAULT_RUN, NOT_RATED, Cdr, cgr_id
from .engine_base import EngineBase
from .errors import MandatoryIEMissing, NotFound
from .timeutil import parse_api_time, to_ns


class CdrsApi(EngineBase):
    """CDR storage and queries (mixed into Engine)."""

    def store_cdrs(self, cdrs: list[Cdr]) -> None:
        """Write CDRs; one with the CGRID and RunID of a stored one replaces it."""
        self.store.append_cdrs([c.to_doc() for c in cdrs])

    def query_cdrs(self, cdr_filter: Mapping[str, Any], *, v1: bool = False) -> list[Cdr]:
        """The CDRs a GetCDRs filter selects (v1 AttrGetCdrs or v2 RPCCDRsFilter)."""
        f = filter_from_args(cdr_filter, v1=v1, now_ns=self.now_ns(), tz=self.timezone)
        return find_cdrs(self.store, f)

    def get_cdrs(self, cdr_filter: Mapping[str, Any], v1: bool = False) -> list[dict[str, Any]]:
        """APIerSv1/2.GetCDRs: ExternalCDRs; NOT_FOUND when none matches (v0.10)."""
        found = self.query_cdrs(cdr_filter, v1=v1)
        if not found:
            raise NotFound("no CDR matches")
        return [c.to_external() for c in found]

    def get_cdr_event_cost(self, cgr_id: str, run_id: str = DEFAULT_RUN) -> Any:
        """APIerSv1.GetEventCost {CgrId, RunId}: the EventCost of that CDR; NOT_FOUND when
        there is no such CDR or it carries no cost details."""
        found = self.query_cdrs({"CGRIDs": [cgr_id], "RunIDs": [run_id or DEFAULT_RUN]})
        if not found or found[0].CostDetails is None:
            raise NotFound(f"event cost {cgr_id} {run_id}")
        return found[0].CostDetails

    def count_cdrs(self, cdr_filter: Mapping[str, Any]) -> int:
        """APIerSv2.CountCDRs: how many CDRs match (Limit/Offset ignored)."""
        f = filter_from_args(cdr_filter, v1=False, now_ns=self.now_ns(), tz=self.timezone)
        return count_cdrs(self.store, f)

    def process_cdr(self, fields: Mapping[str, Any]) -> str:
        """CDRsV1.ProcessCDR: store a CDR as given (it is not rated here: CDRs of calls
        callmeter charged are written at settlement; others keep the Cost they carry).

        CGRID defaults to sha1(OriginID + OriginHost), RunID to ``*default``.
        """
        get = fields.get
        if not get("OriginID") and not get("CGRID"):
            raise MandatoryIEMissing(["OriginID"])
        now = self.now_ns()
        times = {k: self._cdr_time(get(k)) for k in ("SetupTime", "AnswerTime")}
        cost = get("Cost")
        cdr = Cdr(CGRID=get("CGRID") or cgr_id(get("OriginID") or "", get("OriginHost") or ""),
                  RunID=get("RunID") or DEFAULT_RUN, OrderID=now,
                  OriginHost=get("OriginHost") or "", Source=get("Source") or "",
                  OriginID=get("OriginID") or "", ToR=get("ToR") or "*voice",
                  RequestType=get("RequestType") or "",
                  Tenant=get("Tenant") or self.default_tenant,
                  Category=get("Category") or self.default_category,
                  Account=get("Account") or "", Subject=get("Subject") or get("Account") or "",
                  Destination=get("Destination") or "", SetupTime=times["SetupTime"],
                  AnswerTime=times["AnswerTime"], Usage=int(get("Usage") or 0),
                  ExtraFields={str(k): str(v) for k, v in (get("ExtraFields") or {}).items()},
                  ExtraInfo=get("ExtraInfo") or "", Partial=bool(get("Partial")),
                  PreRated=bool(get("PreRated")), CostSource=get("CostSource") or "",
                  Cost=NOT_RATED if cost is None else cost,
                  CostDetails=get("CostDetails"), OrderTime=now)
        self.store_cdrs([cdr])
        return "OK"

    def _cdr_time(self, value: Any) -> int | None:
        if value is None or value == "":
            return None
        if isinstance(value, datetime):
            return to_ns(value)
        return parse_api_time(str(value), self.now_ns(), self.timezone)[0]
