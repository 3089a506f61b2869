"""The emulated switch core: sessions, event dispatch, identity, session statistics.

Dispatch is synchronous: an event reaches every listener's queue in the order it was fired
(FreeSWITCH dispatches on other threads, which is why its Event-Sequence is not delivery order;
`EventFaults` reproduces that disorder on demand, within the limits the captures show).
"""

from __future__ import annotations

import logging
import time
import uuid as uuidlib
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import gevent
from gevent.pool import Group

from agent.supervisor import Supervisor

from .clock import Clock
from .dialplan import Dialplan
from .events import EventFactory, Identity, OutEvent
from .faults import EventFaults
from .settings import Settings
from .sqldb import SqlMirror

if TYPE_CHECKING:
    from .scheduler import Scheduler
    from .session import Session

log = logging.getLogger(__name__)


class EventSink(Protocol):
    def offer(self, event: OutEvent) -> None: ...


class SessionStats:
    """The counters status and HEARTBEAT report (switch_core_session_* statistics)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.since_startup = 0
        self.peak = 0
        self.sps_max = 0
        self._creations: deque[float] = deque(maxlen=10_000)
        self._peaks: deque[tuple[float, int]] = deque(maxlen=10_000)

    def created(self, live: int) -> None:
        now = self.clock.time()
        self.since_startup += 1
        self._creations.append(now)
        self.peak = max(self.peak, live)
        self._peaks.append((now, live))
        self.sps_max = max(self.sps_max, self.last_second())

    def last_second(self) -> int:
        now = self.clock.time()
        return sum(1 for t in self._creations if now - t < 1.0)

    def peak_five_minutes(self) -> int:
        now = self.clock.time()
        return max((n for t, n in self._peaks if now - t < 300), default=0)

    def sps_five_minutes(self) -> int:
        now = self.clock.time()
        buckets: dict[int, int] = {}
        for t in self._creations:
            if now - t < 300:
                buckets[int(t)] = buckets.get(int(t), 0) + 1
        return max(buckets.values(), default=0)


class Switch:
    """One emulated FreeSWITCH: what a restart replaces (a crash loses all of it)."""

    def __init__(self, settings: Settings, clock: Clock | None = None,
                 dialplan: Dialplan | None = None, faults: EventFaults | None = None) -> None:
        self.settings = settings
        self.clock = clock or Clock(settings.timestamp_step_us)
        hostname = settings.switch_hostname
        self.identity = Identity(str(uuidlib.uuid4()), hostname, hostname,
                                 settings.ipv4, settings.ipv6)
        self.events = EventFactory(self.identity, self.clock)
        self.dialplan = dialplan or Dialplan.builtin()
        self.faults = faults or EventFaults()
        self.sessions: dict[str, Session] = {}
        self.sinks: list[EventSink] = []
        self.observers: list[Callable[[OutEvent], None]] = []
        self.session_observers: list[Callable[[Session], None]] = []
        self.sql = SqlMirror(self.clock, settings.sql_lag, hostname, self.sessions.__contains__)
        self.stats = SessionStats(self.clock)
        self.group = Group()
        self.supervisor = Supervisor()
        self.shutdown_requested: Callable[[str], None] | None = None
        self.started_at = self.clock.time()
        self.started_mono = time.monotonic()
        self.shutting_down = False
        self.session_counter = 0
        from .scheduler import Scheduler  # a cycle: the scheduler fires through the switch
        self.scheduler: Scheduler = Scheduler(self)

    # --- events

    def fire(self, event: OutEvent) -> None:
        """Deliver an event: the SQL view, the Python observers, every listener."""
        self.sql.on_event(event)
        for observer in list(self.observers):
            try:
                observer(event)
            except Exception:  # an observer is test code: never let it break the switch
                log.exception("event observer failed on %s", event.name)
        for out in self.faults.pass_through(event):
            for sink in list(self.sinks):
                sink.offer(out)

    def make_event(self, name: str, site: str, headers: list[tuple[str, str]] | None = None,
                   body: str | None = None) -> OutEvent:
        return self.events.make(name, site, headers or [], body)

    # --- sessions

    def new_uuid(self) -> str:
        return str(uuidlib.uuid4())

    def next_session_id(self) -> int:
        self.session_counter += 1
        return self.session_counter

    def register(self, session: Session) -> None:
        self.sessions[session.uuid] = session
        self.stats.created(len(self.sessions))
        for observer in list(self.session_observers):
            observer(session)

    def rename(self, old: str, new: str) -> None:
        session = self.sessions.pop(old, None)
        if session is not None:
            self.sessions[new] = session

    def unregister(self, session: Session) -> None:
        if self.sessions.get(session.uuid) is session:
            del self.sessions[session.uuid]

    def locate(self, uuid: str | None) -> Session | None:
        """A session that exists and is not yet destroyed (switch_core_session_locate)."""
        if not uuid:
            return None
        return self.sessions.get(uuid)

    def spawn(self, fn: Callable[..., Any], *args: Any) -> gevent.Greenlet:
        """Run fn in a greenlet the switch owns (killed when the switch stops)."""
        return self.group.spawn(fn, *args)

    def hupall(self, cause: str, var: str | None = None, value: str | None = None) -> int:
        """switch_core_session_hupall(_matching_var): hang up every (matching) channel."""
        count = 0
        for session in list(self.sessions.values()):
            if var is not None and session.channel.get_var(var) != value:
                continue
            if session.channel.up:
                session.hangup(cause)
                count += 1
        return count

    @property
    def uptime(self) -> float:
        return time.monotonic() - self.started_mono

    def kill(self) -> None:
        """Stop every greenlet at once (a crash, or the end of a test)."""
        self.scheduler.stop()
        self.group.kill(block=False)
        self.sessions.clear()
