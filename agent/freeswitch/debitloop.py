"""CHANNEL_ANSWER and the debit loop: pay ahead, re-arm the backstop, cut at exhaustion.

DESIGN.md call flow step 2, SPEC.md G.5/G.6. The first debit runs at answer (LoopIndex 0,
with the connect fee); debit ``seq`` then runs at ``seq * interval - lead`` after the answer
(deadlines, so the schedule never drifts), each with the id ``<uuid>:<seq>``. After each
debit the switch-side backstop is moved to where this call would run out of money (what
the account has left plus this call's unused reservation). When a debit grants less than
asked, the call is cut when the paid time ends, by us (``uuid_kill``), a little before the
increment boundary so the billed time stays inside what was paid.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rating.charged import balance_values, only_we_changed
from rating.errors import RatingError
from rating.sessions import (
    ACTIVE,
    AUTHORIZED,
    EXHAUSTED,
    NONE,
    PREPAID,
    apply_debit,
    backstop_second,
    debit_descriptor,
    debit_due,
    debit_window,
    remainder_descriptor,
    skip_debit,
)
from rating.store.base import StoreError
from rating.timeutil import SECOND

from . import commands, metrics
from .authorize import new_live
from .fields import CallEvent
from .live import (
    BACKSTOP_REPLY,
    CONFIRM,
    CUTOFF,
    DEBIT,
    EXISTS_REPLY,
    KILL_REPLY,
    LiveSession,
    event_log,
)

if TYPE_CHECKING:
    from .agent import FreeSwitchAgent

HANGUP_ATTEMPTS = 3
#: A session is stored at answer, on changes, and at least every this many debits (the
#: debits in between are replayed from the store's debit ids after a restart).
PERSIST_EVERY = 6
CONFIRM_AFTER = 1.0  # seconds to wait for the HANGUP event before asking uuid_exists


def answer(agent: FreeSwitchAgent, ev: CallEvent) -> None:
    """Start the session of an answered call (its first debit, for prepaid)."""
    if ev.request_type == NONE:
        return
    live = agent.sessions.get(ev.uuid)
    if live is None:
        live = new_live(agent, ev)
        agent.add_session(live)
        if ev.request_type == PREPAID:
            event_log(ev).warning("prepaid call answered without a park seen by this "
                                  "callmeter: metering from now")
    elif live.record.state != AUTHORIZED:
        return  # a repeated ANSWER
    start(agent, live, ev.answer_ns or ev.received_ns, ev.received_ns)


def start(agent: FreeSwitchAgent, live: LiveSession, answer_ns: int, seen_ns: int) -> None:
    """The call is up since answer_ns (FreeSWITCH's clock): begin metering it."""
    rec = live.record
    rec.answer_ns = answer_ns
    rec.state = ACTIVE
    # The schedule counts from FreeSWITCH's answer time unless the clocks disagree a lot.
    skew = seen_ns - answer_ns
    rec.anchor_ns = answer_ns if -5e9 < skew < 5e9 else seen_ns
    anchor(agent, live)
    if rec.request_type == PREPAID:
        debit(agent, live, 0)
    else:
        agent.persist(live)


def anchor(agent: FreeSwitchAgent, live: LiveSession) -> None:
    """Place answer offset 0 on this host's monotonic clock."""
    now_wall, now_mono = agent.clock.wall_ns(), agent.clock.mono()
    live.anchor_mono = now_mono - (now_wall - live.record.anchor_ns) / 1e9


def debit(agent: FreeSwitchAgent, live: LiveSession, seq: int, due: float = 0.0) -> None:
    """Debit window `seq` (or the whole backlog after a pause) and plan what follows."""
    rec = live.record
    if rec.state != ACTIVE or seq < rec.next_seq:
        return
    if due:
        metrics.DEBIT_LATENESS.observe(max(0.0, agent.clock.mono() - due))
    start_at, end_at = debit_window(rec, seq)
    if start_at >= end_at:
        skip_debit(rec, seq)
        _next(agent, live)
        return
    began = time.perf_counter()
    try:
        cc = agent.engine.max_debit(debit_descriptor(rec, seq), debit_id=f"{rec.origin_id}:{seq}")
    except StoreError as exc:
        _store_down(agent, live, seq, exc)
        return
    except RatingError as exc:
        metrics.DEBITS.labels("error").inc()
        live.log.error("debit #%d failed: %s; hanging up", seq, exc)
        cut(agent, live, "debit_error")
        return
    metrics.DEBIT_SECONDS.observe(time.perf_counter() - began)
    grant = apply_debit(rec, seq, cc)
    metrics.DEBITS.labels("short" if grant.exhausted else "ok").inc()
    if grant.exhausted:
        live.log.info("debit #%d granted %.3fs of %.3fs: cut at %.3fs", seq, grant.granted / 1e9,
                      grant.asked / 1e9, rec.reserved / 1e9)
    after = balance_values(cc.AccountSummary)
    alone = only_we_changed(live.balances, after, grant.runs)
    live.balances = after
    _next(agent, live)
    moved = backstop(agent, live, alone)
    live.unsaved_debits += 1
    if seq == 0 or moved or grant.exhausted or live.unsaved_debits >= PERSIST_EVERY:
        agent.persist(live)
        live.unsaved_debits = 0


def _next(agent: FreeSwitchAgent, live: LiveSession) -> None:
    rec = live.record
    if rec.state == EXHAUSTED:
        at = live.mono_at(rec.reserved - agent.settings.cutoff_guard)
        agent.schedule(live, CUTOFF, at)
        return
    seq = rec.next_seq
    agent.schedule(live, DEBIT, live.mono_at(debit_due(rec, seq, agent.settings.debit_lead)),
                   seq)


def _store_down(agent: FreeSwitchAgent, live: LiveSession, seq: int, exc: Exception) -> None:
    """Keep the call (its backstop holds) and try the same debit id again soon."""
    metrics.DEBITS.labels("store_down").inc()
    metrics.STORE_ERRORS.labels("debit").inc()
    live.log.warning("debit #%d: store unavailable (%s); retrying", seq, exc)
    retry = min(1.0, agent.settings.debit_interval / 2e9)
    agent.schedule(live, DEBIT, agent.clock.mono() + retry, seq)


def backstop(agent: FreeSwitchAgent, live: LiveSession, alone: bool = False) -> bool:
    """Move the switch-side hangup to where this call would exhaust the account.

    `alone`: only this call's debit changed the account since the last one, so that
    moment has not moved and needs no new question to the engine. True when re-armed.
    """
    rec = live.record
    settings = agent.settings
    now = agent.clock.mono()
    soon = rec.answer_ns + rec.reserved + settings.default_usage // 2
    if alone and rec.backstop_s and rec.state != EXHAUSTED and not (
            live.capped and rec.backstop_s * SECOND < soon):
        low_balance(agent, live, live.exhaust_ns - rec.answer_ns - live.offset_at(now))
        return False
    if rec.state == EXHAUSTED:
        remainder = 0
    else:
        try:
            remainder = agent.engine.max_session_time(
                remainder_descriptor(rec, settings.default_usage))
        except (RatingError, StoreError) as exc:
            live.log.warning("cannot tell how long the account lasts (%s); backstop kept", exc)
            return False
        if remainder < 0:
            remainder = settings.default_usage
    live.capped = remainder >= settings.default_usage
    live.exhaust_ns = rec.answer_ns + rec.reserved + remainder
    low_balance(agent, live, rec.reserved + remainder - live.offset_at(now))
    second = backstop_second(live.exhaust_ns, settings.backstop_margin)
    current = rec.backstop_s
    # Tighten at once; loosen only when the one in force comes close to the paid time.
    if current and (second == current or (current < second and current * SECOND > soon)):
        return False
    lines = [commands.sched_del(rec.origin_id), _backstop_command(agent, live, second)]
    agent.send(live.alias, lines, live.log, key=live.uuid, reply=BACKSTOP_REPLY, data=second)
    rec.backstop_s = second  # undone by backstop_reply if the switch did not take it
    return True


def backstop_reply(live: LiveSession, second: int, replies: list[str] | None) -> None:
    """A backstop the switch did not take is forgotten, so the next debit arms it again."""
    if replies is not None and commands.ok(replies[-1]):
        return
    if replies is not None and commands.gone(replies[-1]):
        live.gone = True
        return
    if live.record.backstop_s == second:
        live.record.backstop_s = 0


def _backstop_command(agent: FreeSwitchAgent, live: LiveSession, second: int) -> str:
    fs = agent.config.freeswitch
    uuid = live.uuid
    if fs.empty_balance_context:
        return commands.sched_transfer(uuid, second, live.dial or live.record.destination,
                                       fs.empty_balance_context)
    if fs.empty_balance_ann_file:
        return commands.sched_broadcast(uuid, str(second), fs.empty_balance_ann_file)
    return commands.sched_hangup(uuid, second)


def low_balance(agent: FreeSwitchAgent, live: LiveSession, remainder: int) -> None:
    """Play the low-balance announcement once when little talk time is left."""
    sessions = agent.config.sessions
    if (live.warned or not sessions.low_balance_warning or not sessions.low_balance_ann_file
            or remainder >= sessions.low_balance_warning):
        return
    live.warned = True
    agent.send(live.alias, [commands.broadcast(live.uuid, sessions.low_balance_ann_file)],
               live.log, key=live.uuid)


# --------------------------------------------------------------------------- cutting


def cut(agent: FreeSwitchAgent, live: LiveSession, reason: str) -> None:
    """End the call now, the way the configuration says (hang up, transfer, announce)."""
    fs = agent.config.freeswitch
    uuid = live.uuid
    live.cancel_timers()
    if reason == "exhausted" and (fs.empty_balance_context or fs.empty_balance_ann_file):
        lines = [commands.setvar(uuid, "cgr_notify", "INSUFFICIENT_CREDIT")]
        if fs.empty_balance_context:
            lines.append(commands.transfer(uuid, live.dial or live.record.destination,
                                           fs.empty_balance_context))
        else:
            lines.append(commands.broadcast(
                uuid, f"playback!manager_request::{fs.empty_balance_ann_file}"))
        agent.send(live.alias, lines, live.log, key=uuid)
        metrics.HANGUPS.labels(reason).inc()
        return
    live.hangup_sent = True
    live.hangup_attempts = 0
    metrics.HANGUPS.labels(reason).inc()
    _kill(agent, live)


def _kill(agent: FreeSwitchAgent, live: LiveSession) -> None:
    live.hangup_attempts += 1
    cause = agent.settings.hangup_cause
    agent.send(live.alias, [commands.kill(live.uuid, cause)], live.log, key=live.uuid,
               reply=KILL_REPLY)
    agent.schedule(live, CONFIRM, agent.clock.mono() + CONFIRM_AFTER)


def kill_reply(live: LiveSession, replies: list[str] | None) -> None:
    """"-ERR No such channel": the call is already gone, which is what we wanted."""
    if replies is not None and commands.gone(replies[0]):
        live.log.info("hangup: the channel was already gone")
        live.gone = True


def confirm(agent: FreeSwitchAgent, live: LiveSession) -> None:
    """No HANGUP event yet after a hangup: ask the switch whether the channel is still up."""
    if live.gone:
        return
    agent.send(live.alias, [commands.exists(live.uuid)], live.log, key=live.uuid,
               reply=EXISTS_REPLY)


def exists_reply(agent: FreeSwitchAgent, live: LiveSession, replies: list[str] | None) -> None:
    """The answer to uuid_exists: done, or hang up again (a bounded number of times)."""
    if replies is not None and replies[0].strip() == "false":
        live.log.info("hangup confirmed by uuid_exists")
        return
    if live.hangup_attempts >= HANGUP_ATTEMPTS:
        live.log.error("channel still up after %d hangups; the backstop at %d remains",
                       live.hangup_attempts, live.record.backstop_s)
        return
    live.log.warning("channel still up after hangup #%d; again", live.hangup_attempts)
    _kill(agent, live)
