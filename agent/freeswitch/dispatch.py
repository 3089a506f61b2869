"""Per-call ordering without ever stalling the event reader.

The reader (and the timers) only append a work item to the call's own queue and return.
A fixed set of supervised workers takes calls that have work, one call at a time per
worker, so the items of one call (its events, due debits, cut-off, settlement) run one
after another in arrival order, while different calls run side by side. FreeSWITCH drops
a listener that falls 500 events behind; nothing here ever blocks the reader.

Queues are bounded: beyond ``max_pending`` items in all, new items are dropped, counted
and logged (the periodic channel sync then repairs what they would have done).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from gevent.queue import Queue

from . import metrics

log = logging.getLogger(__name__)

Handler = Callable[[str, Any], None]
#: Items one worker runs for a call before letting other calls have a turn.
TURN = 16


class CallQueues:
    """Work items per call id, run in order by a pool of workers (see the module docstring)."""

    def __init__(self, handler: Handler, max_pending: int = 200_000) -> None:
        self.handler = handler
        self.max_pending = max_pending
        self._calls: dict[str, deque[Any]] = {}
        self._ready: Queue[str] = Queue()
        self.pending = 0
        self.busy = 0  # workers running an item now
        self.dropped = 0

    def put(self, call_id: str, item: Any) -> bool:
        """Queue an item for a call; never blocks. False when the queues are full."""
        if self.pending >= self.max_pending:
            self.dropped += 1
            metrics.EVENTS_DROPPED.inc()
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.error("call queues full (%d items): dropped %d item(s) so far",
                          self.pending, self.dropped)
            return False
        queue = self._calls.get(call_id)
        if queue is None:
            self._calls[call_id] = deque([item])
            self._ready.put(call_id)
        else:
            queue.append(item)
        self.pending += 1
        metrics.QUEUE_DEPTH.set(self.pending)
        return True

    def run_worker(self) -> None:
        """A worker: forever take a call with work and run its items (supervised)."""
        while True:
            call_id = self._ready.get()
            self._turn(call_id)

    def _turn(self, call_id: str) -> None:
        queue = self._calls.get(call_id)
        done = 0
        while queue and done < TURN:
            item = queue.popleft()
            self.pending -= 1
            done += 1
            self.busy += 1
            try:
                self.handler(call_id, item)
            except Exception:  # one bad item must not stop the worker or the call's queue
                log.exception("[call=%s] work item %r failed", call_id, item)
            finally:
                self.busy -= 1
        metrics.QUEUE_DEPTH.set(self.pending)
        # The check and the removal happen without yielding, so no item is ever stranded.
        if queue:
            self._ready.put(call_id)
        else:
            self._calls.pop(call_id, None)

    def depth(self, call_id: str) -> int:
        queue = self._calls.get(call_id)
        return len(queue) if queue else 0
