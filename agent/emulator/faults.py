"""Event-delivery faults on demand: reorder, duplicate, hold back.

Real FreeSWITCH delivers events from several dispatch threads: in the captures 40 of 1304
events arrived with an Event-Sequence lower than one already delivered (API, CHANNEL_STATE,
CALL_UPDATE, CHANNEL_DESTROY, BACKGROUND_JOB ...), yet for one channel CREATE < ANSWER < HANGUP
< HANGUP_COMPLETE < DESTROY always held. `reorder` reproduces exactly that: it delays
events of those kinds past a few events of OTHER channels, never past an event of its own.
`hold` and `duplicate` go beyond what was seen, for the failures an agent must survive anyway
(a late CHANNEL_ANSWER after CHANNEL_HANGUP_COMPLETE, a HANGUP_COMPLETE delivered twice).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from .events import OutEvent

# Event types the captures show delivered out of Event-Sequence order.
REORDERABLE = frozenset({"API", "BACKGROUND_JOB", "CHANNEL_STATE", "CHANNEL_CALLSTATE",
                         "CALL_UPDATE", "CODEC", "HEARTBEAT", "RE_SCHEDULE", "CHANNEL_DESTROY"})

Matcher = Callable[[OutEvent], bool]


def match(name: str | None = None, uuid: str | None = None) -> Matcher:
    """A matcher on Event-Name and/or Unique-ID."""
    def test(event: OutEvent) -> bool:
        return (name is None or event.name == name) and (uuid is None or event.unique_id == uuid)
    return test


@dataclass
class _Hold:
    what: Matcher
    until: Matcher
    held: list[OutEvent] = field(default_factory=list)


@dataclass
class _Dup:
    what: Matcher
    remaining: int


@dataclass
class _Delayed:
    event: OutEvent
    left: int


class EventFaults:
    """Rewrites the stream of fired events before listeners see it."""

    def __init__(self) -> None:
        self._holds: list[_Hold] = []
        self._dups: list[_Dup] = []
        self._delayed: list[_Delayed] = []
        self._reorder_shift = 0
        self._random = random.Random(0)

    def clear(self) -> list[OutEvent]:
        """Stop every fault; returns the events still held (they are delivered by the caller)."""
        pending = [e for h in self._holds for e in h.held] + [d.event for d in self._delayed]
        self._holds.clear()
        self._dups.clear()
        self._delayed.clear()
        self._reorder_shift = 0
        return pending

    def reorder(self, max_shift: int = 3, seed: int = 0) -> None:
        """Delay reorderable events by 1..max_shift events of other channels (0 = off)."""
        self._reorder_shift = max_shift
        self._random = random.Random(seed)

    def hold(self, what: Matcher, until: Matcher) -> None:
        """Keep events matching `what` until one matching `until` has been delivered."""
        self._holds.append(_Hold(what, until))

    def duplicate(self, what: Matcher, times: int = 1) -> None:
        """Deliver the next `times` events matching `what` twice each."""
        self._dups.append(_Dup(what, times))

    @property
    def active(self) -> bool:
        return bool(self._holds or self._dups or self._delayed or self._reorder_shift)

    def pass_through(self, event: OutEvent) -> list[OutEvent]:
        """The events to deliver now, in order, given that `event` was just fired."""
        if not self.active:
            return [event]
        out = self._release_before(event)
        for hold in self._holds:
            if hold.what(event):
                hold.held.append(event)
                return out
        if self._reorder_shift and event.name in REORDERABLE and self._random.random() < 0.5:
            self._delayed.append(_Delayed(event, self._random.randint(1, self._reorder_shift)))
            return out
        out.append(event)
        for dup in self._dups:
            if dup.remaining > 0 and dup.what(event):
                dup.remaining -= 1
                out.append(event)
        self._dups = [d for d in self._dups if d.remaining > 0]
        out += self._tick_delayed()
        for hold in list(self._holds):
            if hold.until(event):
                out += hold.held
                self._holds.remove(hold)
        return out

    def _release_before(self, event: OutEvent) -> list[OutEvent]:
        """Delayed events of the same channel go out before it (per-channel order is kept)."""
        uuid = event.unique_id
        if uuid is None:
            return []
        due = [d for d in self._delayed if d.event.unique_id == uuid]
        self._delayed = [d for d in self._delayed if d.event.unique_id != uuid]
        return [d.event for d in due]

    def _tick_delayed(self) -> list[OutEvent]:
        due = []
        for delayed in self._delayed:
            delayed.left -= 1
            if delayed.left <= 0:
                due.append(delayed.event)
        self._delayed = [d for d in self._delayed if d.left > 0]
        return due
