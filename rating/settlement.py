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

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from . import cdrs, charging, money
from .accounts import Account
from .calldesc import CallDescriptor
from .charged import ChargedRun, merge_run, rounding, runs_of, trim
from .engine import Engine
from .errors import AccountNotFound, RatingError
from .sessions import SessionRecord, call_descriptor
from .store.base import JSON, Commit
from .tariffs import Tariffs

SETTLE_SUFFIX = ":settle"
#: CDR Source as CGRateS's FreeSWITCH agent sets it ("FS_" + the event's name).
SOURCE = "FS_CHANNEL_HANGUP_COMPLETE"
COST_SOURCE_SESSIONS = "*sessions"
COST_SOURCE_CDRS = "*cdrs"


def session_cdr(rec: SessionRecord, usage: int, cost: Decimal, cost_source: str,
                order_time_ns: int, error: str = "", cause: str = "") -> dict[str, Any]:
    """The stored CDR of a settled call (rating.cdrs builder); DisconnectCause in ExtraFields."""
    extra = dict(rec.extra)
    if cause:
        extra.setdefault("DisconnectCause", cause)
    return cdrs.call_cdr(
        origin_id=rec.origin_id, origin_host=rec.origin_host, order_time=order_time_ns,
        tenant=rec.tenant, account=rec.account, destination=rec.destination,
        setup_time=rec.setup_ns or None, answer_time=rec.answer_ns or None, usage=usage,
        request_type=rec.request_type, category=rec.category, subject=rec.subject,
        source=SOURCE, extra_fields=extra, cost=cost, cost_source=cost_source,
        extra_info=error).to_doc()


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


@dataclass(frozen=True, slots=True)
class _Txn:
    """What a settlement transaction works with, taken once before any retry of it."""

    engine: Engine
    rec: SessionRecord
    now: int
    order: int
    tariffs: Tariffs
    new_uuid: str
    prep: Any

    @classmethod
    def begin(cls, engine: Engine, rec: SessionRecord, order_time_ns: int | None) -> _Txn:
        now = engine.now_ns()
        return cls(engine, rec, now, order_time_ns or now, engine.tariffs(), engine.new_id(),
                   engine.watch_prep())

    def run(self, body: Callable[[Account, Any], Commit], failed: type[RatingError],
            on_failure: Callable[[RatingError], Settlement]) -> Settlement:
        """One account transaction (id ``<OriginID>:settle``): body gets the account and its
        trigger watcher and returns the commit; triggers that fired are followed up after.
        When the transaction raises `failed`, on_failure gives the result instead."""
        watched: list[Any] = []

        def txn(doc: JSON | None) -> Commit:
            if doc is None:
                raise AccountNotFound(self.rec.account_key)
            account = Account.from_doc(doc)
            watcher = self.engine.debit_watcher(account, self.now, self.prep,
                                                self.rec.category, self.rec.destination)
            watched[:] = [watcher]
            return body(account, watcher)

        try:
            done = self.engine.store.transact(self.rec.account_key, txn, settle_id(self.rec))
        except failed as exc:
            return on_failure(exc)
        self.engine.after_watch(watched, self.rec.account_key)
        return Settlement.from_json(done)


def settle_prepaid(engine: Engine, rec: SessionRecord, used: int, *, cause: str = "",
                   order_time_ns: int | None = None) -> Settlement:
    """Settle a prepaid session at `used` ns of talk time (see the module docstring)."""
    txn = _Txn.begin(engine, rec, order_time_ns)
    extra_cd = None
    if used > rec.reserved:
        extra_cd = engine.prepare(call_descriptor(rec, rec.reserved, used, max(1, rec.next_seq)))

    def body(account: Account, watcher: Any) -> Commit:
        cut = trim(rec.runs, used)
        charging.refund_increments(account, [r.to_increment() for r in cut.refund], "*voice",
                                   engine.settings, watcher)
        kept = list(cut.kept)
        extra_cost, written_off, error = money.ZERO, 0, ""
        if extra_cd is not None:
            extra_cost, written_off, error = _extra(engine, account, extra_cd, txn.tariffs,
                                                    txn.new_uuid, kept, watcher)
        corrections = rounding(kept)
        charging.refund_rounding(account, corrections, engine.settings)
        cost = (sum((r.total_cost for r in kept), money.ZERO)
                + sum((c.cost for c in corrections), money.ZERO))
        result = Settlement(used, cost, cut.refund_cost, extra_cost, written_off, error)
        account.UpdateTime = txn.now
        return _commit(engine, account, result, watcher, session_cdr(
            rec, used, cost, COST_SOURCE_SESSIONS, txn.order, error, cause))

    def account_gone(exc: RatingError) -> Settlement:
        # Nothing to refund or charge, but the call happened.
        engine.store.append_cdrs([session_cdr(rec, used, rec.cost, COST_SOURCE_SESSIONS,
                                              txn.order, str(exc), cause)])
        return Settlement(used, rec.cost, error=str(exc))

    return txn.run(body, AccountNotFound, account_gone)


def _commit(engine: Engine, account: Account, result: Settlement, watcher: Any,
            cdr: dict[str, Any]) -> Commit:
    """The account, the result, this call's CDR and what fired triggers produced."""
    effects = engine.watcher_commit(watcher)
    return Commit(account.to_doc(), result.to_json(), cdrs=[cdr, *effects.get("cdrs", [])],
                  outbox=list(effects.get("outbox", [])))


def _extra(engine: Engine, account: Account, cd: CallDescriptor, tariffs: Tariffs,
           new_uuid: str, kept: list[ChargedRun], watcher: Any) -> tuple[Decimal, int, str]:
    """MaxDebit the time used beyond the reservation; (cost, ns written off, error)."""
    missing = cd.duration
    try:
        cc = charging.max_debit(account, tariffs, cd, engine.settings, new_uuid=new_uuid,
                                watcher=watcher)
    except RatingError as exc:
        return money.ZERO, missing, str(exc)
    for run in runs_of(cc):
        merge_run(kept, run)
    return cc.Cost, max(0, missing - cc.rated_usage), ""


def charge_call(engine: Engine, rec: SessionRecord, used: int, *, cause: str = "",
                order_time_ns: int | None = None) -> Settlement:
    """Postpaid / pseudoprepaid: Debit the whole call (may go negative), with rounding."""
    txn = _Txn.begin(engine, rec, order_time_ns)
    cd = engine.prepare(call_descriptor(rec, 0, used, 0))

    def body(account: Account, watcher: Any) -> Commit:
        cc = charging.debit(account, txn.tariffs, cd, engine.settings, dry_run=False,
                            go_negative=True, new_uuid=txn.new_uuid, watcher=watcher)
        charging.perform_rounding(account, cc, engine.settings)
        account.UpdateTime = txn.now
        result = Settlement(used, cc.Cost)
        return _commit(engine, account, result, watcher, session_cdr(
            rec, used, cc.Cost, COST_SOURCE_CDRS, txn.order, "", cause))

    def not_rated(exc: RatingError) -> Settlement:
        engine.store.append_cdrs([session_cdr(rec, used, cdrs.NOT_RATED, COST_SOURCE_CDRS,
                                              txn.order, str(exc), cause)])
        return Settlement(used, cdrs.NOT_RATED, error=str(exc))

    return txn.run(body, RatingError, not_rated)


def rate_call(engine: Engine, rec: SessionRecord, used: int, *, cause: str = "",
              order_time_ns: int | None = None) -> Settlement:
    """Rated: price the call (no account), write the CDR."""
    order = order_time_ns or engine.now_ns()
    try:
        cost = engine.get_cost(call_descriptor(rec, 0, used, 0)).Cost
        error = ""
    except RatingError as exc:
        cost, error = cdrs.NOT_RATED, str(exc)
    engine.store.append_cdrs([session_cdr(rec, used, cost, COST_SOURCE_CDRS, order, error,
                                          cause)])
    return Settlement(used, cost, error=error)


def record_unanswered(engine: Engine, rec: SessionRecord, *, cause: str = "",
                      order_time_ns: int | None = None) -> Settlement:
    """A call that never answered: nothing charged; its CDR says so (usage 0, cost 0)."""
    order = order_time_ns or engine.now_ns()
    engine.store.append_cdrs([session_cdr(rec, 0, money.ZERO, COST_SOURCE_SESSIONS, order,
                                          "", cause)])
    return Settlement(0, money.ZERO)
