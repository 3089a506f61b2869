"""Engine methods for CDRs: storing call CDRs and answering GetCDRs / CountCDRs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .cdr_query import count_cdrs, filter_from_args, find_cdrs
from .cdrs import Cdr
from .engine_base import EngineBase
from .errors import NotFound


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

    def count_cdrs(self, cdr_filter: Mapping[str, Any]) -> int:
        """APIerSv2.CountCDRs: how many CDRs match (Limit/Offset ignored)."""
        f = filter_from_args(cdr_filter, v1=False, now_ns=self.now_ns(), tz=self.timezone)
        return count_cdrs(self.store, f)
