"""Live call sessions: the record of a metered call and the arithmetic of its debits.

Pure code: no clock, no I/O, no random. The FreeSWITCH agent passes times in, persists
``SessionRecord.to_doc()`` in the store, and calls the engine with the descriptors built
here; ``rating.settlement`` settles a record at hangup (``rating.charged`` holds what the
debits took).

Times are epoch nanoseconds, durations nanoseconds, offsets nanoseconds since the answer.
A prepaid call is debited in *windows*: debit ``seq`` covers the call up to offset
``(seq + 1) * interval`` (from what is already reserved), is due at offset
``seq * interval - lead``, and has the id ``<OriginID>:<seq>`` so that a retried or
replayed debit is applied once (the store remembers transaction ids).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from . import money
from .callcost import CallCost
from .calldesc import CallDescriptor
from .charged import ChargedRun, merge_run, runs_of
from .timeutil import SECOND

PREPAID = "*prepaid"
PSEUDOPREPAID = "*pseudoprepaid"
POSTPAID = "*postpaid"
RATED = "*rated"
NONE = "*none"
REQUEST_TYPES = (PREPAID, PSEUDOPREPAID, POSTPAID, RATED, NONE)
#: Request types whose credit is checked when the call is authorized.
CREDIT_CHECKED = (PREPAID, PSEUDOPREPAID)
DEFAULT_RUN = "*default"
VOICE = "*voice"

# Session states.
AUTHORIZED = "authorized"  # parked and authorized, not answered yet
ACTIVE = "active"  # answered; prepaid ones are being debited
EXHAUSTED = "exhausted"  # a debit granted less than asked: cut at reserved end


def cgrid(origin_id: str, origin_host: str) -> str:
    """CGRateS's CGRID: sha1 of OriginID + OriginHost, in hex."""
    return hashlib.sha1((origin_id + origin_host).encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- the record


@dataclass(slots=True)
class SessionRecord:
    """What callmeter knows about one metered call; persisted as a "session" document."""

    origin_id: str  # FreeSWITCH Unique-ID
    origin_host: str  # the switch's alias
    request_type: str
    tenant: str
    category: str
    account: str
    subject: str
    destination: str
    setup_ns: int
    debit_interval: int
    answer_ns: int = 0  # epoch ns of the answer (0: not answered)
    anchor_ns: int = 0  # local epoch ns the debit schedule counts from
    max_usage: int = 0  # authorized at park (ns; -1 unlimited)
    reserved: int = 0  # offset up to which the call is paid for
    next_seq: int = 0
    cost: Decimal = money.ZERO  # what the debits charged so far
    runs: list[ChargedRun] = field(default_factory=list)
    state: str = AUTHORIZED
    backstop_s: int = 0  # epoch second of the switch-side hangup in force (0: none)
    owner: str = ""  # node id of the callmeter that meters the call
    updated_ns: int = 0
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def cgrid(self) -> str:
        return cgrid(self.origin_id, self.origin_host)

    @property
    def account_key(self) -> str:
        return f"{self.tenant}:{self.account}"

    @property
    def reserved_until_ns(self) -> int:
        """Epoch ns (on the schedule's clock) at which the paid time runs out."""
        return self.anchor_ns + self.reserved

    def to_doc(self) -> dict[str, Any]:
        """The stored document (JSON without floats)."""
        return {
            "OriginID": self.origin_id, "OriginHost": self.origin_host,
            "RequestType": self.request_type, "Tenant": self.tenant,
            "Category": self.category, "Account": self.account, "Subject": self.subject,
            "Destination": self.destination, "SetupTime": self.setup_ns,
            "DebitInterval": self.debit_interval, "AnswerTime": self.answer_ns,
            "Anchor": self.anchor_ns, "MaxUsage": self.max_usage, "Reserved": self.reserved,
            "NextSeq": self.next_seq, "Cost": money.to_str(self.cost),
            "Runs": [r.to_json() for r in self.runs], "State": self.state,
            "Backstop": self.backstop_s, "Owner": self.owner, "Updated": self.updated_ns,
            "Extra": dict(self.extra),
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> SessionRecord:
        """Read a stored document back; a malformed one raises ValueError."""
        try:
            return cls(
                str(doc["OriginID"]), str(doc["OriginHost"]), str(doc["RequestType"]),
                str(doc["Tenant"]), str(doc["Category"]), str(doc["Account"]),
                str(doc["Subject"]), str(doc["Destination"]), int(doc["SetupTime"]),
                int(doc["DebitInterval"]), int(doc.get("AnswerTime") or 0),
                int(doc.get("Anchor") or 0), int(doc.get("MaxUsage") or 0),
                int(doc.get("Reserved") or 0), int(doc.get("NextSeq") or 0),
                money.to_decimal(doc.get("Cost") or "0"),
                [ChargedRun.from_json(r) for r in doc.get("Runs") or ()],
                str(doc.get("State") or AUTHORIZED), int(doc.get("Backstop") or 0),
                str(doc.get("Owner") or ""), int(doc.get("Updated") or 0),
                {str(k): str(v) for k, v in (doc.get("Extra") or {}).items()})
        except (KeyError, TypeError, IndexError) as exc:
            raise ValueError(f"malformed session document: {exc!r}") from None


# --------------------------------------------------------------------------- debits


def debit_window(rec: SessionRecord, seq: int) -> tuple[int, int]:
    """(start, end) offsets debit `seq` should pay; start >= end means nothing is due."""
    return rec.reserved, (seq + 1) * rec.debit_interval


def debit_due(rec: SessionRecord, seq: int, lead: int) -> int:
    """Offset at which debit `seq` is due (the first one at the answer, no lead)."""
    if seq <= 0:
        return 0
    return max(0, seq * rec.debit_interval - lead)


def debit_lead(interval: int) -> int:
    """How early a debit runs before its window opens: half the interval, at most 1 s.

    Debiting ahead means a short grant is known before the paid time ends, so the cut-off
    can be timed exactly instead of being late by the debit's own latency (which grows
    when many calls of one account contend for it).
    """
    return min(interval // 2, SECOND)


def call_descriptor(rec: SessionRecord, start: int, end: int, loop_index: int) -> CallDescriptor:
    """The CallDescriptor of the stretch [start, end) of the call (offsets from answer)."""
    return CallDescriptor(
        Category=rec.category, Tenant=rec.tenant, Subject=rec.subject, Account=rec.account,
        Destination=rec.destination, TimeStart=rec.answer_ns + start,
        TimeEnd=rec.answer_ns + end, LoopIndex=Decimal(loop_index), DurationIndex=end,
        ToR=VOICE, MaxCostSoFar=rec.cost, CgrID=rec.cgrid, RunID=DEFAULT_RUN)


def debit_descriptor(rec: SessionRecord, seq: int) -> CallDescriptor:
    """What debit `seq` asks MaxDebit for (LoopIndex 0 only for the first: the connect fee)."""
    start, end = debit_window(rec, seq)
    return call_descriptor(rec, start, end, seq)


def remainder_descriptor(rec: SessionRecord, horizon: int) -> CallDescriptor:
    """Max-session-time question: how much of `horizon` after the paid time can be paid."""
    return call_descriptor(rec, rec.reserved, rec.reserved + horizon, max(1, rec.next_seq))


@dataclass(frozen=True, slots=True)
class Grant:
    """What one debit gave: asked and granted durations, and whether the call must end."""

    seq: int
    asked: int
    granted: int
    cost: Decimal
    exhausted: bool
    runs: tuple[ChargedRun, ...] = ()


def apply_debit(rec: SessionRecord, seq: int, cc: CallCost) -> Grant:
    """Record debit `seq`'s CallCost: reserve what it paid, keep its runs for refunds.

    A grant shorter than asked (or a MaxCost *disconnect) exhausts the session: the call
    must end when the reserved time ends.
    """
    start, end = debit_window(rec, seq)
    asked = max(0, end - start)
    granted = cc.rated_usage
    taken = runs_of(cc)
    for run in taken:
        merge_run(rec.runs, run)
    rec.reserved += granted
    rec.cost += cc.Cost
    rec.next_seq = seq + 1
    exhausted = granted < asked or cc.max_cost_disconnect
    if exhausted:
        rec.state = EXHAUSTED
    return Grant(seq, asked, granted, cc.Cost, exhausted, tuple(taken))


def skip_debit(rec: SessionRecord, seq: int) -> None:
    """Debit `seq` has nothing to pay (earlier increments already cover its window)."""
    rec.next_seq = seq + 1


def backstop_second(end_ns: int, margin: int) -> int:
    """Epoch second for "sched_hangup <epoch>": at or after end + margin.

    FreeSWITCH runs a task once the current whole epoch second reaches its runtime, so an
    absolute runtime never fires before it; rounding up keeps it after the paid time.
    """
    total = end_ns + margin
    return -(-total // SECOND)


def relative_backstop(max_usage: int, margin: int) -> int:
    """Seconds for "sched_hangup +<s>" armed at answer, never cutting paid time.

    "+N" is counted from the current whole second, so it can fire up to a second early:
    one second more than the whole seconds of the allowed time (plus the margin).
    """
    return -(-(max_usage + margin) // SECOND) + 1


def usage_from_event(billmsec: str | None, billsec: str | None) -> int | None:
    """The call's usage in ns: billmsec (exact), else billsec (whole seconds); None if neither."""
    for value, scale in ((billmsec, 1_000_000), (billsec, SECOND)):
        if value is not None and value.strip().lstrip("-").isdigit():
            return max(0, int(value.strip())) * scale
    return None
