"""The Engine through the store interface: shared tariffs, transactions, documents."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from rating.engine import Engine
from rating.errors import NotFound
from rating.store import open_store
from rating.store.base import Commit, Store
from rating.tpplan import TariffPlan

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


def test_api_setters_go_through_a_checked_partial_plan(store: Store) -> None:
    engine = Engine(store, clock=Clock(), new_id=counter_ids())
    assert engine.load_folder(str(TUTORIAL)).ok
    plan = TariffPlan()
    plan.docs["destinations"]["DST_NEW"] = {"ID": "DST_NEW", "Prefixes": ["777"]}
    plan.docs["destination_rates"]["DR_NEW"] = {"ID": "DR_NEW", "DestinationRates": [
        {"DestinationId": "DST_NEW", "RateId": "RT_1CNT_PER_SEC", "RoundingMethod": "*up",
         "RoundingDecimals": 4, "MaxCost": "0", "MaxCostStrategy": ""}]}
    plan.docs["rating_plans"]["RP_1001"] = dict(engine.get_tariff("rating_plans", "RP_1001"))
    plan.docs["rating_plans"]["RP_1001"]["RatingPlanBindings"] = [
        *plan.docs["rating_plans"]["RP_1001"]["RatingPlanBindings"],
        {"DestinationRatesId": "DR_NEW", "TimingId": "*any", "Weight": "10"}]
    assert engine.load_tariff_plan(plan).ok
    assert engine.get_cost(cd("7770", 30)).Cost == Decimal("0.3")
    broken = TariffPlan()
    broken.docs["destination_rates"]["DR_BAD"] = {"ID": "DR_BAD", "DestinationRates": [
        {"DestinationId": "DST_NOPE", "RateId": "RT_1CNT_PER_SEC"}]}
    report = engine.load_tariff_plan(broken)
    assert [str(e) for e in report.errors] == [
        "DestinationRates.csv:0:2: destination 'DST_NOPE' does not exist"]
    with pytest.raises(NotFound):
        engine.get_tariff("destination_rates", "DR_BAD")


class _SecondWriterWins(Store):
    """Wraps a store: the transaction function runs, then another host commits the same
    debit id first (a race the store resolves by keeping the first commit)."""

    def __init__(self, inner: Store, rival: Engine) -> None:
        self._inner = inner
        self._rival = rival

    def transact(self, account_id: str, fn: Any, txn_id: str | None = None) -> Any:
        fn(self._inner.get_account(account_id))  # our attempt, computed but not committed
        self._rival.max_debit(cd("1003", 5), debit_id=str(txn_id))  # the other host wins
        return self._inner.transact(account_id, fn, txn_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


for _name in Store.__abstractmethods__ - {"transact"}:
    setattr(_SecondWriterWins, _name, lambda self, *a, _n=_name, **k: getattr(self._inner, _n)(*a, **k))
_SecondWriterWins.__abstractmethods__ = frozenset()


def test_a_debit_id_applied_by_another_host_returns_that_hosts_result(store: Store) -> None:
    rival = Engine(store, clock=Clock(), new_id=counter_ids("r"))
    assert rival.load_folder(str(TUTORIAL)).ok
    put_account(store, "cgrates.org:1001", {"*monetary": [balance("m", 10)]})
    ours = Engine(_SecondWriterWins(store, rival), clock=Clock(), new_id=counter_ids("o"))
    cc = ours.max_debit(cd("1003", 10), debit_id="same-id")
    # The rival debited 5 s under that id first; we must report what was applied, not
    # the 10 s our own (discarded) attempt computed.
    assert cc.rated_usage == 5_000_000_000
    assert values(ours, "1001") == {"m": Decimal("9.95")}
