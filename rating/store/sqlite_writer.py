"""Group commit for SQLite: many write operations share one transaction and one fsync.

Callers submit an operation (a function of the writer connection). The first caller to
find no batch running becomes the leader: it takes up to ``max_batch`` queued operations,
runs them in one ``BEGIN IMMEDIATE`` transaction, each inside its own SAVEPOINT (so one
operation raising rolls back only itself), commits once, and hands the outcomes out.
Then it passes the lead to the next waiting caller. With 50 concurrent debits this turns
50 fsyncs into a few; a lone caller simply commits its own operation.

The leader may run the batch through ``run_blocking`` (under gevent: the hub's thread
pool), so a slow fsync never stalls the event loop; without it the batch runs inline,
which is right for plain threads, the CLI and tests.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

from .base import StoreError, StoreUnavailable, TooManyConflicts

Op = Callable[[sqlite3.Connection], Any]
#: run_blocking(fn) runs fn() (maybe in another OS thread) and returns its result.
Runner = Callable[[Callable[[], Any]], Any]
#: Called inside each batch's transaction after the operations (pruning old rows).
Maintenance = Callable[[sqlite3.Connection], None]

_PENDING = object()


def sqlite_error(exc: sqlite3.Error, path: str) -> StoreError:
    """Our error for a SQLite failure: busy → TooManyConflicts, I/O → StoreUnavailable."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        return TooManyConflicts(f"SQLite database {path} stayed locked by another writer ({text})")
    if isinstance(exc, sqlite3.OperationalError) and ("disk" in text or "unable to open" in text):
        return StoreUnavailable(f"SQLite database {path}: {text}")
    return StoreError(f"SQLite database {path}: {text}")


def _direct(fn: Callable[[], Any]) -> Any:
    return fn()


class _Request:
    __slots__ = ("done", "error", "lead", "op", "result")

    def __init__(self, op: Op) -> None:
        self.op = op
        self.done = threading.Event()
        self.result: Any = _PENDING
        self.error: BaseException | None = None
        self.lead = False

    def outcome(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.result


class GroupCommitter:
    """Serialises write operations on one connection, batching them into transactions."""

    def __init__(self, conn: sqlite3.Connection, path: str, run_blocking: Runner | None = None,
                 maintenance: Maintenance | None = None, max_batch: int = 256) -> None:
        self._conn = conn
        self._path = path
        self._run_blocking = run_blocking or _direct
        self._maintenance = maintenance
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: list[_Request] = []
        self._leading = False
        self.batches = 0  # for tests and the benchmark: how many transactions were committed

    def submit(self, op: Op) -> Any:
        """Run op(conn) inside a write transaction and return its result (or raise its error)."""
        req = _Request(op)
        with self._lock:
            self._queue.append(req)
            req.lead = not self._leading
            self._leading = True
        if not req.lead:
            req.done.wait()
        if req.lead:
            self._lead(req)
        return req.outcome()

    def _lead(self, mine: _Request) -> None:
        served = False
        try:
            while not served:
                with self._lock:
                    batch = self._queue[: self._max_batch]
                    del self._queue[: self._max_batch]
                try:
                    self._run_blocking(functools.partial(self._execute, batch))
                finally:
                    for req in batch:
                        if req.result is _PENDING and req.error is None:
                            req.error = StoreUnavailable("the write was interrupted")
                        if req is not mine:
                            req.done.set()
                served = mine in batch
        finally:
            self._hand_over()

    def _hand_over(self) -> None:
        with self._lock:
            if self._queue:
                nxt = self._queue[0]
                nxt.lead = True
                nxt.done.set()
            else:
                self._leading = False

    def _execute(self, batch: list[_Request]) -> None:
        """One transaction for the whole batch; runs in whatever thread run_blocking picks."""
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            self._fail(batch, sqlite_error(exc, self._path))
            return
        for req in batch:
            lost = self._run_one(conn, req)
            if lost is not None:
                self._abort(conn, batch, lost)
                return
        try:
            if self._maintenance is not None:
                self._maintenance(conn)
            conn.execute("COMMIT")
            self.batches += 1
        except sqlite3.Error as exc:
            self._abort(conn, batch, exc)

    def _run_one(self, conn: sqlite3.Connection, req: _Request) -> BaseException | None:
        """Run one operation under a savepoint; the error if the whole transaction was lost."""
        try:
            conn.execute("SAVEPOINT op")
            try:
                req.result = req.op(conn)
            except Exception as exc:
                if not conn.in_transaction:  # SQLite rolled everything back (disk full, I/O)
                    return exc
                conn.execute("ROLLBACK TO op")
                req.error = sqlite_error(exc, self._path) if isinstance(exc, sqlite3.Error) else exc
            conn.execute("RELEASE op")
        except sqlite3.Error as exc:
            return exc
        return None

    def _abort(self, conn: sqlite3.Connection, batch: list[_Request], exc: BaseException) -> None:
        if conn.in_transaction:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
        err = sqlite_error(exc, self._path) if isinstance(exc, sqlite3.Error) else StoreError(
            f"SQLite database {self._path}: write failed ({exc})")
        # Earlier operations of this batch were rolled back too: none of them happened.
        self._fail(batch, err)

    def _fail(self, batch: list[_Request], err: StoreError) -> None:
        for req in batch:
            req.result = _PENDING
            req.error = type(err)(str(err))  # one instance per caller: tracebacks differ
