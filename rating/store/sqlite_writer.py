"""Group commit for SQLite: many write operations share one transaction and one fsync.

Callers submit an operation (a function of the writer connection); the batch leader
(batching.py) runs the queued operations in one ``BEGIN IMMEDIATE`` transaction, each
inside its own SAVEPOINT (so one operation raising rolls back only itself), and commits
once. With 50 concurrent debits this turns 50 fsyncs into a few; a lone caller simply
commits its own operation.

The leader may run the batch through ``run_blocking`` (under gevent: the hub's thread
pool), so a slow fsync never stalls the event loop; without it the batch runs inline,
which is right for plain threads, the CLI and tests.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from typing import Any

from .base import StoreError, StoreUnavailable, TooManyConflicts
from .batching import PENDING, LeaderBatcher, Request

Op = Callable[[sqlite3.Connection], Any]
#: run_blocking(fn) runs fn() (maybe in another OS thread) and returns its result.
Runner = Callable[[Callable[[], Any]], Any]
#: Called inside each batch's transaction after the operations (pruning old rows).
Maintenance = Callable[[sqlite3.Connection], None]

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


class GroupCommitter:
    """Serialises write operations on one connection, batching them into transactions."""

    def __init__(self, conn: sqlite3.Connection, path: str, run_blocking: Runner | None = None,
                 maintenance: Maintenance | None = None, max_batch: int = 256,
                 crowded: Callable[[], bool] | None = None) -> None:
        self._conn = conn
        self._path = path
        self._run_blocking = run_blocking or _direct
        self._maintenance = maintenance
        self._batcher = LeaderBatcher(self._run_batch, max_batch, crowded)
        self.batches = 0  # for tests and the benchmark: how many transactions were committed

    @property
    def queued(self) -> int:
        return self._batcher.queued

    def submit(self, op: Op) -> Any:
        """Run op(conn) inside a write transaction and return its result (or raise its error)."""
        return self._batcher.submit(op)

    def _run_batch(self, batch: list[Request]) -> None:
        self._run_blocking(functools.partial(self._execute_safely, batch))

    def _execute_safely(self, batch: list[Request]) -> None:
        try:
            self._execute(batch)
        except BaseException as exc:  # KeyboardInterrupt, GreenletExit: never leave it open
            self._abort(self._conn, batch, exc)
            raise

    def _execute(self, batch: list[Request]) -> None:
        """One transaction for the whole batch; runs in whatever thread run_blocking picks."""
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            self._fail(batch, sqlite_error(exc, self._path))
            return
        if len(batch) == 1:  # alone: no savepoint needed, a failure rolls everything back
            self._run_alone(conn, batch[0])
            return
        for req in batch:
            lost = self._run_one(conn, req)
            if lost is not None:
                self._abort(conn, batch, lost)
                return
        self._commit(conn, batch)

    def _run_alone(self, conn: sqlite3.Connection, req: Request) -> None:
        try:
            req.result = req.item(conn)
        except Exception as exc:
            req.result = PENDING
            self._abort(conn, [req], exc)
            if not isinstance(exc, sqlite3.Error):
                req.error = exc  # the caller's own exception, unchanged
            return
        self._commit(conn, [req])

    def _commit(self, conn: sqlite3.Connection, batch: list[Request]) -> None:
        try:
            if self._maintenance is not None:
                self._maintenance(conn)
            conn.execute("COMMIT")
            self.batches += 1
        except sqlite3.Error as exc:
            self._abort(conn, batch, exc)

    def _run_one(self, conn: sqlite3.Connection, req: Request) -> BaseException | None:
        """Run one operation under a savepoint; the error if the whole transaction was lost."""
        try:
            conn.execute("SAVEPOINT op")
            try:
                req.result = req.item(conn)
            except Exception as exc:
                if not conn.in_transaction:  # SQLite rolled everything back (disk full, I/O)
                    return exc
                conn.execute("ROLLBACK TO op")
                req.error = sqlite_error(exc, self._path) if isinstance(exc, sqlite3.Error) else exc
            conn.execute("RELEASE op")
        except sqlite3.Error as exc:
            return exc
        return None

    def _abort(self, conn: sqlite3.Connection, batch: list[Request], exc: BaseException) -> None:
        if conn.in_transaction:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
        err = sqlite_error(exc, self._path) if isinstance(exc, sqlite3.Error) else StoreError(
            f"SQLite database {self._path}: write failed ({exc})")
        # Earlier operations of this batch were rolled back too: none of them happened.
        self._fail(batch, err)

    def _fail(self, batch: list[Request], err: StoreError) -> None:
        for req in batch:
            req.result = PENDING
            req.error = type(err)(str(err))  # one instance per caller: tracebacks differ
