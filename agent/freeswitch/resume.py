"""Sessions across restarts, reconnects and shutdowns; routing of per-call timer items.

At start the stored sessions of our switches are loaded and brought up to date: debits a
previous process applied but did not get to persist are replayed from the store's memory
of debit ids (deterministic windows make that exact). Such a session waits, without
debiting, until a sync lists its channel (then its debits resume, catching up) or twice
does not (then it is settled for what was reserved). Nothing is killed on a guess.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

import gevent

from rating import costdoc
from rating.sessions import (
    ACTIVE,
    AUTHORIZED,
    EXHAUSTED,
    PREPAID,
    SessionRecord,
    apply_debit,
    debit_window,
    skip_debit,
)
from rating.store.base import StoreError

from . import authorize, commands, debitloop, metrics, settle
from .live import (
    ABSENT,
    AUTHORIZED_REPLY,
    BACKSTOP_REPLY,
    CONFIRM,
    CUTOFF,
    DEBIT,
    EXISTS_REPLY,
    FORCE,
    KILL_REPLY,
    PRESENT,
    SETTLE_RETRY,
    STOP,
    LiveSession,
    Tick,
)
from .sync import LISTING_LAG, answered

if TYPE_CHECKING:
    from .agent import FreeSwitchAgent

log = logging.getLogger(__name__)

CONFIRMATIONS = 2  # consecutive successful syncs without the channel before it counts as gone
REPLIES = (AUTHORIZED_REPLY, BACKSTOP_REPLY, KILL_REPLY, EXISTS_REPLY)


def tick(agent: FreeSwitchAgent, live: LiveSession, item: Tick) -> None:
    """Run one timer or control item of a call (stale timers are ignored)."""
    kind = item.kind
    if kind in (DEBIT, CUTOFF, CONFIRM, SETTLE_RETRY) and item.token != live.token:
        return
    if kind == DEBIT:
        debitloop.debit(agent, live, item.seq, item.due)
    elif kind == CUTOFF:
        metrics.CUTOFF_LATENESS.observe(max(0.0, agent.clock.mono() - item.due))
        debitloop.cut(agent, live, "exhausted")
    elif kind == CONFIRM:
        debitloop.confirm(agent, live)
    elif kind == SETTLE_RETRY:
        settle.retry(agent, live)
    elif kind == PRESENT:
        present(agent, live, item.data)
    elif kind == ABSENT:
        absent(agent, live, item.due)
    elif kind == FORCE:
        live.log.info("disconnect forced: %s", item.data)
        debitloop.cut(agent, live, "forced")
    elif kind == STOP:
        stopping(agent, live)
    elif kind in REPLIES:
        reply(agent, live, kind, item.data)


def reply(agent: FreeSwitchAgent, live: LiveSession, kind: str, payload: Any) -> None:
    """Replies of commands sent without waiting, handled in the call's order."""
    data, replies = payload
    if kind == AUTHORIZED_REPLY:
        authorize.authorized_reply(agent, live, int(data), replies)
    elif kind == BACKSTOP_REPLY:
        debitloop.backstop_reply(live, int(data), replies)
    elif kind == KILL_REPLY:
        debitloop.kill_reply(live, replies)
    elif kind == EXISTS_REPLY:
        debitloop.exists_reply(agent, live, replies)


# --------------------------------------------------------------------------- loading


def load_sessions(agent: FreeSwitchAgent) -> int:
    """Load the stored sessions of our switches; each waits for a sync to confirm it."""
    from .agent import SESSION_KIND
    loaded = 0
    for alias in agent.switches:
        try:
            ids = agent.store.list_ids(SESSION_KIND, f"{alias}/")
            docs = agent.store.get_many(SESSION_KIND, ids)
        except StoreError as exc:
            log.error("%s: stored sessions not loaded (%s); they wait for the next start",
                      alias, exc)
            continue
        for doc_id, doc in docs.items():
            try:
                record = SessionRecord.from_doc(doc)
            except ValueError as exc:
                log.error("session %s unreadable, skipped: %s", doc_id, exc)
                continue
            live = LiveSession(record, resumed=True, dial=record.destination)
            live.created_mono = 0.0  # known from before this start: syncs may judge it
            replay(agent, live)
            agent.add_session(live)
            loaded += 1
    if loaded:
        log.info("%d stored session(s) loaded; each resumes once its switch lists it", loaded)
    return loaded


def replay(agent: FreeSwitchAgent, live: LiveSession) -> None:
    """Apply debits a previous process made after it last stored this session."""
    rec = live.record
    if rec.request_type != PREPAID or rec.state not in (ACTIVE, EXHAUSTED):
        return
    replayed = 0
    while rec.state == ACTIVE:
        start, end = debit_window(rec, rec.next_seq)
        if start >= end:
            skip_debit(rec, rec.next_seq)
            continue
        try:
            done, result = agent.store.txn_result(rec.account_key,
                                                  f"{rec.origin_id}:{rec.next_seq}")
        except StoreError as exc:
            live.log.warning("debit replay stopped (%s)", exc)
            return
        if not done:
            break
        apply_debit(rec, rec.next_seq, costdoc.from_doc(result))
        replayed += 1
    if replayed:
        live.log.info("replayed %d debit(s) made before the restart", replayed)
        agent.persist(live)


# --------------------------------------------------------------------------- sync results


def present(agent: FreeSwitchAgent, live: LiveSession, row: Any) -> None:
    """A sync listed the channel: it is up; resume what waited for that."""
    paused = live.absent > 0
    live.absent = 0
    rec = live.record
    if paused and not live.resumed and rec.state == ACTIVE and rec.request_type == PREPAID:
        live.log.info("listed again: debits resume")
        agent.schedule(live, DEBIT, agent.clock.mono(), rec.next_seq)
        return
    if rec.state == AUTHORIZED:
        if isinstance(row, dict) and answered(row):
            live.log.info("answered while callmeter was not looking: metering from now")
            now = agent.clock.wall_ns()
            debitloop.start(agent, live, now, now)
        live.resumed = False
        return
    if not live.resumed:
        return
    live.resumed = False
    debitloop.anchor(agent, live)
    live.log.info("resumed after a restart (paid up to %.3fs)", rec.reserved / 1e9)
    if rec.request_type != PREPAID:
        return
    if rec.state == EXHAUSTED:
        agent.schedule(live, CUTOFF, live.mono_at(rec.reserved - agent.settings.cutoff_guard))
    else:
        agent.schedule(live, DEBIT, agent.clock.mono(), rec.next_seq)


def absent(agent: FreeSwitchAgent, live: LiveSession, started: float) -> None:
    """A successful sync did not list the channel; the second one in a row ends it."""
    if live.created_mono >= started - LISTING_LAG or live.settle_usage is not None:
        return
    live.absent += 1
    if live.absent < CONFIRMATIONS:
        # Debits pause until the next sync says whether the call is gone, so a vanished
        # call is not charged for the seconds it takes to be sure.
        live.cancel_timers()
        live.log.info("channel not listed by the switch (1 of %d): debits paused",
                      CONFIRMATIONS)
        return
    rec = live.record
    live.cancel_timers()
    agent.tombstone(live.uuid)
    metrics.HANGUPS.labels("sync").inc()
    if rec.state == AUTHORIZED or not rec.answer_ns:
        live.log.info("channel gone before answer (confirmed by sync)")
        settle.finish(agent, live, 0, "")
        return
    usage = rec.reserved
    if rec.request_type != PREPAID and not live.resumed:
        usage = max(0, live.offset_at(agent.clock.mono()))
    live.log.warning("channel gone without a hangup event (confirmed by %d syncs): settled "
                     "for %.3fs", CONFIRMATIONS, usage / 1e9)
    settle.finish(agent, live, usage, "SYNC_ENDED")


# --------------------------------------------------------------------------- shutdown


def shutdown(agent: FreeSwitchAgent, timeout: float) -> None:
    """SIGTERM: refuse new calls, let work in flight finish, persist, maybe hang up."""
    agent.accepting = False
    deadline = time.monotonic() + max(0.1, timeout)
    for uuid in list(agent.sessions):
        agent.queues.put(uuid, Tick(STOP))
    agent.wait_idle(max(0.05, (deadline - time.monotonic()) * 0.5))
    if agent.config.sessions.hangup_on_shutdown:
        while agent.sessions and time.monotonic() < deadline - 0.1:
            gevent.sleep(0.05)
    for live in list(agent.sessions.values()):
        if live.dirty:
            agent.persist(live)
    log.info("FreeSWITCH agent stopped: %d session(s) left to the next start", len(agent.sessions))


def stopping(agent: FreeSwitchAgent, live: LiveSession) -> None:
    """Shutdown for one call: stop its timers, hang up only if configured, store it if the
    store holds an older copy than replay can bring up to date."""
    live.cancel_timers()
    rec = live.record
    if agent.config.sessions.hangup_on_shutdown and rec.request_type == PREPAID and \
            rec.state in (ACTIVE, EXHAUSTED):
        agent.call_switch(live.alias, [commands.kill(live.uuid, agent.settings.hangup_cause)],
                          live.log, key=live.uuid)
        metrics.HANGUPS.labels("shutdown").inc()
    if live.dirty:
        agent.persist(live)
