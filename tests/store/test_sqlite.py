"""SQLite specifics: file and directory handling, schema migrations, locking, group commit."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import gevent
import pytest

from rating.store import Commit, StoreError, TooManyConflicts, open_store
from rating.store.sqlite import SqliteStore
from rating.store.sqlite_schema import MIGRATIONS, migrate, schema_version

from .debits import balance_of, debit, set_balance

ACCT = "cgrates.org:1001"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "callmeter.db"


def test_open_store_url_makes_the_directory_and_a_private_file(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "callmeter.db"

    store = open_store(f"sqlite:///{path}")
    store.close()

    assert path.is_file()
    assert stat.S_IMODE(path.stat().st_mode) & 0o007 == 0
    assert stat.S_IMODE(path.parent.stat().st_mode) & 0o007 == 0
    assert "synchronous=full" in store.describe()


def test_sqlite_url_with_four_slashes_is_the_same_absolute_path(tmp_path: Path) -> None:
    store = open_store(f"sqlite:////{tmp_path}/x.db", sqlite_synchronous="normal")
    store.close()

    assert (tmp_path / "x.db").is_file()
    assert "synchronous=normal" in store.describe()


def test_a_path_under_a_regular_file_gives_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")

    with pytest.raises(StoreError, match="afile"):
        SqliteStore(tmp_path / "afile" / "callmeter.db")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_a_read_only_directory_gives_a_clear_error(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o500)

    with pytest.raises(StoreError, match="not writable"):
        SqliteStore(ro / "callmeter.db")


def test_a_file_that_is_not_a_database_gives_a_clear_error(db_path: Path) -> None:
    db_path.parent.mkdir()
    db_path.write_bytes(b"this is not sqlite" * 100)

    with pytest.raises(StoreError, match=r"callmeter\.db"):
        SqliteStore(db_path)


def test_an_unknown_synchronous_setting_is_refused(db_path: Path) -> None:
    with pytest.raises(StoreError, match="synchronous"):
        SqliteStore(db_path, synchronous="off")


def test_the_store_runs_in_wal_mode_with_the_configured_synchronous(db_path: Path) -> None:
    store = SqliteStore(db_path, synchronous="normal")
    store.close()

    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_a_new_file_gets_the_latest_schema_version(db_path: Path) -> None:
    SqliteStore(db_path).close()

    conn = sqlite3.connect(db_path)
    assert schema_version(conn) == len(MIGRATIONS)
    conn.close()


def test_opening_again_keeps_the_data_and_does_not_migrate_twice(db_path: Path) -> None:
    store = SqliteStore(db_path)
    store.transact(ACCT, set_balance("3.5"))
    store.close()

    store = SqliteStore(db_path)

    assert balance_of(store.get_account(ACCT)) == Decimal("3.5")
    store.close()


def test_missing_migrations_are_applied_in_order_at_open(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    applied: list[int] = []

    def step(n: int) -> Any:
        def migration(c: sqlite3.Connection) -> None:
            c.execute(f"CREATE TABLE t{n} (x)")
            applied.append(n)
        return migration

    assert migrate(conn, [step(1)]) == 1
    assert migrate(conn, [step(1), step(2), step(3)]) == 3

    assert applied == [1, 2, 3]
    assert schema_version(conn) == 3


def test_a_failing_migration_rolls_back_entirely(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    migrate(conn, [lambda c: c.execute("CREATE TABLE a (x)")])

    def broken(c: sqlite3.Connection) -> None:
        c.execute("CREATE TABLE b (x)")
        raise RuntimeError("bad migration")

    with pytest.raises(RuntimeError):
        migrate(conn, [lambda c: c.execute("CREATE TABLE a (x)"), broken])

    assert schema_version(conn) == 1
    assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'b'").fetchone() is None


def test_a_file_from_a_newer_callmeter_is_refused(db_path: Path) -> None:
    SqliteStore(db_path).close()
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("UPDATE schema_version SET version = 999")
    conn.close()

    with pytest.raises(StoreError, match="newer"):
        SqliteStore(db_path)


def test_a_writer_holding_the_lock_too_long_gives_too_many_conflicts(db_path: Path) -> None:
    store = SqliteStore(db_path, busy_timeout_ms=100)
    store.transact(ACCT, set_balance("10"))
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")

    with pytest.raises(TooManyConflicts):
        store.transact(ACCT, debit(Decimal(1)), txn_id="t1")

    other.execute("ROLLBACK")
    other.close()
    assert store.txn_result(ACCT, "t1") == (False, None)
    assert store.transact(ACCT, debit(Decimal(1)), txn_id="t1")["balance"] == "9"
    store.close()


def test_concurrent_greenlets_share_transactions_through_group_commit(db_path: Path) -> None:
    # As in the daemon: commits run in gevent's thread pool, so while one batch is being
    # written the other greenlets queue their transactions for the next one.
    store = SqliteStore(db_path, run_blocking=gevent.get_hub().threadpool.apply)
    store.transact(ACCT, set_balance("1000"))

    def worker(i: int) -> list[str]:
        return [store.transact(ACCT, debit(Decimal("0.5")), txn_id=f"w{i}-{n}")["granted"]
                for n in range(50)]

    workers = [gevent.spawn(worker, i) for i in range(20)]
    gevent.joinall(workers, raise_error=True)
    granted = [g for w in workers for g in w.value]

    assert sum(map(Decimal, granted)) == 500
    assert store.get_account(ACCT)["Applied"] == 1000
    assert balance_of(store.get_account(ACCT)) == 500
    assert store.write_batches < 1001  # some transactions carried several debits
    store.close()


def test_one_failing_operation_in_a_batch_leaves_the_others_applied(db_path: Path) -> None:
    store = SqliteStore(db_path)
    store.transact(ACCT, set_balance("100"))
    barrier = threading.Barrier(10)

    def worker(i: int) -> str:
        barrier.wait()
        if i % 2:
            try:
                store.transact(ACCT, lambda a: (_ for _ in ()).throw(ValueError("odd")))
            except ValueError:
                return "failed"
        return str(store.transact(ACCT, debit(Decimal(1)))["granted"])

    with ThreadPoolExecutor(10) as pool:
        outcomes = list(pool.map(worker, range(10)))

    assert outcomes.count("failed") == 5
    assert store.get_account(ACCT)["Applied"] == 5
    store.close()


def test_commits_can_run_through_a_thread_pool_runner(db_path: Path) -> None:
    threads: set[str] = set()
    with ThreadPoolExecutor(2, thread_name_prefix="sqlite-commit") as pool:
        def run_blocking(fn: Any) -> Any:
            def wrapped() -> Any:
                threads.add(threading.current_thread().name)
                return fn()
            return pool.submit(wrapped).result()

        store = SqliteStore(db_path, run_blocking=run_blocking)
        store.transact(ACCT, set_balance("2"))
        store.transact(ACCT, debit(Decimal(1)), txn_id="t")
        store.put("Rates", "A", {"v": 1})

    assert balance_of(store.get_account(ACCT)) == 1
    assert all(name.startswith("sqlite-commit") for name in threads) and threads
    store.close()


def test_two_store_instances_on_one_file_see_each_others_commits(db_path: Path) -> None:
    one, two = SqliteStore(db_path), SqliteStore(db_path)

    one.transact(ACCT, set_balance("10"))
    two.transact(ACCT, debit(Decimal(4)), txn_id="t")

    assert balance_of(one.get_account(ACCT)) == 6
    assert one.transact(ACCT, debit(Decimal(4)), txn_id="t")["balance"] == "6"
    one.close()
    two.close()


def test_expired_txn_ids_are_forgotten_and_pruned(db_path: Path) -> None:
    store = SqliteStore(db_path, txn_memory_seconds=0, prune_interval=0)
    store.transact(ACCT, set_balance("10"))
    for n in range(5):
        store.transact(ACCT, debit(Decimal(1)), txn_id=f"t{n}")

    store.transact(ACCT, debit(Decimal(1)), txn_id="t0")  # forgotten: applies again

    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT COUNT(*) FROM txns").fetchone()[0] <= 1
    conn.close()
    assert balance_of(store.get_account(ACCT)) == 4
    store.close()


def test_txn_ids_are_kept_while_remembered(db_path: Path) -> None:
    store = SqliteStore(db_path, prune_interval=0)
    store.transact(ACCT, set_balance("10"))
    for n in range(5):
        store.transact(ACCT, debit(Decimal(1)), txn_id=f"t{n}")

    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT COUNT(*) FROM txns").fetchone()[0] == 5
    conn.close()
    store.close()


def test_a_closed_store_refuses_work(db_path: Path) -> None:
    store = SqliteStore(db_path)
    store.close()
    store.close()  # twice is fine

    with pytest.raises(StoreError, match="closed"):
        store.get("Rates", "A")
    with pytest.raises(StoreError, match="closed"):
        store.transact(ACCT, lambda a: Commit.keep())
