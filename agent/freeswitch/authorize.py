"""CHANNEL_PARK: decide whether the call may go on, tell the dialplan, set the backstop.

DESIGN.md call flow step 1, SPEC.md G.4. The dialplan parks a call with an empty
``cgr_notify``; we answer with ``cgr_notify AUTH_OK`` (plus a switch-side backstop that
runs at answer) or with the reason it may not go on, then ``uuid_transfer`` it back to its
destination, where the dialplan branches on ``${cgr_notify}``. Zero talk time never
authorizes. When the store cannot be reached, ``sessions.store_down`` decides.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rating.errors import RatingError
from rating.sessions import (
    AUTHORIZED,
    CREDIT_CHECKED,
    NONE,
    REQUEST_TYPES,
    SessionRecord,
    call_descriptor,
    relative_backstop,
)
from rating.store.base import StoreError

from . import commands, metrics
from .fields import CallEvent
from .live import AUTHORIZED_REPLY, LiveSession, event_log

if TYPE_CHECKING:
    from .agent import FreeSwitchAgent

AUTH_OK = "AUTH_OK"
INSUFFICIENT_CREDIT = "INSUFFICIENT_CREDIT"
STORE_UNAVAILABLE = "SERVER_ERROR: STORE_UNAVAILABLE"


def new_record(agent: FreeSwitchAgent, ev: CallEvent) -> SessionRecord:
    """A session record for the call of this event."""
    return SessionRecord(
        origin_id=ev.uuid, origin_host=ev.alias, request_type=ev.request_type,
        tenant=ev.tenant, category=ev.category, account=ev.account, subject=ev.subject,
        destination=ev.destination, setup_ns=ev.setup_ns or ev.received_ns,
        debit_interval=agent.settings.debit_interval, owner=agent.node_id,
        updated_ns=ev.received_ns)


def authorize(agent: FreeSwitchAgent, ev: CallEvent) -> None:
    """Handle CHANNEL_PARK (see the module docstring)."""
    if ev.request_type == NONE:
        return
    clog = event_log(ev)
    if not agent.accepting:
        _shutting_down(agent, ev)
        return
    existing = agent.sessions.get(ev.uuid)
    if existing is not None and existing.record.state != AUTHORIZED:
        clog.info("park of a call already answered: ignored")
        return
    refusal = _refusal(ev)
    if refusal:
        _deny(agent, ev, refusal, "error")
        return
    record = new_record(agent, ev)
    allowed = max_usage(agent, ev, record)
    if isinstance(allowed, str):
        _deny(agent, ev, allowed, "store_down" if allowed == STORE_UNAVAILABLE else "error")
        return
    if allowed == 0:
        _deny(agent, ev, INSUFFICIENT_CREDIT, "insufficient_credit")
        return
    record.max_usage = allowed
    live = LiveSession(record, dial=ev.dial)
    agent.add_session(live)
    lines = [*_backstop(agent, ev, allowed), commands.setvar(ev.uuid, "cgr_notify", AUTH_OK),
             commands.transfer(ev.uuid, ev.dial)]
    agent.send(ev.alias, lines, clog, key=ev.uuid, reply=AUTHORIZED_REPLY, data=ev.received_ns)
    metrics.AUTHORIZATIONS.labels("ok").inc()
    clog.debug("authorized %s for %.3fs", ev.request_type, allowed / 1e9)
    # Not stored yet: a restart before the answer loses nothing the ANSWER event cannot
    # rebuild, and most of the cost of a call is not spent on calls that never answer.


def authorized_reply(agent: FreeSwitchAgent, live: LiveSession, received_ns: int,
                     replies: list[str] | None) -> None:
    """FreeSWITCH answered the authorization: time it, or forget a call already gone."""
    if replies is None:
        return  # logged by the sender; the backstop or a sync takes it from here
    metrics.AUTHORIZE_SECONDS.observe(max(0.0, (agent.clock.wall_ns() - received_ns) / 1e9))
    if commands.gone(replies[-1]) and live.record.state == AUTHORIZED:
        live.log.info("channel gone before it was authorized")
        agent.drop_session(live)


def _refusal(ev: CallEvent) -> str:
    if ev.request_type not in REQUEST_TYPES:
        return f"SERVER_ERROR: unsupported request type {ev.request_type}"
    missing = ev.missing()
    if missing:
        return f"MANDATORY_IE_MISSING: [{' '.join(missing)}]"
    return ""


def max_usage(agent: FreeSwitchAgent, ev: CallEvent, record: SessionRecord) -> int | str:
    """Talk time the call may have (ns), or the text of why it may have none."""
    default = agent.settings.default_usage
    if ev.request_type not in CREDIT_CHECKED:
        return default
    # A park has no answer time yet: the question starts at set-up (CGRateS does the same).
    record.answer_ns = record.setup_ns
    cd = call_descriptor(record, 0, default, 0)
    record.answer_ns = 0
    try:
        allowed = agent.engine.max_session_time(cd)
    except RatingError as exc:
        return f"RALS_ERROR:{exc}"
    except StoreError as exc:
        metrics.STORE_ERRORS.labels("authorize").inc()
        event_log(ev).warning("store unavailable at park (%s); policy %s", exc,
                              agent.settings.store_down)
        if agent.settings.store_down == "allow_new_calls":
            return default
        return STORE_UNAVAILABLE
    return default if allowed < 0 else min(allowed, default)


def _backstop(agent: FreeSwitchAgent, ev: CallEvent, allowed: int) -> list[str]:
    """The switch-side limit armed at answer (or, for an announcement, sent now)."""
    seconds = relative_backstop(allowed, agent.settings.backstop_margin)
    fs = agent.config.freeswitch
    if fs.empty_balance_context:
        app = commands.sched_transfer_relative(seconds, ev.dial, fs.empty_balance_context)
        return [commands.setvar(ev.uuid, "execute_on_answer", app)]
    if fs.empty_balance_ann_file:
        return [commands.sched_broadcast(ev.uuid, f"+{seconds}", fs.empty_balance_ann_file)]
    return [commands.setvar(ev.uuid, "execute_on_answer",
                            commands.sched_hangup_relative(seconds))]


def _deny(agent: FreeSwitchAgent, ev: CallEvent, reason: str, result: str) -> None:
    metrics.AUTHORIZATIONS.labels(result).inc()
    event_log(ev).info("not authorized: %s", reason)
    agent.send(ev.alias, [commands.setvar(ev.uuid, "cgr_notify", reason),
                          commands.transfer(ev.uuid, ev.dial)], event_log(ev), key=ev.uuid)


def _shutting_down(agent: FreeSwitchAgent, ev: CallEvent) -> None:
    notify = agent.config.sessions.shutdown_notify
    metrics.AUTHORIZATIONS.labels("shutting_down").inc()
    if notify:
        _deny(agent, ev, notify, "shutting_down")
    else:
        event_log(ev).info("callmeter is stopping: call left parked for the dialplan")


def new_live(agent: FreeSwitchAgent, ev: CallEvent) -> LiveSession:
    """A session for a call first seen at answer (not parked, or parked before a restart)."""
    record = new_record(agent, ev)
    record.max_usage = -1
    return LiveSession(record, dial=ev.dial)
