"""Contract: atomic, idempotent account transactions, the same on every backend."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rating.store import CdrQuery, Commit, Store, StoreError
from rating.store.base import JSON

from .conftest import Backend
from .debits import NoAccount, balance_of, debit, new_account, set_balance

ACCT = "cgrates.org:1001"


def cdr(cgr_id: str, order_time: int = 1_700_000_000_000_000_000, run_id: str = "*default",
        account: str = "1001", origin_id: str = "call-1") -> JSON:
    return {"CGRID": cgr_id, "RunID": run_id, "OrderTime": order_time, "Tenant": "cgrates.org",
            "Account": account, "OriginID": origin_id, "Cost": "0.6"}


def test_transact_creates_the_account_and_returns_the_result(store: Store) -> None:
    result = store.transact(ACCT, set_balance("10"))

    assert result == "created"
    assert store.get_account(ACCT) == new_account("10")


def test_get_account_of_an_unknown_account_is_none(store: Store) -> None:
    assert store.get_account("cgrates.org:nobody") is None


def test_a_debit_changes_the_balance_exactly(store: Store) -> None:
    store.transact(ACCT, set_balance("10.00001"))

    result = store.transact(ACCT, debit(Decimal("0.00002")))

    assert result == {"granted": "0.00002", "balance": "9.99999"}
    assert balance_of(store.get_account(ACCT)) == Decimal("9.99999")


def test_commit_keep_leaves_the_account_untouched(store: Store) -> None:
    store.transact(ACCT, set_balance("5"))

    result = store.transact(ACCT, lambda acct: Commit.keep({"seen": acct["Balance"]}))

    assert result == {"seen": "5"}
    assert store.get_account(ACCT) == new_account("5")


def test_commit_of_none_deletes_the_account(store: Store) -> None:
    store.transact(ACCT, set_balance("5"))

    store.transact(ACCT, lambda acct: Commit(None, result="gone"))

    assert store.get_account(ACCT) is None
    assert ACCT not in store.list_accounts()


def test_an_account_can_be_created_again_after_deletion(store: Store) -> None:
    store.transact(ACCT, set_balance("5"))
    store.transact(ACCT, lambda acct: Commit(None))

    store.transact(ACCT, set_balance("7"))

    assert balance_of(store.get_account(ACCT)) == 7
    assert store.list_accounts() == [ACCT]


def test_the_same_txn_id_twice_applies_once_and_returns_the_first_result(store: Store) -> None:
    store.transact(ACCT, set_balance("10"))

    first = store.transact(ACCT, debit(Decimal("3")), txn_id="call-1:debit-1")
    second = store.transact(ACCT, debit(Decimal("3")), txn_id="call-1:debit-1")

    assert first == second == {"granted": "3", "balance": "7"}
    assert balance_of(store.get_account(ACCT)) == 7
    assert store.get_account(ACCT)["Applied"] == 1


def test_an_applied_txn_is_answered_without_running_fn_again(backend: Backend) -> None:
    one, two = backend.open(), backend.open()
    one.transact(ACCT, set_balance("10"))
    runs = 0

    def counted(account: JSON) -> Commit:
        nonlocal runs
        runs += 1
        return debit(Decimal(3))(account)

    one.transact(ACCT, counted, txn_id="t1")
    one.transact(ACCT, counted, txn_id="t1")
    two.transact(ACCT, counted, txn_id="t1")

    assert runs == 1


def test_a_retried_txn_returns_the_first_result_even_if_fn_would_now_fail(store: Store) -> None:
    store.transact(ACCT, set_balance("10"))
    store.transact(ACCT, debit(Decimal("3")), txn_id="t1")
    store.transact(ACCT, lambda acct: Commit(None))  # fn below would raise NoAccount now

    assert store.transact(ACCT, debit(Decimal("3")), txn_id="t1") == {"granted": "3",
                                                                     "balance": "7"}


def test_txn_ids_are_remembered_per_account(store: Store) -> None:
    other = "cgrates.org:1002"
    store.transact(ACCT, set_balance("10"))
    store.transact(other, set_balance("10"))

    store.transact(ACCT, debit(Decimal("1")), txn_id="same")
    store.transact(other, debit(Decimal("2")), txn_id="same")

    assert balance_of(store.get_account(ACCT)) == 9
    assert balance_of(store.get_account(other)) == 8


def test_txn_result_tells_whether_a_txn_was_applied(store: Store) -> None:
    store.transact(ACCT, set_balance("10"))
    store.transact(ACCT, debit(Decimal("4")), txn_id="t-4")

    assert store.txn_result(ACCT, "t-4") == (True, {"granted": "4", "balance": "6"})
    assert store.txn_result(ACCT, "t-5") == (False, None)
    assert store.txn_result("cgrates.org:1002", "t-4") == (False, None)


def test_a_keep_commit_with_a_txn_id_is_remembered_too(store: Store) -> None:
    store.transact(ACCT, set_balance("10"))

    store.transact(ACCT, lambda acct: Commit.keep("refused"), txn_id="t")

    assert store.transact(ACCT, debit(Decimal(1)), txn_id="t") == "refused"
    assert balance_of(store.get_account(ACCT)) == 10


def test_an_exception_in_fn_propagates_and_changes_nothing(store: Store) -> None:
    store.transact(ACCT, set_balance("10"))

    def explode(account: JSON) -> Commit:
        account["Balance"] = "0"  # mutating the argument must not leak into the store
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        store.transact(ACCT, explode, txn_id="t-boom")

    assert store.get_account(ACCT) == new_account("10")
    assert store.txn_result(ACCT, "t-boom") == (False, None)
    assert store.transact(ACCT, debit(Decimal(1)), txn_id="t-boom")["granted"] == "1"


def test_fn_sees_none_for_a_missing_account(store: Store) -> None:
    with pytest.raises(NoAccount):
        store.transact(ACCT, debit(Decimal(1)), txn_id="t")

    assert store.get_account(ACCT) is None
    assert store.txn_result(ACCT, "t") == (False, None)


@pytest.mark.parametrize("bad_commit", [
    lambda acct: "not a commit",
    lambda acct: Commit({"Balance": 1.5}),
    lambda acct: Commit(acct, result={"x": 0.5}),
    lambda acct: Commit(acct, cdrs=[{"RunID": "*default"}]),
    lambda acct: Commit(acct, cdrs=[cdr("c1", order_time=-1)]),
    lambda acct: Commit(acct, outbox=[{"url": 1.0}]),
])
def test_a_bad_commit_is_refused_and_changes_nothing(store: Store, bad_commit: object) -> None:
    store.transact(ACCT, set_balance("10"))

    with pytest.raises(StoreError):
        store.transact(ACCT, bad_commit, txn_id="t-bad")  # type: ignore[arg-type]

    assert store.get_account(ACCT) == new_account("10")
    assert store.txn_result(ACCT, "t-bad") == (False, None)
    assert store.query_cdrs(CdrQuery())[0] == []
    assert store.outbox_claim("w", 10, 1000, 10**13) == []


@pytest.mark.parametrize("bad", ["", "no-colon", "a:b\nc", None])
def test_bad_account_ids_are_refused(store: Store, bad: object) -> None:
    with pytest.raises(StoreError):
        store.transact(bad, set_balance("1"))  # type: ignore[arg-type]

    assert store.list_accounts() == []


def test_list_accounts_is_sorted_and_filters_by_tenant(store: Store) -> None:
    for acct in ["t2:b", "t1:b", "t1:a", "t10:a", "t1x:z"]:
        store.transact(acct, set_balance("1"))

    assert store.list_accounts() == ["t10:a", "t1:a", "t1:b", "t1x:z", "t2:b"]
    assert store.list_accounts("t1") == ["t1:a", "t1:b"]
    assert store.list_accounts("nope") == []


def test_cdrs_and_outbox_jobs_commit_with_the_account_change(store: Store) -> None:
    store.transact(ACCT, set_balance("10"))

    store.transact(ACCT, debit(Decimal(2), cdr=cdr("c1"), job={"url": "http://x/", "n": 1}),
                   txn_id="end-1")

    cdrs, _ = store.query_cdrs(CdrQuery())
    assert [c["CGRID"] for c in cdrs] == ["c1"]
    jobs = store.outbox_claim("worker", 10, 60_000, now_ms=10**13)
    assert [j["job"] for j in jobs] == [{"url": "http://x/", "n": 1}]


def test_a_retried_txn_does_not_write_its_cdrs_or_jobs_twice(store: Store) -> None:
    store.transact(ACCT, set_balance("10"))
    fn = debit(Decimal(2), cdr=cdr("c1"), job={"n": 1})

    store.transact(ACCT, fn, txn_id="end-1")
    store.transact(ACCT, fn, txn_id="end-1")

    assert len(store.query_cdrs(CdrQuery())[0]) == 1
    assert len(store.outbox_claim("worker", 10, 60_000, now_ms=10**13)) == 1


@pytest.mark.parametrize("call", [
    lambda store: store.get("Rates", "A"),
    lambda store: store.get_account(ACCT),
    lambda store: store.transact("cgrates.org:other", set_balance("1")),
    lambda store: store.transact(ACCT, set_balance("1")),
])
def test_a_transaction_function_may_not_call_the_store(store: Store, call: object) -> None:
    store.transact(ACCT, set_balance("10"))

    def nested(account: JSON) -> Commit:
        call(store)  # type: ignore[operator]
        return Commit({"Balance": "0"})

    with pytest.raises(StoreError, match="must not call the store"):
        store.transact(ACCT, nested, txn_id="t")

    assert store.get_account(ACCT) == new_account("10")
    assert store.get_account("cgrates.org:other") is None
    assert store.txn_result(ACCT, "t") == (False, None)
