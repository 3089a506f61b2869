"""Budget calls running at the same time on one account (SQLite file store, greenlets):
every debit is one store transaction, so a prepaid budget is never overdrawn."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import gevent
import pytest

from rating.store import open_store

from .support import DOC_CD, Rpc, make_engine


@pytest.fixture
def rpc(tmp_path: Path) -> Iterator[Rpc]:
    store = open_store(f"sqlite:///{tmp_path / 'legacy.db'}")
    client = Rpc(make_engine(store))
    client.load_plan()
    yield client
    store.close()


def test_concurrent_debit_balances_never_overdraw_a_prepaid_account(rpc: Rpc) -> None:
    debit = {**DOC_CD, "Amount": 15}
    replies = [r.value for r in gevent.joinall(
        [gevent.spawn(rpc, "Responder.DebitBalance", debit) for _ in range(20)], timeout=30)]
    granted = [r["result"] for r in replies if r["error"] is None]
    refused = [r["error"] for r in replies if r["error"] is not None]
    assert len(granted) == 13 and refused == ["INSUFFICIENT_CREDIT"] * 7
    assert sorted(granted) == [Decimal(200 - 15 * n) for n in range(13, 0, -1)]
    assert rpc.balances()["*default"] == 5


def test_concurrent_received_seconds_pay_one_bonus_per_threshold(rpc: Rpc) -> None:
    received = {**DOC_CD, "Amount": 10}
    gevent.joinall([gevent.spawn(rpc.ok, "Responder.AddRecievedCallSeconds", received)
                    for _ in range(25)], timeout=30, raise_error=True)
    assert rpc.ok("ApierV1.GetBalance", {"Tenant": "vdf", "Account": "rif",
                                         "BalanceId": "MONETARY"}) == 202  # 250 s: two bonuses
