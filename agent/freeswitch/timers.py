"""Deadlines for every live call in one heap, fired by one supervised greenlet.

A greenlet per call would cost memory at 10,000 calls; a heap entry costs a few dozen
bytes. Deadlines are absolute (monotonic seconds), so a schedule never drifts with the
time the work takes. Firing only hands the item to the call's queue; cancelling is done
by the receiver, which ignores items whose token is no longer current.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable
from typing import Any

from gevent.event import Event

Fire = Callable[[str, Any], object]


class Timers:
    """A heap of (due, call id, item); ``run`` fires each at its time."""

    def __init__(self, fire: Fire, clock: Callable[[], float] = time.monotonic) -> None:
        self._fire = fire
        self._clock = clock
        self._heap: list[tuple[float, int, str, Any]] = []
        self._seq = itertools.count()
        self._wake = Event()

    def call_at(self, due: float, call_id: str, item: Any) -> None:
        """Fire (call_id, item) at monotonic time `due` (at once if it is past)."""
        entry = (due, next(self._seq), call_id, item)
        heapq.heappush(self._heap, entry)
        if self._heap[0] is entry:
            self._wake.set()

    def __len__(self) -> int:
        return len(self._heap)

    def run(self) -> None:
        """Fire due entries forever (a supervised greenlet)."""
        heap = self._heap
        while True:
            now = self._clock()
            while heap and heap[0][0] <= now:
                _, _, call_id, item = heapq.heappop(heap)
                self._fire(call_id, item)
            self._wake.clear()
            timeout = None if not heap else max(0.0, heap[0][0] - self._clock())
            self._wake.wait(timeout)
