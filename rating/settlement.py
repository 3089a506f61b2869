"""Ending a metered call: one account transaction that settles it and writes its CDR.

Prepaid (SPEC.md G.8, C.5): the debits reserved time ahead; at hangup the increments lying
wholly after the used time are refunded (EventCost.Trim), time used beyond the reservation
is debited with MaxDebit (so a prepaid account never goes below zero unless it allows it;
what it cannot pay is *written off* and reported), the cost is rounded per rate, and the
CDR is written in the same commit. The transaction id is ``<OriginID>:settle``: settling
again (a duplicated HANGUP_COMPLETE, a restart half-way) returns the first result and
changes nothing.

Postpaid and pseudoprepaid calls are charged in one Debit (may go negative), rated calls
only priced (SPEC.md G.3).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from . import charging, money
from .accounts import Account
from .callcdr import COST_SOURCE_CDRS, COST_SOURCE_SESSIONS, UNRATED, CdrFacts, call_cdr
from .calldesc import CallDescriptor
from .engine import Engine
from .errors import AccountNotFound, RatingError
from .sessions import (
    ChargedRun,
    SessionRecord,
    call_descriptor,
    merge_run,
    rounding,
    runs_of,
    trim,
)
from .store.base import JSON, Commit
from .tariffs import Tariffs

SETTLE_SUFFIX = ":settle"


@dataclass(frozen=True, slots=True)
class Settlement:
    """How a call ended in money: final usage and cost, refunds, extra debit, write-off."""

    usage: int
    cost: Decimal
    refunded: Decimal = money.ZERO
    extra_cost: Decimal = money.ZERO
    written_off: int = 0  # ns of usage nobody paid for (prepaid account out of money)
    error: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"Usage": self.usage, "Cost": money.to_str(self.cost),
                "Refunded": money.to_str(self.refunded),
                "ExtraCost": money.to_str(self.extra_cost), "WrittenOff": self.written_off,
                "Error": self.error}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Settlement:
        return cls(int(data["Usage"]), money.to_decimal(data["Cost"]),
                   money.to_decimal(data["Refunded"]), money.to_decimal(data["ExtraCost"]),
                   int(data["WrittenOff"]), str(data.get("Error") or ""))


def settle_id(rec: SessionRecord) -> str:
    return rec.origin_id + SETTLE_SUFFIX


def settle_prepaid(engine: Engine, rec: SessionRecord, used: int, *, cause: str = "",
                   order_time_ns: int | None = None) -> Settlement:
    """Settle a prepaid session at `used` ns of talk time (see the module docstring)."""
    now = engine.now_ns()
    order = order_time_ns or now
    tariffs = engine.tariffs()
    new_uuid = engine.new_id()
    extra_cd = None
    if used > rec.reserved:
        extra_cd = engine.prepare(call_descriptor(rec, rec.reserved, used, max(1, rec.next_seq)))

    def txn(doc: JSON | None) -> Commit:
        if doc is None:
            raise AccountNotFound(rec.account_key)
        account = Account.from_doc(doc)
        cut = trim(rec.runs, used)
        charging.refund_increments(account, [r.to_increment() for r in cut.refund], "*voice",
                                   engine.settings)
        kept = list(cut.kept)
        extra_cost, written_off, error = money.ZERO, 0, ""
        if extra_cd is not None:
            extra_cost, written_off, error = _extra(engine, account, extra_cd, tariffs,
                                                    new_uuid, kept)
        corrections = rounding(kept)
        charging.refund_rounding(account, corrections, engine.settings)
        cost = (sum((r.total_cost for r in kept), money.ZERO)
                + sum((c.cost for c in corrections), money.ZERO))
        result = Settlement(used, cost, cut.refund_cost, extra_cost, written_off, error)
        account.UpdateTime = now
        facts = CdrFacts(used, cost, COST_SOURCE_SESSIONS, order, error, cause)
        return Commit(account.to_doc(), result.to_json(), cdrs=[call_cdr(rec, facts)])

    try:
        done = engine.store.transact(rec.account_key, txn, settle_id(rec))
    except AccountNotFound as exc:
        # The account is gone: nothing to refund or charge, but the call happened.
        facts = CdrFacts(used, rec.cost, COST_SOURCE_SESSIONS, order, str(exc), cause)
        engine.store.append_cdrs([call_cdr(rec, facts)])
        return Settlement(used, rec.cost, error=str(exc))
    return Settlement.from_json(done)


def _extra(engine: Engine, account: Account, cd: CallDescriptor, tariffs: Tariffs,
           new_uuid: str, kept: list[ChargedRun]) -> tuple[Decimal, int, str]:
    """MaxDebit the time used beyond the reservation; (cost, ns written off, error)."""
    missing = cd.duration
    try:
        cc = charging.max_debit(account, tariffs, cd, engine.settings, new_uuid=new_uuid)
    except RatingError as exc:
        return money.ZERO, missing, str(exc)
    for run in runs_of(cc):
        merge_run(kept, run)
    return cc.Cost, max(0, missing - cc.rated_usage), ""


def charge_call(engine: Engine, rec: SessionRecord, used: int, *, cause: str = "",
                order_time_ns: int | None = None) -> Settlement:
    """Postpaid / pseudoprepaid: Debit the whole call (may go negative), with rounding."""
    now = engine.now_ns()
    order = order_time_ns or now
    tariffs = engine.tariffs()
    new_uuid = engine.new_id()
    cd = engine.prepare(call_descriptor(rec, 0, used, 0))

    def txn(doc: JSON | None) -> Commit:
        if doc is None:
            raise AccountNotFound(rec.account_key)
        account = Account.from_doc(doc)
        cc = charging.debit(account, tariffs, cd, engine.settings, dry_run=False,
                            go_negative=True, new_uuid=new_uuid)
        charging.perform_rounding(account, cc, engine.settings)
        account.UpdateTime = now
        result = Settlement(used, cc.Cost)
        facts = CdrFacts(used, cc.Cost, COST_SOURCE_CDRS, order, "", cause)
        return Commit(account.to_doc(), result.to_json(), cdrs=[call_cdr(rec, facts)])

    try:
        done = engine.store.transact(rec.account_key, txn, settle_id(rec))
    except RatingError as exc:
        facts = CdrFacts(used, UNRATED, COST_SOURCE_CDRS, order, str(exc), cause)
        engine.store.append_cdrs([call_cdr(rec, facts)])
        return Settlement(used, UNRATED, error=str(exc))
    return Settlement.from_json(done)


def rate_call(engine: Engine, rec: SessionRecord, used: int, *, cause: str = "",
              order_time_ns: int | None = None) -> Settlement:
    """Rated: price the call (no account), write the CDR."""
    order = order_time_ns or engine.now_ns()
    try:
        cost = engine.get_cost(call_descriptor(rec, 0, used, 0)).Cost
        error = ""
    except RatingError as exc:
        cost, error = UNRATED, str(exc)
    facts = CdrFacts(used, cost, COST_SOURCE_CDRS, order, error, cause)
    engine.store.append_cdrs([call_cdr(rec, facts)])
    return Settlement(used, cost, error=error)


def record_unanswered(engine: Engine, rec: SessionRecord, *, cause: str = "",
                      order_time_ns: int | None = None) -> Settlement:
    """A call that never answered: nothing charged; its CDR says so (usage 0, cost 0)."""
    order = order_time_ns or engine.now_ns()
    facts = CdrFacts(0, money.ZERO, COST_SOURCE_SESSIONS, order, "", cause)
    engine.store.append_cdrs([call_cdr(rec, facts)])
    return Settlement(0, money.ZERO)
