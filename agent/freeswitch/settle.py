"""CHANNEL_HANGUP_COMPLETE: settle the call exactly once and forget it.

DESIGN.md call flow step 3, SPEC.md G.8. Usage is ``variable_billmsec`` (``billsec`` is a
difference of whole seconds). The settlement is one store transaction with the id
``<uuid>:settle`` (rating/settlement.py), so a HANGUP_COMPLETE delivered twice, on two
connections, or replayed after a restart, changes the account once. A tombstone keeps a
late CHANNEL_ANSWER of an ended call from starting a debit loop. When the store is down
the session is kept and the settlement retried (capped backoff, bounded attempts; after
that the session stays in the store for the next start to settle).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rating import settlement
from rating.errors import RatingError
from rating.sessions import NONE, POSTPAID, PREPAID, PSEUDOPREPAID, RATED
from rating.store.base import StoreError

from . import metrics
from .authorize import new_record
from .fields import CallEvent
from .live import SETTLE_RETRY, LiveSession, event_log

if TYPE_CHECKING:
    from .agent import FreeSwitchAgent

SETTLE_ATTEMPTS = 60
SETTLE_BACKOFF_CAP = 30.0


def hangup_complete(agent: FreeSwitchAgent, ev: CallEvent) -> None:
    """Handle CHANNEL_HANGUP_COMPLETE (see the module docstring)."""
    if agent.is_tombstoned(ev.uuid):
        metrics.SETTLEMENTS.labels("duplicate").inc()
        return
    live = agent.sessions.get(ev.uuid)
    if live is None:
        if ev.request_type == NONE or not ev.answered:
            agent.tombstone(ev.uuid)
            return
        live = LiveSession(new_record(agent, ev), dial=ev.dial)
        live.record.answer_ns = ev.answer_ns
        agent.add_session(live)
        event_log(ev).warning("hangup of a call this callmeter did not meter: charging it now")
    live.cancel_timers()
    agent.tombstone(ev.uuid)
    if not ev.answered:
        live.record.answer_ns = 0
    elif not live.record.answer_ns:  # its ANSWER event is late or lost: it talked anyway
        live.record.answer_ns = ev.answer_ns or ev.received_ns
    usage = ev.usage if ev.usage is not None else live.record.reserved
    finish(agent, live, usage if ev.answered else 0, ev.cause)


def finish(agent: FreeSwitchAgent, live: LiveSession, usage: int, cause: str) -> None:
    """Settle the session at `usage` ns and remove it (retry later if the store is down)."""
    live.settle_usage, live.settle_cause = usage, cause
    rec = live.record
    try:
        done = _settle(agent, live, usage, cause)
    except StoreError as exc:
        _retry(agent, live, exc)
        return
    except RatingError as exc:  # the CDR could not be written either: keep the session doc
        metrics.SETTLEMENTS.labels("error").inc()
        live.log.error("settlement failed: %s; the session stays stored", exc)
        agent.drop_session(live, forget=False)
        return
    if done.written_off:
        metrics.WRITTEN_OFF.inc(done.written_off / 1e9)
        live.log.warning("%.3fs used beyond what the account could pay: written off",
                         done.written_off / 1e9)
    metrics.SETTLEMENTS.labels("error" if done.error else "ok").inc()
    live.log.info("settled %s: usage %.3fs, cost %s%s", rec.request_type, usage / 1e9,
                  done.cost, f" ({done.error})" if done.error else "")
    agent.drop_session(live)


def _settle(agent: FreeSwitchAgent, live: LiveSession, usage: int,
            cause: str) -> settlement.Settlement:
    rec, engine = live.record, agent.engine
    if not rec.answer_ns or (usage <= 0 and rec.request_type != PREPAID):
        return settlement.record_unanswered(engine, rec, cause=cause)
    if rec.request_type == PREPAID:
        return settlement.settle_prepaid(engine, rec, usage, cause=cause)
    if rec.request_type in (POSTPAID, PSEUDOPREPAID):
        return settlement.charge_call(engine, rec, usage, cause=cause)
    if rec.request_type == RATED:
        return settlement.rate_call(engine, rec, usage, cause=cause)
    return settlement.record_unanswered(engine, rec, cause=cause)


def _retry(agent: FreeSwitchAgent, live: LiveSession, exc: Exception) -> None:
    metrics.STORE_ERRORS.labels("settle").inc()
    live.settle_attempts += 1
    if live.settle_attempts > SETTLE_ATTEMPTS:
        metrics.SETTLEMENTS.labels("deferred").inc()
        live.log.error("settlement still impossible after %d tries (%s); left for the next "
                       "start of callmeter", live.settle_attempts, exc)
        agent.drop_session(live, forget=False)
        return
    delay = min(SETTLE_BACKOFF_CAP, 0.5 * 2 ** min(live.settle_attempts, 10))
    live.log.warning("settlement: store unavailable (%s); retry #%d in %.1fs", exc,
                     live.settle_attempts, delay)
    agent.schedule(live, SETTLE_RETRY, agent.clock.mono() + delay)


def retry(agent: FreeSwitchAgent, live: LiveSession) -> None:
    if live.settle_usage is not None:
        finish(agent, live, live.settle_usage, live.settle_cause)
