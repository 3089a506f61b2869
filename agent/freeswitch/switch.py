"""Everything callmeter holds open to one FreeSWITCH: an event connection and command links.

- The event connection only reads: filters are set first (``Call-Direction inbound`` as
  CGRateS does, so a loopback call is not seen twice, plus ``Event-Name HEARTBEAT`` for
  liveness), then the subscription. Silence longer than three heartbeats means the link
  is dead. It reconnects forever with capped, jittered backoff and tells the agent each
  time it is up again (the agent then resyncs its sessions with ``show channels``).
- Control links carry call commands (setvar, transfer, sched_hangup, kill), pipelined; a
  separate query link carries ``show channels``, so a slow listing never delays a hangup,
  and nothing ever delays the event reader.
Each loop runs as a supervised greenlet of the daemon.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import gevent
from gevent.event import Event

from agent.config import FreeSwitchConnection

from . import metrics
from .backoff import Backoff
from .link import EslError, EslLink, LinkDown
from .wire import Event as EslEvent

log = logging.getLogger(__name__)

#: What the agent subscribes to (BACKGROUND_JOB is not needed: no bgapi is used).
EVENTS = ("CHANNEL_PARK", "CHANNEL_ANSWER", "CHANNEL_HANGUP_COMPLETE", "HEARTBEAT")
FILTERS = (("Call-Direction", "inbound"), ("Event-Name", "HEARTBEAT"))
HEARTBEAT_SECONDS = 20.0


@dataclass(frozen=True)
class SwitchOptions:
    """How the agent talks to every switch."""

    event_format: str = "json"
    command_timeout: float = 5.0
    control_links: int = 2
    idle_timeout: float = 3 * HEARTBEAT_SECONDS
    backoff_base: float = 0.2
    backoff_cap: float = 10.0


class SwitchConnection:
    """The connections to one switch, identified by its alias (see the module docstring)."""

    def __init__(self, conn: FreeSwitchConnection, options: SwitchOptions, supervisor: Any,
                 on_event: Callable[[str, EslEvent], None],
                 on_up: Callable[[str], None] = lambda alias: None,
                 on_down: Callable[[str], None] = lambda alias: None) -> None:
        self.alias = conn.name
        self.conn = conn
        self.options = options
        self.supervisor = supervisor
        self._on_event = on_event
        self._on_up = on_up
        self._on_down = on_down
        self.events_link: EslLink | None = None
        self.control: list[EslLink | None] = [None] * options.control_links
        self.query_link: EslLink | None = None
        self._control_up = Event()
        self._query_up = Event()
        self.stopping = False
        self.last_event = 0.0
        self.connects = 0

    # ------------------------------------------------------------------ life cycle
    def start(self) -> None:
        """Start the event loop and the command links (each a supervised greenlet)."""
        self.stopping = False
        self.supervisor.spawn(f"fs-{self.alias}-events", self._events_loop)
        for index in range(self.options.control_links):
            self.supervisor.spawn(f"fs-{self.alias}-control{index}", self._command_loop, index)
        self.supervisor.spawn(f"fs-{self.alias}-query", self._command_loop, -1)

    def stop(self) -> None:
        """Close every connection; the loops end when they see `stopping`."""
        self.stopping = True
        links = [self.events_link, self.query_link, *self.control]
        for link in links:
            if link is not None:
                link.close("callmeter stops")

    @property
    def up(self) -> bool:
        return self.events_link is not None and self.events_link.connected

    def state(self) -> dict[str, bool]:
        return {"events": self.up, "control": self._control_up.is_set(),
                "query": self._query_up.is_set()}

    # ------------------------------------------------------------------ loops
    def _new_link(self, name: str, on_event: Callable[[EslEvent], None] | None = None,
                  idle: float | None = None) -> EslLink:
        # A command link whose oldest command waited three deadlines is wedged: reconnect.
        address = self.conn.address
        return EslLink(address.host, address.port, self.conn.password,
                       timeout=self.options.command_timeout, name=f"{self.alias}/{name}",
                       on_event=on_event, idle_timeout=idle,
                       stall_limit=3 * self.options.command_timeout)

    def _events_loop(self) -> None:
        backoff = Backoff(self.options.backoff_base, self.options.backoff_cap)
        while not self.stopping:
            link = self._new_link("events", self._event, self.options.idle_timeout)
            try:
                self._subscribe(link)
            except EslError as exc:
                self._failed("events", exc, backoff)
                continue
            backoff.reset()
            self.events_link = link
            self.connects += 1
            metrics.CONNECTED.labels(self.alias, "events").set(1)
            metrics.RECONNECTS.labels(self.alias, "events").inc()
            log.info("%s: event connection up (%s events)", self.alias, self.options.event_format)
            self._on_up(self.alias)
            reason = link.read_forever()
            metrics.CONNECTED.labels(self.alias, "events").set(0)
            if self.stopping:
                return
            log.warning("%s: event connection lost: %s", self.alias, reason)
            self._on_down(self.alias)
            gevent.sleep(backoff.next())

    def _subscribe(self, link: EslLink) -> None:
        link.connect()
        lines = [f"filter {name} {value}" for name, value in FILTERS]
        lines.append(f"event {self.options.event_format} {' '.join(EVENTS)}")
        deadline = time.monotonic() + self.options.command_timeout
        for line, reply in zip(lines, link.handshake(lines, deadline), strict=True):
            if not (reply.reply_text or "").startswith("+OK"):
                link.close("subscription refused")
                raise LinkDown(f"{self.alias}: {line!r} refused: {reply.reply_text}")

    def _failed(self, name: str, exc: Exception, backoff: Backoff) -> None:
        delay = backoff.next()
        level = logging.WARNING if backoff.attempt <= 1 or backoff.attempt % 10 == 0 else \
            logging.DEBUG
        log.log(level, "%s: %s connection failed (%s); retry #%d in %.1fs", self.alias, name,
                exc, backoff.attempt, delay)
        gevent.sleep(delay)

    def _event(self, event: EslEvent) -> None:
        self.last_event = time.monotonic()
        self._on_event(self.alias, event)

    def _command_loop(self, index: int) -> None:
        name = "query" if index < 0 else f"control{index}"
        ready = self._query_up if index < 0 else self._control_up
        backoff = Backoff(self.options.backoff_base, self.options.backoff_cap)
        while not self.stopping:
            link = self._new_link(name)
            try:
                link.connect()
            except EslError as exc:
                self._failed(name, exc, backoff)
                continue
            backoff.reset()
            self._set_link(index, link)
            ready.set()
            metrics.CONNECTED.labels(self.alias, name).set(1)
            metrics.RECONNECTS.labels(self.alias, name).inc()
            reason = link.read_forever()
            self._set_link(index, None)
            metrics.CONNECTED.labels(self.alias, name).set(0)
            if index < 0 or not any(lk is not None and lk.connected for lk in self.control):
                ready.clear()
            if self.stopping:
                return
            log.warning("%s: %s connection lost: %s", self.alias, name, reason)
            gevent.sleep(backoff.next())

    def _set_link(self, index: int, link: EslLink | None) -> None:
        if index < 0:
            self.query_link = link
        else:
            self.control[index] = link

    # ------------------------------------------------------------------ commands
    def _pick(self, query: bool, timeout: float, key: str = "") -> EslLink:
        ready = self._query_up if query else self._control_up
        deadline = time.monotonic() + timeout
        while True:
            candidates = [self.query_link] if query else list(self.control)
            live = [lk for lk in candidates if lk is not None and lk.connected]
            if live:
                if key:  # one call's commands keep one link, hence their order
                    return live[hash(key) % len(live)]
                return min(live, key=lambda lk: lk.pending)
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.stopping:
                raise LinkDown(f"{self.alias}: no {'query' if query else 'command'} connection")
            ready.clear()
            ready.wait(min(remaining, 0.5))

    def api(self, command: str, timeout: float | None = None, *, query: bool = False) -> str:
        """Run ``api <command>`` on a control (or the query) link; the reply body."""
        return self.api_many([command], timeout, query=query)[0]

    def api_many(self, commands: Sequence[str], timeout: float | None = None, *,
                 query: bool = False, key: str = "") -> list[str]:
        """Several api commands pipelined on one link, run by FreeSWITCH in this order.

        Commands with the same `key` (a call's uuid) always take the same control link.
        """
        bound = self.options.command_timeout if timeout is None else timeout
        started = time.monotonic()
        link = self._pick(query, bound, key)
        remaining = max(0.001, bound - (time.monotonic() - started))
        try:
            replies = link.request_many([("api " + c, ()) for c in commands], remaining)
        except EslError as exc:
            metrics.COMMAND_ERRORS.labels(type(exc).__name__).inc()
            raise
        return [reply.text() for reply in replies]
