"""The CDR of a metered call, in CGRateS's CDR field names (SPEC.md G.8).

One clearly separated step of settlement: given a session record, the final usage and the
cost, build the document the store keeps (``Store.append_cdrs`` or ``Commit.cdrs``).
Identity is (CGRID, RunID), so writing it again replaces it: settling twice writes one CDR.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from . import money
from .sessions import DEFAULT_RUN, VOICE, SessionRecord
from .timeutil import ZERO_TIME_NS, format_time

SOURCE = "FS_CHANNEL_HANGUP_COMPLETE"
COST_SOURCE_SESSIONS = "*sessions"
COST_SOURCE_CDRS = "*cdrs"
#: CGRateS's Cost of a CDR that was not rated.
UNRATED = Decimal(-1)


@dataclass(frozen=True, slots=True)
class CdrFacts:
    """What the settlement learnt: final usage, cost and where the cost came from."""

    usage: int
    cost: Decimal
    cost_source: str
    order_time_ns: int
    extra_info: str = ""
    disconnect_cause: str = ""


def call_cdr(rec: SessionRecord, facts: CdrFacts) -> dict[str, Any]:
    """The CDR document of a call (JSON, money as a Decimal string)."""
    extra = dict(rec.extra)
    if facts.disconnect_cause:
        extra.setdefault("DisconnectCause", facts.disconnect_cause)
    return {
        "CGRID": rec.cgrid, "RunID": DEFAULT_RUN, "OrderID": facts.order_time_ns,
        "OrderTime": facts.order_time_ns, "OriginHost": rec.origin_host, "Source": SOURCE,
        "OriginID": rec.origin_id, "ToR": VOICE, "RequestType": rec.request_type,
        "Tenant": rec.tenant, "Category": rec.category, "Account": rec.account,
        "Subject": rec.subject, "Destination": rec.destination,
        "SetupTime": format_time(rec.setup_ns or ZERO_TIME_NS),
        "AnswerTime": format_time(rec.answer_ns or ZERO_TIME_NS),
        "Usage": facts.usage, "ExtraFields": extra, "ExtraInfo": facts.extra_info,
        "Partial": False, "PreRated": False, "CostSource": facts.cost_source,
        "Cost": money.to_str(facts.cost), "CostDetails": None,
    }
