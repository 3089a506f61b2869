"""The embedded default store: one SQLite file in WAL mode, safe for several processes.

Writes go through one writer connection with group commit (sqlite_writer.py): each
account transaction runs inside ``BEGIN IMMEDIATE``, so it sees the latest committed state
and no other process can commit in between; there are no optimistic conflicts, only a
bounded wait (busy_timeout) for another process's transaction. Reads use a second
connection, which WAL lets run alongside a write. ``synchronous=FULL`` (the default)
fsyncs the WAL at every commit, so an acknowledged debit survives a power cut.
"""

from __future__ import annotations

import functools
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from . import sqlite_ops as ops
from .base import JSON, TXN_MEMORY_SECONDS, CdrQuery, Store, StoreError, TxnFn
from .codec import check_account_id, check_id, check_query, decode, encode
from .reentry import ReentryGuard
from .sqlite_schema import migrate
from .sqlite_writer import GroupCommitter, Runner, sqlite_error

log = logging.getLogger(__name__)
T = TypeVar("T")

#: How often (seconds) a write transaction also prunes expired txn ids, and how many at most.
PRUNE_INTERVAL = 10.0
PRUNE_CHUNK = 1000


class SqliteStore(Store):
    """A Store in one SQLite file (see the module docstring for the concurrency model)."""

    def __init__(self, path: str | os.PathLike[str], synchronous: str = "full", *,
                 busy_timeout_ms: int = 5000, run_blocking: Runner | None = None,
                 txn_memory_seconds: int = TXN_MEMORY_SECONDS,
                 prune_interval: float = PRUNE_INTERVAL) -> None:
        if synchronous not in ("full", "normal"):
            raise StoreError(f"sqlite synchronous must be 'full' or 'normal', not {synchronous!r}")
        self.path = Path(path)
        self.synchronous = synchronous
        self._txn_memory_ms = txn_memory_seconds * 1000
        self._next_prune = 0.0
        self._prune_interval = prune_interval
        _prepare_file(self.path)
        self._closed = False
        self._guard = ReentryGuard()
        writer = self._connect(busy_timeout_ms)
        try:
            self._setup_writer(writer)
            reader = self._connect(busy_timeout_ms)
            reader.execute("PRAGMA query_only = ON")
        except BaseException:
            writer.close()
            raise
        self._reader = reader
        self._read_lock = threading.Lock()
        self._run_blocking = run_blocking
        self._writer_conn = writer
        self._busy = 0  # writes in progress in this process (a hint for group commit)
        self._writer = GroupCommitter(writer, str(self.path), run_blocking,
                                      maintenance=self._prune,
                                      crowded=lambda: self._busy > self._writer.queued)

    # -- connections ------------------------------------------------------------------------
    def _connect(self, busy_timeout_ms: int) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.path, timeout=busy_timeout_ms / 1000,
                                   isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open SQLite database {self.path}: {exc}") from None
        return conn

    def _setup_writer(self, conn: sqlite3.Connection) -> None:
        try:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(f"SQLite database {self.path} cannot use WAL mode (got {mode})")
            conn.execute(f"PRAGMA synchronous = {self.synchronous.upper()}")
            version = migrate(conn)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open SQLite database {self.path}: {exc}") from None
        log.info("SQLite store %s open (schema version %d, synchronous=%s)",
                 self.path, version, self.synchronous)

    def _read(self, fn: Callable[[sqlite3.Connection], T], long: bool = False) -> T:
        """fn(reader); a long read (many rows) goes through run_blocking like commits do."""
        self._check_open()
        with self._read_lock:
            try:
                if long and self._run_blocking is not None:
                    result: T = self._run_blocking(functools.partial(fn, self._reader))
                    return result
                return fn(self._reader)
            except sqlite3.Error as exc:
                raise sqlite_error(exc, str(self.path)) from None

    def _write(self, op: Callable[[sqlite3.Connection], T]) -> T:
        self._check_open()
        self._busy += 1
        try:
            result: T = self._writer.submit(op)
        finally:
            self._busy -= 1
        return result

    def _check_open(self) -> None:
        self._guard.check()
        if self._closed:
            raise StoreError(f"SQLite store {self.path} is closed")

    def _prune(self, conn: sqlite3.Connection) -> None:
        """Forget expired txn ids a chunk at a time, inside a write that is happening anyway."""
        if time.monotonic() < self._next_prune:
            return
        cutoff = _now_ms() - self._txn_memory_ms
        deleted = ops.prune_txns(conn, cutoff, PRUNE_CHUNK)
        # A full chunk means there is more: prune again with the next batch.
        more = deleted >= PRUNE_CHUNK
        self._next_prune = 0.0 if more else time.monotonic() + self._prune_interval

    # -- documents --------------------------------------------------------------------------
    def get(self, kind: str, id: str) -> JSON | None:
        check_id(kind, "kind")
        row = self._read(lambda c: c.execute(
            "SELECT doc FROM docs WHERE kind = ? AND id = ?", (kind, id)).fetchone())
        return None if row is None else decode(row[0])

    def get_many(self, kind: str, ids: Iterable[str]) -> dict[str, JSON]:
        check_id(kind, "kind")
        wanted = list(dict.fromkeys(ids))
        return self._read(lambda c: ops.get_many(c, kind, wanted), long=len(wanted) > 50)

    def put(self, kind: str, id: str, doc: JSON) -> None:
        text = encode(doc)
        args = (check_id(kind, "kind"), check_id(id), text)
        self._write(lambda c: c.execute(
            "INSERT OR REPLACE INTO docs (kind, id, doc) VALUES (?, ?, ?)", args))

    def put_many(self, kind: str, docs: dict[str, JSON], replace_all: bool = False) -> None:
        check_id(kind, "kind")
        rows = [(kind, check_id(i), encode(d)) for i, d in docs.items()]
        self._write(lambda c: ops.put_many(c, kind, rows, replace_all))

    def delete(self, kind: str, id: str) -> bool:
        check_id(kind, "kind")
        return self._write(lambda c: c.execute(
            "DELETE FROM docs WHERE kind = ? AND id = ?", (kind, id)).rowcount > 0)

    def list_ids(self, kind: str, prefix: str = "") -> list[str]:
        check_id(kind, "kind")
        return self._read(lambda c: ops.ids_with_prefix(
            c, "SELECT id FROM docs WHERE kind = ? AND id >= ? ORDER BY id", (kind,), prefix),
            long=True)

    # -- accounts ---------------------------------------------------------------------------
    def get_account(self, account_id: str) -> JSON | None:
        check_account_id(account_id)
        row = self._read(lambda c: c.execute(
            "SELECT doc FROM accounts WHERE id = ?", (account_id,)).fetchone())
        return None if row is None else decode(row[0])

    def list_accounts(self, tenant: str | None = None) -> list[str]:
        prefix = f"{tenant}:" if tenant else ""
        return self._read(lambda c: ops.ids_with_prefix(
            c, "SELECT id FROM accounts WHERE id >= ? ORDER BY id", (), prefix), long=True)

    def transact(self, account_id: str, fn: TxnFn, txn_id: str | None = None) -> JSON:
        check_account_id(account_id)
        if txn_id is not None:
            check_id(txn_id, "txn id")
        memory_ms = self._txn_memory_ms
        return self._write(lambda c: ops.transact(c, account_id, fn, txn_id, _now_ms(), memory_ms,
                                                  self._guard))

    def txn_result(self, account_id: str, txn_id: str) -> tuple[bool, JSON]:
        since = _now_ms() - self._txn_memory_ms
        row = self._read(lambda c: c.execute(
            "SELECT result FROM txns WHERE account_id = ? AND txn_id = ? AND applied_ms > ?",
            (account_id, txn_id, since)).fetchone())
        return (False, None) if row is None else (True, decode(row[0]))

    # -- CDRs -------------------------------------------------------------------------------
    def append_cdrs(self, cdrs: list[JSON]) -> None:
        rows = ops.cdr_rows(cdrs)
        if rows:
            self._write(lambda c: ops.upsert_cdrs(c, rows))

    def query_cdrs(self, query: CdrQuery) -> tuple[list[JSON], str | None]:
        check_query(query)
        return self._read(lambda c: ops.query_cdrs(c, query), long=True)

    # -- leases -----------------------------------------------------------------------------
    def acquire_lease(self, name: str, owner: str, ttl_ms: int) -> bool:
        check_id(name, "lease name")
        check_id(owner, "lease owner")
        return self._write(lambda c: ops.acquire_lease(c, name, owner, int(ttl_ms), _now_ms()))

    def release_lease(self, name: str, owner: str) -> bool:
        return self._write(lambda c: c.execute(
            "DELETE FROM leases WHERE name = ? AND owner = ? AND expires_ms > ?",
            (name, owner, _now_ms())).rowcount > 0)

    def lease_owner(self, name: str) -> str | None:
        row = self._read(lambda c: c.execute(
            "SELECT owner FROM leases WHERE name = ? AND expires_ms > ?",
            (name, _now_ms())).fetchone())
        return None if row is None else str(row[0])

    # -- outbox -----------------------------------------------------------------------------
    def outbox_claim(self, owner: str, limit: int, lease_ms: int, now_ms: int) -> list[JSON]:
        return self._write(lambda c: ops.outbox_claim(c, int(limit), int(lease_ms), int(now_ms)))

    def outbox_done(self, job_id: str) -> None:
        row_id = ops.outbox_row_id(job_id)
        if row_id is not None:
            self._write(lambda c: c.execute("DELETE FROM outbox WHERE id = ?", (row_id,)))

    def outbox_retry(self, job_id: str, due_ms: int, attempts: int) -> None:
        row_id = ops.outbox_row_id(job_id)
        if row_id is not None:
            self._write(lambda c: c.execute(
                "UPDATE outbox SET due_ms = ?, attempts = ?, claimed_until = 0 WHERE id = ?",
                (int(due_ms), int(attempts), row_id)))

    # -- life cycle -------------------------------------------------------------------------
    def ping(self) -> None:
        self._read(lambda c: c.execute("SELECT 1").fetchone())

    def describe(self) -> str:
        return f"sqlite {self.path} (WAL, synchronous={self.synchronous})"

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with self._read_lock:
            self._reader.close()
        self._writer_conn.close()

    @property
    def write_batches(self) -> int:
        """How many write transactions were committed (group commit makes it < writes)."""
        return self._writer.batches


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _prepare_file(path: Path) -> None:
    """Create the directory (0750) and the file (0640) if missing; StoreError if we cannot."""
    parent = path.parent
    try:
        parent.mkdir(mode=0o750, parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"cannot create the directory {parent} for the SQLite database: {exc.strerror}"
        ) from None
    if not parent.is_dir():
        raise StoreError(f"cannot use {path} for the SQLite database: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise StoreError(f"cannot use {path} for the SQLite database: {parent} is not writable")
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o640))
    except OSError as exc:
        raise StoreError(f"cannot open the SQLite database {path}: {exc.strerror}") from None
