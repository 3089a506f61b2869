"""The Engine through the store interface: shared tariffs, transactions, documents."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from rating.engine import Engine
from rating.store import open_store
from rating.store.base import Commit, Store

from .support import TUTORIAL, Clock, balance, cd, counter_ids, put_account, values


@pytest.fixture
def store() -> Store:
    return open_store("memory://")


def test_a_plan_loaded_by_one_engine_reaches_another_within_a_second(store: Store) -> None:
    clock = Clock()
    reader = Engine(store, clock=clock, new_id=counter_ids("r"))
    loader = Engine(store, clock=clock, new_id=counter_ids("l"))
    assert reader.tariffs().profiles == {}  # nothing loaded yet (and now cached)
    assert loader.load_folder(str(TUTORIAL)).ok
    assert reader.tariffs().profiles == {}  # checked less than a second ago
    clock.advance(1.0)
    assert reader.get_cost(cd("1002", 130)).Cost == Decimal("0.7169")


def test_engine_writes_only_json_documents(store: Store) -> None:
    engine = Engine(store, clock=Clock(), new_id=counter_ids())
    assert engine.load_folder(str(TUTORIAL)).ok
    put_account(store, "cgrates.org:1001", {"*monetary": [balance("m", 10)]})
    engine.debit(cd("1002", 130), debit_id="d1")
    doc = store.get_account("cgrates.org:1001")
    assert json.loads(json.dumps(doc)) == doc
    assert doc["BalanceMap"]["*monetary"][0]["Value"] == "9.2831"
    done, result = store.txn_result("cgrates.org:1001", "d1")
    assert done and result["Cost"] == "0.7169"


def test_a_failed_operation_leaves_the_account_and_txn_unrecorded(store: Store) -> None:
    engine = Engine(store, clock=Clock(), new_id=counter_ids())
    assert engine.load_folder(str(TUTORIAL)).ok
    put_account(store, "cgrates.org:1001", {"*monetary": [balance("m", 10)]})
    before = store.get_account("cgrates.org:1001")
    with pytest.raises(Exception, match="UNAUTHORIZED_DESTINATION"):
        engine.debit(cd("2000", 60), debit_id="bad")
    assert store.get_account("cgrates.org:1001") == before
    assert store.txn_result("cgrates.org:1001", "bad") == (False, None)


def test_replayed_debit_is_rebuilt_from_the_stored_result(store: Store) -> None:
    first = Engine(store, clock=Clock(), new_id=counter_ids("a"))
    assert first.load_folder(str(TUTORIAL)).ok
    put_account(store, "cgrates.org:1001", {"*monetary": [balance("m", 10)]})
    cc = first.max_debit(cd("1003", 60), debit_id="x")
    restarted = Engine(store, clock=Clock(), new_id=counter_ids("b"))
    again = restarted.max_debit(cd("1003", 60), debit_id="x")
    assert again.to_json() == cc.to_json()
    assert values(restarted, "1001") == {"m": Decimal("9.88")}


def test_transactions_see_concurrent_changes_made_in_between(store: Store) -> None:
    engine = Engine(store, clock=Clock(), new_id=counter_ids())
    assert engine.load_folder(str(TUTORIAL)).ok
    put_account(store, "cgrates.org:1001", {"*monetary": [balance("m", 1)]})
    engine.debit(cd("1003", 30), debit_id="a")

    def top_up(doc: Any) -> Commit:  # another writer between two debits
        doc["BalanceMap"]["*monetary"][0]["Value"] = "5"
        return Commit(doc, None)

    store.transact("cgrates.org:1001", top_up)
    engine.debit(cd("1003", 30), debit_id="b")
    assert values(engine, "1001") == {"m": Decimal("4.7")}
