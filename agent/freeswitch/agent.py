"""The FreeSWITCH agent: switches, per-call queues, timers and the sessions they drive.

Events come in on each switch's event connection and are queued per call (Unique-ID);
workers run a call's items in order: CHANNEL_PARK → authorize.py, CHANNEL_ANSWER and due
debits → debitloop.py, CHANNEL_HANGUP_COMPLETE → settle.py, sync results → resume.py.
Sessions are persisted in the store (kind ``session``) after every change, and loaded
back at start, so a restarted callmeter resumes the calls that are still up.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import gevent
from gevent.pool import Pool

from agent.config import Config
from agent.logsetup import CallLog
from rating.engine import Engine
from rating.sessions import debit_lead
from rating.store.base import StoreError

from . import metrics
from .dispatch import CallQueues
from .fields import ANSWER, CALL_EVENTS, HANGUP_COMPLETE, PARK, CallEvent, Defaults, call_event
from .link import EslError
from .live import LiveSession, Tick
from .switch import SwitchConnection, SwitchOptions
from .sync import ChannelSync
from .timers import Timers
from .wire import Event as EslEvent

log = logging.getLogger(__name__)

SESSION_KIND = "session"
WORKERS = 128
TOMBSTONE_SECONDS = 120.0
#: Command batches in flight at once; beyond this, queuing one waits (back-pressure).
SENDERS = 10_000


class Clock:
    """The agent's two clocks (tests and benchmarks may substitute their own)."""

    @staticmethod
    def wall_ns() -> int:
        return time.time_ns()

    @staticmethod
    def mono() -> float:
        return time.monotonic()


@dataclass(frozen=True)
class AgentSettings:
    """Numbers the agent works with, derived from the configuration once."""

    debit_interval: int
    debit_lead: int
    cutoff_guard: int
    backstop_margin: int
    default_usage: int
    hangup_cause: str
    store_down: str
    sync_interval: float

    @classmethod
    def from_config(cls, config: Config) -> AgentSettings:
        s = config.sessions
        interval = int(s.debit_interval)
        return cls(
            debit_interval=interval,
            debit_lead=debit_lead(interval),
            # Cut a little before the increment boundary: uuid_kill lands a few ms later,
            # FreeSWITCH's timestamps are coarse (20 ms) and the billed time must not cross
            # into an increment nobody paid for.
            cutoff_guard=min(100_000_000, debit_lead(interval) // 2),
            backstop_margin=1_000_000_000,
            default_usage=int(s.default_usage),
            hangup_cause=s.hangup_cause,
            store_down=s.store_down,
            sync_interval=s.channel_sync_interval.seconds,
        )


class FreeSwitchAgent:
    """All switches of this callmeter and the sessions of their calls."""

    def __init__(self, config: Config, engine: Engine, supervisor: Any, node_id: str,
                 clock: Clock | None = None, workers: int = WORKERS) -> None:
        self.config = config
        self.engine = engine
        self.store = engine.store
        self.supervisor = supervisor
        self.node_id = node_id
        self.clock = clock or Clock()
        self.settings = AgentSettings.from_config(config)
        general = config.general
        self.defaults = Defaults(general.default_tenant, general.default_category,
                                 general.default_request_type)
        self.workers = workers
        self.queues = CallQueues(self._handle)
        self.timers = Timers(self.queues.put, self.clock.mono)
        self.sessions: dict[str, LiveSession] = {}
        self._senders = Pool(SENDERS)
        self._tombstones: OrderedDict[str, float] = OrderedDict()
        self.accepting = True
        fs = config.freeswitch
        options = SwitchOptions(event_format=fs.event_format,
                                command_timeout=fs.command_timeout.seconds)
        self.switches = {c.name: SwitchConnection(c, options, supervisor, self.on_event,
                                                  self._switch_up) for c in fs.connections}
        self.syncs = {alias: ChannelSync(self, alias) for alias in self.switches}

    # ------------------------------------------------------------------ life cycle
    def start(self) -> None:
        """Load stored sessions, then start the workers, timers, syncs and connections."""
        from .resume import load_sessions
        load_sessions(self)
        for index in range(self.workers):
            self.supervisor.spawn(f"fs-worker{index}", self.queues.run_worker)
        self.supervisor.spawn("fs-timers", self.timers.run)
        for alias, sync in self.syncs.items():
            self.supervisor.spawn(f"fs-{alias}-sync", sync.run)
        for switch in self.switches.values():
            switch.start()

    def stop(self, timeout: float) -> None:
        """Stop taking calls, finish work in flight, persist sessions, close connections."""
        from .resume import shutdown
        shutdown(self, timeout)
        for switch in self.switches.values():
            switch.stop()

    # ------------------------------------------------------------------ intake
    def on_event(self, alias: str, event: EslEvent) -> None:
        """From a switch's reader: queue a call event and return at once."""
        name = event.name
        metrics.EVENTS.labels(name or "?").inc()
        if name not in CALL_EVENTS:
            return
        if event.get("Call-Direction", "inbound") != "inbound":
            return  # the other leg of a call, when a filter did not apply
        if not event.unique_id:
            return
        self.queues.put(event.unique_id,
                        call_event(event, alias, self.defaults, self.clock.wall_ns()))

    def _switch_up(self, alias: str) -> None:
        self.syncs[alias].request()

    def _handle(self, uuid: str, item: Any) -> None:
        from . import authorize, debitloop, resume, settle
        if isinstance(item, CallEvent):
            if item.name == PARK:
                authorize.authorize(self, item)
            elif item.name == ANSWER:
                if not self.is_tombstoned(uuid):
                    debitloop.answer(self, item)
            elif item.name == HANGUP_COMPLETE:
                settle.hangup_complete(self, item)
            return
        live = self.sessions.get(uuid)
        if live is not None and isinstance(item, Tick):
            resume.tick(self, live, item)

    # ------------------------------------------------------------------ sessions
    def add_session(self, live: LiveSession) -> None:
        old = self.sessions.get(live.uuid)
        if old is not None:
            old.cancel_timers()
            self._count(old, -1)
        self.sessions[live.uuid] = live
        self._count(live, 1)

    def _count(self, live: LiveSession, delta: int) -> None:
        metrics.SESSIONS.labels(live.record.request_type).inc(delta)

    def drop_session(self, live: LiveSession, forget: bool = True) -> None:
        """Remove a session from memory (and from the store unless told not to)."""
        live.cancel_timers()
        if self.sessions.get(live.uuid) is live:
            del self.sessions[live.uuid]
            self._count(live, -1)
        if forget:
            try:
                self.store.delete(SESSION_KIND, session_id(live.alias, live.uuid))
            except StoreError as exc:
                metrics.STORE_ERRORS.labels("forget").inc()
                live.log.warning("session document not deleted (%s); sync will retry", exc)

    def persist(self, live: LiveSession) -> None:
        """Store the session; a failure is logged and retried at the next change."""
        rec = live.record
        rec.updated_ns = self.clock.wall_ns()
        try:
            self.store.put(SESSION_KIND, session_id(live.alias, live.uuid), rec.to_doc())
            live.dirty = False
        except StoreError as exc:
            live.dirty = True
            metrics.STORE_ERRORS.labels("persist").inc()
            live.log.warning("session not persisted (%s); will retry", exc)

    def tombstone(self, uuid: str) -> None:
        now = self.clock.mono()
        self._tombstones[uuid] = now + TOMBSTONE_SECONDS
        self._tombstones.move_to_end(uuid)
        while self._tombstones:
            oldest, expiry = next(iter(self._tombstones.items()))
            if expiry > now:
                break
            del self._tombstones[oldest]

    def is_tombstoned(self, uuid: str) -> bool:
        expiry = self._tombstones.get(uuid)
        return expiry is not None and expiry > self.clock.mono()

    # ------------------------------------------------------------------ helpers
    def schedule(self, live: LiveSession, kind: str, at: float, seq: int = 0) -> None:
        """A timer for the call, valid until its timers are cancelled."""
        self.timers.call_at(at, live.uuid, Tick(kind, live.token, seq, at))

    def send(self, alias: str, lines: Sequence[str], clog: CallLog | None = None, *,
             key: str = "", reply: str = "", data: object = None) -> None:
        """Queue api commands for a switch and return at once.

        Workers never wait on FreeSWITCH: a slow or stalled switch must not hold up the
        debits and events of other calls. The commands of one call (`key`) go over one link,
        in order. With `reply`, the replies (None when they could not be had) come back
        to the call's own queue as ``Tick(reply, data=(data, replies))``.
        """
        self._senders.spawn(self._send_now, alias, list(lines), clog, key, reply, data)

    def _send_now(self, alias: str, lines: list[str], clog: CallLog | None, key: str,
                  reply: str, data: object) -> None:
        replies = self.call_switch(alias, lines, clog, key=key)
        if reply and key:
            self.queues.put(key, Tick(reply, data=(data, replies)))

    def call_switch(self, alias: str, lines: Sequence[str], clog: CallLog | None = None,
                    timeout: float | None = None, *, key: str = "") -> list[str] | None:
        """api commands to a switch, in order, waiting for the replies; None (logged) when
        they could not be sent or answered."""
        switch = self.switches.get(alias)
        if switch is None:
            (clog or log).error("no connection to switch %r", alias)
            return None
        try:
            return switch.api_many(lines, timeout, key=key)
        except EslError as exc:
            (clog or log).warning("%s failed: %s", lines[0].split(" ", 1)[0], exc)
            return None

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no work item is queued or running (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while self.queues.pending or self.queues.busy or len(self._senders):
            if time.monotonic() >= deadline:
                return False
            gevent.sleep(0.005)
        return True


def session_id(alias: str, uuid: str) -> str:
    return f"{alias}/{uuid}"
