"""Leader/follower batching: concurrent callers share one round of work (a commit, a pipeline).

The first caller to find no batch running becomes the leader: it takes up to ``max_batch``
queued requests, runs them all through ``run_batch``, hands the outcomes out, and passes
the lead to the next waiting caller. A lone caller just runs its own request, so batching
costs nothing when there is no concurrency. Works the same with plain threads and with
gevent-patched ones (followers wait on a threading.Event).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from .base import StoreUnavailable

PENDING: Any = object()


class Request:
    """One caller's item and, once its batch ran, its result or error."""

    __slots__ = ("done", "error", "item", "lead", "result")

    def __init__(self, item: Any) -> None:
        self.item = item
        self.done: threading.Event | None = None  # made only for a caller that must wait
        self.result: Any = PENDING
        self.error: BaseException | None = None
        self.lead = False

    def outcome(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.result


class LeaderBatcher:
    """Runs submitted items in batches; ``run_batch`` sets each request's result or error.

    ``crowded()`` tells whether other callers are busy nearby (e.g. computing their own
    commit); a leader alone in the queue then yields once before it runs the batch.
    """

    def __init__(self, run_batch: Callable[[list[Request]], None], max_batch: int = 256,
                 crowded: Callable[[], bool] | None = None) -> None:
        self._run_batch = run_batch
        self._max_batch = max_batch
        self._crowded = crowded
        self._lock = threading.Lock()
        self._queue: list[Request] = []
        self._leading = False

    @property
    def queued(self) -> int:
        """Requests waiting for a batch (the leader's own included, until it takes them)."""
        return len(self._queue)

    def submit(self, item: Any) -> Any:
        """Run item in some batch and return its result (or raise its error)."""
        req = Request(item)
        with self._lock:
            self._queue.append(req)
            req.lead = not self._leading
            self._leading = True
            if not req.lead:
                req.done = threading.Event()
        if req.done is not None:
            req.done.wait()
        if req.lead:
            self._lead(req)
        return req.outcome()

    def _lead(self, mine: Request) -> None:
        served = False
        try:
            while not served:
                if self._crowded is not None and len(self._queue) == 1 and self._crowded():
                    # Other callers are on their way here: yield once (under gevent, to the
                    # hub) so they join this batch instead of each making a round of its own.
                    time.sleep(0)
                with self._lock:
                    batch = self._queue[: self._max_batch]
                    del self._queue[: self._max_batch]
                try:
                    self._run_batch(batch)
                finally:
                    for req in batch:
                        if req.result is PENDING and req.error is None:
                            req.error = StoreUnavailable("the operation was interrupted")
                        if req is not mine and req.done is not None:
                            req.done.set()
                served = mine in batch
        finally:
            self._hand_over()

    def _hand_over(self) -> None:
        with self._lock:
            if self._queue:
                nxt = self._queue[0]  # still queued, so a waiting caller with an event
                nxt.lead = True
                if nxt.done is not None:
                    nxt.done.set()
            else:
                self._leading = False


class Gate:
    """At most n holders at once; others wait, up to a timeout, for a place.

    Not threading.BoundedSemaphore: under gevent its Condition yields to the hub on every
    release (a failed non-blocking acquire sleeps), which breaks batching and costs time.
    """

    def __init__(self, n: int) -> None:
        self._free = n
        self._lock = threading.Lock()
        self._freed = threading.Event()

    def acquire(self, timeout: float) -> bool:
        """Take a place; False if none came free within timeout seconds."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if self._free > 0:
                    self._free -= 1
                    return True
                self._freed.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._freed.wait(remaining):
                return False

    def release(self) -> None:
        with self._lock:
            self._free += 1
        self._freed.set()
