"""Redis specifics: lost replies, conflicts, outages and restarts, TLS, the spool."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest

from rating.store import (
    CdrQuery,
    Commit,
    StoreError,
    StoreUnavailable,
    TooManyConflicts,
    redis_spool,
)
from rating.store.base import JSON
from rating.store.redis import RedisStore
from tests.support.net import free_port
from tests.support.redis_server import RedisServer
from tests.support.tcp_proxy import LossyProxy

from .debits import balance_of, debit, set_balance

ACCT = "cgrates.org:1001"


@pytest.fixture
def proxy(redis_server: RedisServer) -> Iterator[LossyProxy]:
    proxy = LossyProxy(redis_server.port)
    yield proxy
    proxy.close()


def open_store(port: int, **options: object) -> RedisStore:
    query = "&".join(f"{k}={v}" for k, v in options.items())
    return RedisStore.from_url(f"redis://127.0.0.1:{port}/0?{query}")


@pytest.mark.parametrize("txn_id", ["call-1:debit-1", None])
def test_a_lost_reply_retried_by_redis_py_debits_once(proxy: LossyProxy,
                                                      txn_id: str | None) -> None:
    store = open_store(proxy.port)
    store.transact(ACCT, set_balance("10"))  # also loads the scripts
    proxy.lose_reply_to(store._scripts["commit"].sha.encode())

    result = store.transact(ACCT, debit(Decimal(3)), txn_id=txn_id)

    assert proxy.replies_lost == 1
    assert result == {"granted": "3", "balance": "7"}
    assert store.get_account(ACCT)["Applied"] == 1
    store.close()


def test_a_lost_reply_to_a_batch_of_commits_applies_each_once(proxy: LossyProxy) -> None:
    store = open_store(proxy.port)
    accounts = [f"cgrates.org:{n}" for n in range(20)]
    for account in accounts:
        store.transact(account, set_balance("10"))
    proxy.lose_reply_to(store._scripts["commit"].sha.encode(), min_count=2)  # a pipeline
    rounds = 0

    def debit_once(account: str, barrier: threading.Barrier) -> object:
        barrier.wait()
        return store.transact(account, debit(Decimal(1)), txn_id=f"{account}:{rounds}")

    while not proxy.replies_lost and rounds < 5:  # until the threads' commits shared a batch
        rounds += 1
        barrier = threading.Barrier(len(accounts))
        with ThreadPoolExecutor(len(accounts)) as pool:
            results = list(pool.map(debit_once, accounts, [barrier] * len(accounts)))
        assert results == [{"granted": "1", "balance": str(10 - rounds)}] * len(accounts)

    assert proxy.replies_lost == 1
    assert all(store.get_account(a)["Applied"] == rounds for a in accounts)
    store.close()


def test_a_lost_reply_to_a_lease_renewal_keeps_the_lease(proxy: LossyProxy) -> None:
    store = open_store(proxy.port)
    assert store.acquire_lease("scheduler", "host-a", 10_000)
    proxy.lose_reply_to(store._scripts["lease_acquire"].sha.encode())

    assert store.acquire_lease("scheduler", "host-a", 10_000) is True
    assert proxy.replies_lost == 1
    store.close()


def test_transact_retries_on_conflicts_then_gives_up(redis_server: RedisServer) -> None:
    store = open_store(redis_server.port, max_conflicts=3)
    meddler = open_store(redis_server.port)
    store.transact(ACCT, set_balance("100"))
    calls = 0

    def conflicted(account: JSON) -> Commit:
        nonlocal calls
        calls += 1
        meddler.transact(ACCT, debit(Decimal(1)))  # another host changes the account meanwhile
        return debit(Decimal(10))(account)

    with pytest.raises(TooManyConflicts):
        store.transact(ACCT, conflicted, txn_id="t")

    assert calls == 4
    assert balance_of(store.get_account(ACCT)) == 96  # only the meddler's debits
    assert store.txn_result(ACCT, "t") == (False, None)
    store.close()
    meddler.close()


def test_a_stale_cached_account_is_detected_and_the_debit_recomputed(
        redis_server: RedisServer) -> None:
    one, two = open_store(redis_server.port), open_store(redis_server.port)
    one.transact(ACCT, set_balance("10"))  # `one` now caches version 1

    two.transact(ACCT, debit(Decimal(4)))
    result = one.transact(ACCT, debit(Decimal(4)))

    assert result == {"granted": "4", "balance": "2"}
    assert one.transact(ACCT, debit(Decimal(4))) == {"granted": "2", "balance": "0"}
    one.close()
    two.close()


def test_a_failure_computed_on_a_stale_cache_is_checked_against_the_store(
        redis_server: RedisServer) -> None:
    one, two = open_store(redis_server.port), open_store(redis_server.port)
    one.transact(ACCT, lambda a: Commit(None))  # `one` caches "no account"
    two.transact(ACCT, set_balance("10"))

    assert one.transact(ACCT, debit(Decimal(1)))["balance"] == "9"  # not NoAccount
    one.close()
    two.close()


def test_a_stopped_server_gives_store_unavailable_promptly(redis_server: RedisServer) -> None:
    store = open_store(redis_server.port, socket_connect_timeout=0.5, retries=1)
    store.transact(ACCT, set_balance("10"))
    redis_server.stop()
    calls = [
        lambda: store.get("Rates", "A"),
        lambda: store.put("Rates", "A", {}),
        lambda: store.get_account(ACCT),
        lambda: store.transact(ACCT, debit(Decimal(1)), txn_id="t"),
        lambda: store.query_cdrs(CdrQuery()),
        lambda: store.acquire_lease("x", "me", 1000),
        lambda: store.outbox_claim("w", 1, 1000, 0),
        store.ping,
    ]

    for call in calls:
        started = time.monotonic()
        with pytest.raises(StoreUnavailable):
            call()
        assert time.monotonic() - started < 3
    store.close()


def test_a_restarted_server_is_used_again_without_reopening_the_store() -> None:
    server = RedisServer("--appendonly", "yes", "--appendfsync", "always").start()
    try:
        store = open_store(server.port)
        store.transact(ACCT, set_balance("10"))
        store.transact(ACCT, debit(Decimal(1)), txn_id="before")

        server.restart()  # scripts and connections are gone, the data is not

        assert store.transact(ACCT, debit(Decimal(1)), txn_id="after")["balance"] == "8"
        assert store.transact(ACCT, debit(Decimal(1)), txn_id="before")["balance"] == "9"
        assert store.get_account(ACCT)["Applied"] == 2
        store.close()
    finally:
        server.cleanup()


def test_the_spool_of_an_interrupted_writer_is_swept_into_the_global_indexes(
        redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch) -> None:
    store = open_store(redis_server.port)
    store.transact(ACCT, set_balance("10"))
    cdr = {"CGRID": "c1", "RunID": "*default", "OrderTime": 5, "Tenant": "cgrates.org",
           "Account": "1001"}
    real_drain = redis_spool.drain

    def writer_dies(*args: object, **kwargs: object) -> int:
        import redis

        raise redis.exceptions.ConnectionError("the writer died after its commit")

    monkeypatch.setattr(redis_spool, "drain", writer_dies)
    store.transact(ACCT, debit(Decimal(1), cdr=cdr, job={"n": 1}), txn_id="end")
    monkeypatch.setattr(redis_spool, "drain", real_drain)

    assert store.query_cdrs(CdrQuery(accounts=(ACCT,)))[0] == [cdr]  # the account has it
    assert store.query_cdrs(CdrQuery())[0] == []  # the global index does not, yet
    monkeypatch.setattr("rating.store.redis.SWEEP_GRACE_MS", 0)
    store._next_sweep = 0.0

    assert store.query_cdrs(CdrQuery())[0] == [cdr]
    assert [j["job"] for j in store.outbox_claim("w", 10, 1000, 10**13)] == [{"n": 1}]
    assert store._client.zcard("cm:{spool}:dirty") == 0  # swept marks are dropped
    store.close()


def test_cdrs_of_other_accounts_in_a_commit_reach_their_accounts(
        redis_server: RedisServer) -> None:
    store = open_store(redis_server.port)
    store.transact(ACCT, set_balance("10"))
    theirs = {"CGRID": "c2", "RunID": "*default", "Tenant": "cgrates.org", "Account": "2002"}

    store.transact(ACCT, debit(Decimal(1), cdr=theirs), txn_id="t")

    assert store.query_cdrs(CdrQuery(accounts=("cgrates.org:2002",)))[0] == [theirs]
    assert store.query_cdrs(CdrQuery(accounts=(ACCT,)))[0] == []
    store.close()


@pytest.mark.parametrize(("option", "hours"), [("", 48), ("txn_memory_hours=24", 24)])
def test_txn_records_expire_after_the_memory_period(redis_server: RedisServer, option: str,
                                                   hours: int) -> None:
    store = RedisStore.from_url(f"{redis_server.url}?{option}")
    store.transact(ACCT, set_balance("10"), txn_id="t1")
    store.transact(ACCT, set_balance("10"))  # no id: an internal one, kept briefly

    client = store._client
    ttls = {k: client.pttl(k) for k in client.keys("cm:{acct:cgrates.org:1001}:txn:*")}

    assert ttls.pop("cm:{acct:cgrates.org:1001}:txn:t1") / 3_600_000 == pytest.approx(hours,
                                                                                      abs=0.01)
    assert [ttl / 60_000 for ttl in ttls.values()] == [pytest.approx(10, abs=0.1)]
    store.close()


@pytest.mark.parametrize("replace_all", [True, False])
def test_many_documents_go_through_a_staging_hash_that_leaves_no_trace(
        redis_server: RedisServer, replace_all: bool) -> None:
    store = open_store(redis_server.port)
    docs = {f"D{i}": {"n": i} for i in range(5000)}

    store.put_many("Destinations", docs, replace_all=replace_all)

    assert len(store.list_ids("Destinations")) == 5000
    assert store._client.keys("*staging*") == []
    assert store._client.pttl("cm:{doc:Destinations}") == -1  # persistent, like all documents
    store.close()


def test_every_key_of_an_account_shares_its_hash_tag() -> None:
    from rating.store.redis_keys import Keys

    acct = Keys("cm").account("t:{odd}name")
    keys = [acct.account, acct.txn("x"), acct.spool, acct.cdr_index, acct.cdr("c", "r")]

    tags = {k[k.index("{") + 1 : k.index("}", k.index("{"))] for k in keys}
    assert len(tags) == 1


def test_a_closed_store_refuses_work(redis_server: RedisServer) -> None:
    store = open_store(redis_server.port)
    store.close()

    with pytest.raises(StoreError, match="closed"):
        store.get("Rates", "A")


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", folder / "key.pem",
                    "-out", folder / "cert.pem"], check=True, capture_output=True)
    return folder


def test_rediss_talks_tls_and_verifies_the_server_certificate(tls_files: Path) -> None:
    cert, key = tls_files / "cert.pem", tls_files / "key.pem"
    tls_port = free_port()
    server = RedisServer("--port", "0", "--tls-port", str(tls_port), "--tls-cert-file", str(cert),
                         "--tls-key-file", str(key), "--tls-ca-cert-file", str(cert),
                         "--tls-auth-clients", "no", port=tls_port).start()
    try:
        store = RedisStore.from_url(f"rediss://127.0.0.1:{tls_port}/0?ssl_ca_certs={cert}")
        store.transact(ACCT, set_balance("10"))
        assert balance_of(store.get_account(ACCT)) == 10
        store.close()

        unverified = RedisStore.from_url(f"rediss://127.0.0.1:{tls_port}/0?socket_timeout=1")
        with pytest.raises(StoreUnavailable):
            unverified.ping()  # the self-signed certificate is not trusted by default
        unverified.close()
    finally:
        server.cleanup()
