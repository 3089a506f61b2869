"""Crash safety: kill -9 a process in the middle of a stream of SQLite commits.

On reopening, every debit the process acknowledged is there with the result it gave, and
nothing is half-applied: the account's counters, the applied txn ids, the CDRs and the
outbox jobs all agree with each other and with the balance.
"""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from rating.store.sqlite import SqliteStore

from .debits import set_balance

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
ACCT = "cgrates.org:crash"
BALANCE = Decimal("1000")


def run_and_kill(db: Path, round_id: str, acks_before_kill: int,
                 synchronous: str) -> dict[str, Decimal]:
    """Start a writer, SIGKILL it after that many acks; every ack it printed."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.store.crash_writer", str(db), ACCT, round_id, "4",
         synchronous],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    acked: dict[str, Decimal] = {}
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            _, txn, granted = line.split()
            acked[txn] = Decimal(granted)
            if len(acked) >= acks_before_kill:
                proc.send_signal(signal.SIGKILL)
                break
        rest, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL, err
    for line in rest.splitlines():  # printed before the kill landed: acknowledged too
        if line.count(" ") == 2:
            _, txn, granted = line.split()
            acked[txn] = Decimal(granted)
    return acked


@pytest.mark.parametrize("synchronous", ["full", "normal"])
def test_acknowledged_debits_survive_kill_9_and_nothing_is_half_applied(
        tmp_path: Path, synchronous: str) -> None:
    db = tmp_path / "crash.db"
    store = SqliteStore(db)
    store.transact(ACCT, set_balance(BALANCE))
    store.close()
    rnd = random.Random(4)
    acked: dict[str, Decimal] = {}

    for round_no in range(3):
        acked.update(run_and_kill(db, f"r{round_no}", rnd.randrange(50, 400), synchronous))

        store = SqliteStore(db)
        for txn, granted in acked.items():
            done, result = store.txn_result(ACCT, txn)
            assert done, f"acknowledged debit {txn} is lost"
            assert Decimal(result["granted"]) == granted
        store.close()
        check_consistent(db)


def check_consistent(db: Path) -> None:
    conn = sqlite3.connect(db)
    txns = conn.execute("SELECT result FROM txns WHERE account_id = ?", (ACCT,)).fetchall()
    granted = sum((Decimal(json.loads(r[0])["granted"]) for r in txns), Decimal(0))
    cdrs = conn.execute("SELECT COUNT(*) FROM cdrs WHERE account = ?", (ACCT,)).fetchone()[0]
    jobs = conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
    account = json.loads(
        conn.execute("SELECT doc FROM accounts WHERE id = ?", (ACCT,)).fetchone()[0])
    conn.close()
    assert account["Applied"] == len(txns) == cdrs == jobs
    assert Decimal(account["Granted"]) == granted
    assert Decimal(account["Balance"]) == BALANCE - granted
