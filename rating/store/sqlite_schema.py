"""The SQLite schema as a list of migrations, applied in order when a store opens.

``schema_version`` holds one row: how many migrations the file has. Opening runs the
missing ones in one ``BEGIN IMMEDIATE`` transaction (so two processes starting at once do
not both migrate), and refuses a file written by a newer callmeter. Never edit a released
migration; append a new one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

from .base import StoreError

Migration = Callable[[sqlite3.Connection], None]


def _v1_initial(conn: sqlite3.Connection) -> None:
    """Documents, accounts, applied transaction ids, CDRs, leases and the outbox."""
    _run(conn, """
        CREATE TABLE docs (
            kind TEXT NOT NULL,
            id   TEXT NOT NULL,
            doc  TEXT NOT NULL,
            PRIMARY KEY (kind, id)
        ) WITHOUT ROWID;

        CREATE TABLE accounts (
            id  TEXT PRIMARY KEY,   -- "tenant:account"
            doc TEXT NOT NULL
        ) WITHOUT ROWID;

        -- applied transaction ids and their results (idempotent retries), pruned by age
        CREATE TABLE txns (
            account_id TEXT NOT NULL,
            txn_id     TEXT NOT NULL,
            applied_ms INTEGER NOT NULL,
            result     TEXT NOT NULL,
            UNIQUE (account_id, txn_id)
        );
        CREATE INDEX txns_by_age ON txns (applied_ms);

        CREATE TABLE cdrs (
            cgr_id     TEXT NOT NULL,
            run_id     TEXT NOT NULL,
            order_time INTEGER NOT NULL,   -- unix ns, the query order
            account    TEXT NOT NULL,      -- "tenant:account"
            origin_id  TEXT NOT NULL,
            doc        TEXT NOT NULL,
            UNIQUE (cgr_id, run_id)
        );
        CREATE INDEX cdrs_by_time ON cdrs (order_time, cgr_id, run_id);
        CREATE INDEX cdrs_by_account ON cdrs (account, order_time, cgr_id, run_id);
        CREATE INDEX cdrs_by_origin ON cdrs (origin_id, order_time, cgr_id, run_id);

        CREATE TABLE leases (
            name       TEXT PRIMARY KEY,
            owner      TEXT NOT NULL,
            expires_ms INTEGER NOT NULL    -- wall clock: leases are shared between processes
        ) WITHOUT ROWID;

        CREATE TABLE outbox (
            id            INTEGER PRIMARY KEY AUTOINCREMENT,
            due_ms        INTEGER NOT NULL DEFAULT 0,
            claimed_until INTEGER NOT NULL DEFAULT 0,
            attempts      INTEGER NOT NULL DEFAULT 0,
            job           TEXT NOT NULL
        );
        CREATE INDEX outbox_by_due ON outbox (due_ms, id);
    """)


def _run(conn: sqlite3.Connection, script: str) -> None:
    # Not executescript(): it commits first, and migrations must stay in one transaction.
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


#: Migration i (0-based) brings a file from schema version i to i + 1.
MIGRATIONS: tuple[Migration, ...] = (_v1_initial,)


def schema_version(conn: sqlite3.Connection) -> int:
    """The file's schema version (0 for a new file)."""
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = conn.execute("SELECT version FROM schema_version").fetchone()
    return 0 if row is None else int(row[0])


def migrate(conn: sqlite3.Connection, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Bring the file up to date in one transaction; return the version it now has.

    ``conn`` must be in autocommit mode (isolation_level=None); it is left outside any
    transaction. A failing migration rolls back entirely and raises StoreError.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        current = schema_version(conn)
        if current > len(migrations):
            raise StoreError(
                f"the database has schema version {current}, newer than this callmeter "
                f"understands ({len(migrations)}); upgrade callmeter or use another file"
            )
        for version in range(current, len(migrations)):
            migrations[version](conn)
        if current == 0:
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (len(migrations),))
        else:
            conn.execute("UPDATE schema_version SET version = ?", (len(migrations),))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return len(migrations)
