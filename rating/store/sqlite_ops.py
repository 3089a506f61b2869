"""The SQL of the SQLite store: functions of a connection, run inside a read or a write.

Write functions run inside the group committer's transaction (and their own SAVEPOINT),
so they never BEGIN or COMMIT themselves. Values are checked and encoded by the caller
or here before the first statement, so a bad input changes nothing.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from .base import JSON, CdrQuery, Commit, StoreError, TxnFn
from .codec import cdr_key, decode, decode_sort_cursor, encode, encode_cursor
from .reentry import ReentryGuard

_CHUNK = 500  # parameters per IN (...) list, well under SQLite's limit
CdrRow = tuple[str, str, int, str, str, str]


def get_many(conn: sqlite3.Connection, kind: str, ids: list[str]) -> dict[str, JSON]:
    found: dict[str, JSON] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        for id_, doc in conn.execute(
            f"SELECT id, doc FROM docs WHERE kind = ? AND id IN ({marks})", (kind, *chunk)
        ):
            found[id_] = decode(doc)
    return found


def put_many(conn: sqlite3.Connection, kind: str, rows: list[tuple[str, str, str]],
             replace_all: bool) -> None:
    if replace_all:
        conn.execute("DELETE FROM docs WHERE kind = ?", (kind,))
    conn.executemany("INSERT OR REPLACE INTO docs (kind, id, doc) VALUES (?, ?, ?)", rows)


def ids_with_prefix(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...],
                    prefix: str) -> list[str]:
    """Ids from an index range scan starting at prefix, stopping at the first that differs."""
    ids: list[str] = []
    for (id_,) in conn.execute(sql, (*params, prefix)):
        if not id_.startswith(prefix):
            break
        ids.append(id_)
    return ids


def transact(conn: sqlite3.Connection, account_id: str, fn: TxnFn, txn_id: str | None,
             now_ms: int, memory_ms: int, guard: ReentryGuard) -> JSON:
    """One account transaction inside the current write transaction (see Store.transact)."""
    if txn_id is not None:
        row = conn.execute(
            "SELECT result FROM txns WHERE account_id = ? AND txn_id = ? AND applied_ms > ?",
            (account_id, txn_id, now_ms - memory_ms)).fetchone()
        if row is not None:
            return decode(row[0])
    row = conn.execute("SELECT doc FROM accounts WHERE id = ?", (account_id,)).fetchone()
    commit = guard.call(fn, None if row is None else decode(row[0]))
    if not isinstance(commit, Commit):
        raise StoreError(f"a transaction function must return a Commit, not {commit!r}")
    account = None if commit.keep_account or commit.account is None else encode(commit.account)
    result = encode(commit.result)
    cdrs = cdr_rows(commit.cdrs)
    jobs = [(encode(job),) for job in commit.outbox]
    if not commit.keep_account:
        if account is None:
            conn.execute("DELETE FROM accounts WHERE id = ?", (account_id,))
        else:
            conn.execute("INSERT OR REPLACE INTO accounts (id, doc) VALUES (?, ?)",
                         (account_id, account))
    upsert_cdrs(conn, cdrs)
    conn.executemany("INSERT INTO outbox (job) VALUES (?)", jobs)
    if txn_id is not None:
        conn.execute(
            "INSERT INTO txns (account_id, txn_id, applied_ms, result) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (account_id, txn_id) DO UPDATE "
            "SET applied_ms = excluded.applied_ms, result = excluded.result",
            (account_id, txn_id, now_ms, result))
    return decode(result)


def prune_txns(conn: sqlite3.Connection, cutoff_ms: int, limit: int) -> int:
    """Delete up to limit txn records applied at or before cutoff_ms; how many went."""
    return conn.execute(
        "DELETE FROM txns WHERE rowid IN "
        "(SELECT rowid FROM txns WHERE applied_ms <= ? ORDER BY applied_ms LIMIT ?)",
        (cutoff_ms, limit)).rowcount


def cdr_rows(cdrs: list[JSON]) -> list[CdrRow]:
    rows = []
    for cdr in cdrs:
        key = cdr_key(cdr)
        rows.append((key.cgr_id, key.run_id, key.order_time, key.account, key.origin_id,
                     encode(cdr)))
    return rows


def upsert_cdrs(conn: sqlite3.Connection, rows: list[CdrRow]) -> None:
    conn.executemany(
        "INSERT INTO cdrs (cgr_id, run_id, order_time, account, origin_id, doc) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (cgr_id, run_id) DO UPDATE SET "
        "order_time = excluded.order_time, account = excluded.account, "
        "origin_id = excluded.origin_id, doc = excluded.doc", rows)


def query_cdrs(conn: sqlite3.Connection, q: CdrQuery) -> tuple[list[JSON], str | None]:
    """A page in (OrderTime, CGRID, RunID) order; the cursor is the last row's position."""
    where: list[str] = []
    params: list[Any] = []
    for column, values in (("account", q.accounts), ("origin_id", q.origin_ids),
                           ("cgr_id", q.cgr_ids), ("run_id", q.run_ids)):
        if values:
            where.append(f"{column} IN ({','.join('?' * len(values))})")
            params.extend(values)
    if q.since_ns is not None:
        where.append("order_time >= ?")
        params.append(q.since_ns)
    if q.until_ns is not None:
        where.append("order_time < ?")
        params.append(q.until_ns)
    if q.cursor:
        where.append("(order_time, cgr_id, run_id) > (?, ?, ?)")
        params.extend(decode_sort_cursor(q.cursor))
    sql = "SELECT order_time, cgr_id, run_id, doc FROM cdrs"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY order_time, cgr_id, run_id LIMIT ?"
    rows = conn.execute(sql, (*params, q.limit + 1)).fetchall()
    page = [decode(row[3]) for row in rows[: q.limit]]
    if len(rows) <= q.limit:
        return page, None
    last = rows[q.limit - 1]
    return page, encode_cursor([last[0], last[1], last[2]])


def acquire_lease(conn: sqlite3.Connection, name: str, owner: str, ttl_ms: int,
                  now_ms: int) -> bool:
    row = conn.execute("SELECT owner, expires_ms FROM leases WHERE name = ?", (name,)).fetchone()
    if row is not None and row[0] != owner and row[1] > now_ms:
        return False
    conn.execute("INSERT OR REPLACE INTO leases (name, owner, expires_ms) VALUES (?, ?, ?)",
                 (name, owner, now_ms + ttl_ms))
    return True


def outbox_claim(conn: sqlite3.Connection, limit: int, lease_ms: int,
                 now_ms: int) -> list[JSON]:
    rows = conn.execute(
        "SELECT id, due_ms, attempts, job FROM outbox WHERE due_ms <= ? AND claimed_until <= ? "
        "ORDER BY due_ms, id LIMIT ?", (now_ms, now_ms, limit)).fetchall()
    conn.executemany("UPDATE outbox SET claimed_until = ? WHERE id = ?",
                     [(now_ms + lease_ms, row[0]) for row in rows])
    return [{"id": str(r[0]), "due_ms": r[1], "attempts": r[2], "job": decode(r[3])}
            for r in rows]


def outbox_row_id(job_id: str) -> int | None:
    """The row of an outbox job id (ids are decimal row numbers); None if it cannot be one."""
    return int(job_id) if isinstance(job_id, str) and job_id.isdigit() else None

