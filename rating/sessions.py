"""Live call sessions: the record of a metered call and the arithmetic of its debits.

Pure code: no clock, no I/O, no random. The FreeSWITCH agent passes times in, persists
``SessionRecord.to_doc()`` in the store, and calls the engine with the descriptors built
here; ``rating.settlement`` settles a record at hangup with ``trim`` and ``rounding``.

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
from .spans import Increment, MonetaryInfo, UnitInfo, compress
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


# --------------------------------------------------------------------------- charged runs


@dataclass(slots=True)
class ChargedRun:
    """A run of ``count`` equal increments a debit took, with what a refund needs.

    ``rating`` names the rate the increments were priced with and ``rounding`` its
    DestinationRate rounding, so the call's cost can be rounded per rate at the end.
    """

    duration: int
    cost: Decimal
    count: int
    unit_uuid: str = ""
    unit_consumed: Decimal = money.ZERO
    money_uuid: str = ""
    account_id: str = ""
    rounding_decimals: int = 0
    rounding_method: str = ""
    rating: str = ""

    @property
    def total_duration(self) -> int:
        return self.duration * self.count

    @property
    def total_cost(self) -> Decimal:
        return self.cost * self.count

    def same_kind(self, other: ChargedRun) -> bool:
        """Equal but for the count (so the two can be one run)."""
        return (self.duration, self.cost, self.unit_uuid, self.unit_consumed, self.money_uuid,
                self.account_id, self.rounding_decimals, self.rounding_method, self.rating) == (
            other.duration, other.cost, other.unit_uuid, other.unit_consumed,
            other.money_uuid, other.account_id, other.rounding_decimals,
            other.rounding_method, other.rating)

    def with_count(self, count: int) -> ChargedRun:
        return ChargedRun(self.duration, self.cost, count, self.unit_uuid, self.unit_consumed,
                          self.money_uuid, self.account_id, self.rounding_decimals,
                          self.rounding_method, self.rating)

    def to_increment(self, count: int | None = None) -> Increment:
        """The Increment a refund gives back (balance values are not needed for that)."""
        unit = None
        if self.unit_uuid:
            unit = UnitInfo(self.unit_uuid, "", money.ZERO, "", self.unit_consumed, VOICE)
        monetary = MonetaryInfo(self.money_uuid, "", money.ZERO) if self.money_uuid else None
        return Increment(self.duration, self.cost, self.count if count is None else count,
                         unit, monetary, self.account_id)

    def to_json(self) -> list[Any]:
        """Compact list form (sessions are persisted often)."""
        return [self.duration, money.to_str(self.cost), self.count, self.unit_uuid,
                money.to_str(self.unit_consumed), self.money_uuid, self.account_id,
                self.rounding_decimals, self.rounding_method, self.rating]

    @classmethod
    def from_json(cls, data: list[Any]) -> ChargedRun:
        return cls(int(data[0]), money.to_decimal(data[1]), int(data[2]), str(data[3]),
                   money.to_decimal(data[4]), str(data[5]), str(data[6]), int(data[7]),
                   str(data[8]), str(data[9]))


def runs_of(cc: CallCost) -> list[ChargedRun]:
    """The charged runs of a debit's CallCost, in time order."""
    out: list[ChargedRun] = []
    for ts in cc.Timespans:
        ri = ts.rate_interval
        decimals, method, rating = 0, "", ""
        if ri is not None:
            decimals, method = ri.rating.rounding_decimals, ri.rating.rounding_method
            slot = ri.rating.slot_at(ts.group_start) if ri.rating.slots else None
            rating = "|".join((ts.rating_plan_id, ts.matched_dest_id, ri.rating.rates_id,
                               "" if slot is None else str(slot.group_interval_start)))
        for inc in compress(ts.increments):
            unit, mon = inc.unit, inc.monetary
            merge_run(out, ChargedRun(
                inc.duration, inc.cost, inc.count,
                unit.uuid if unit else "", unit.consumed if unit else money.ZERO,
                mon.uuid if mon else "", inc.account_id, decimals, method, rating))
    return out


def merge_run(runs: list[ChargedRun], run: ChargedRun) -> None:
    """Append run, merging it into the last one when they are of the same kind."""
    if run.count <= 0:
        return
    if runs and runs[-1].same_kind(run):
        runs[-1] = runs[-1].with_count(runs[-1].count + run.count)
    else:
        runs.append(run)


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


def seq_due_at(rec: SessionRecord, offset: int, lead: int) -> int:
    """The highest debit sequence number whose due time is at or before `offset`."""
    if offset < 0 or rec.debit_interval <= 0:
        return 0
    return (offset + lead) // rec.debit_interval


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


def balance_values(summary: dict[str, Any] | None) -> dict[str, Decimal] | None:
    """Balance uuid -> value from an AccountSummary (None when there is none)."""
    if summary is None:
        return None
    return {str(b["UUID"]): money.to_decimal(b["Value"])
            for b in summary.get("BalanceSummaries") or ()}


def only_we_changed(before: dict[str, Decimal] | None, after: dict[str, Decimal] | None,
                    runs: tuple[ChargedRun, ...]) -> bool:
    """True when the account moved from `before` to `after` by exactly this debit.

    Then nothing else (another call, a top-up) touched it since our last debit, so the
    moment this call would exhaust it has not moved and the backstop stays where it is.
    """
    if before is None or after is None:
        return False
    expected = dict(before)
    for run in runs:
        if run.unit_uuid:
            used = run.unit_consumed if run.unit_consumed else Decimal(run.duration)
            expected[run.unit_uuid] = expected.get(run.unit_uuid, money.ZERO) - used * run.count
        if run.money_uuid:
            expected[run.money_uuid] = (expected.get(run.money_uuid, money.ZERO)
                                        - run.cost * run.count)
    return expected == after


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


# --------------------------------------------------------------------------- settlement


@dataclass(frozen=True, slots=True)
class Trim:
    """A session's runs split at the used time: kept (charged) and refunded."""

    kept: list[ChargedRun]
    refund: list[ChargedRun]
    charged_until: int  # offset the kept runs pay up to

    @property
    def refund_cost(self) -> Decimal:
        return sum((r.total_cost for r in self.refund), money.ZERO)

    @property
    def kept_cost(self) -> Decimal:
        return sum((r.total_cost for r in self.kept), money.ZERO)


def trim(runs: list[ChargedRun], used: int) -> Trim:
    """EventCost.Trim: refund only increments lying wholly after `used`.

    The increment straddling the end stays charged; zero-length increments (connect
    fees) are never refunded.
    """
    kept: list[ChargedRun] = []
    refund: list[ChargedRun] = []
    pos = 0
    for run in runs:
        if run.duration <= 0:
            kept.append(run)
            continue
        keep = min(run.count, max(0, -(-(used - pos) // run.duration)))
        if keep:
            kept.append(run.with_count(keep))
        if run.count - keep:
            refund.append(run.with_count(run.count - keep))
        pos += run.total_duration
    charged = sum(r.total_duration for r in kept)
    return Trim(kept, refund, charged)


def rounding(runs: list[ChargedRun]) -> list[Increment]:
    """Rounding increments for the whole call, one per stretch priced by one rate.

    CGRateS rounds each span's cost with its DestinationRate rounding at session end and
    charges the difference to the balance that paid the span's first increment. Here the
    consecutive runs of one rate form that stretch, so the price of a call does not depend
    on how it was cut into debits (it equals the price of rating the call in one piece).
    """
    out: list[Increment] = []
    group: list[ChargedRun] = []
    for run in [*runs, None]:
        if run is not None and group and run.rating == group[0].rating and run.rating:
            group.append(run)
            continue
        if group:
            correction = _group_correction(group)
            if correction:
                first = group[0]
                out.append(Increment(0, correction, 1, None,
                                     MonetaryInfo(first.money_uuid, "", money.ZERO),
                                     first.account_id))
        group = [] if run is None else [run]
    return out


def _group_correction(group: list[ChargedRun]) -> Decimal:
    first = group[0]
    if not first.money_uuid or not first.rating or first.cost == 0:
        return money.ZERO
    cost = sum((r.total_cost for r in group), money.ZERO)
    rounded = money.round_value(cost, first.rounding_decimals, first.rounding_method)
    return rounded - cost


def usage_from_event(billmsec: str | None, billsec: str | None) -> int | None:
    """The call's usage in ns: billmsec (exact), else billsec (whole seconds); None if neither."""
    for value, scale in ((billmsec, 1_000_000), (billsec, SECOND)):
        if value is not None and value.strip().lstrip("-").isdigit():
            return max(0, int(value.strip())) * scale
    return None
