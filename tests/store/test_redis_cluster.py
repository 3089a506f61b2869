"""Redis Cluster and Sentinel specifics: slots, spreading, failover."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from rating.store import CdrQuery, StoreUnavailable
from rating.store.redis import RedisStore
from rating.store.redis_keys import Keys
from tests.support.net import wait_for
from tests.support.redis_server import RedisClusterGroup, RedisSentinelGroup, redis_cli

from .debits import balance_of, debit, set_balance

ACCT = "cgrates.org:1001"


def test_every_key_of_an_account_is_in_one_cluster_slot(redis_cluster: RedisClusterGroup) -> None:
    acct = Keys("cm").account("cgrates.org:1001")
    keys = [acct.account, acct.txn("call-1:3"), acct.spool, acct.cdr_index,
            acct.cdr("3f1a", "*default")]

    slots = {redis_cli(redis_cluster.nodes[0].port, "cluster", "keyslot", k) for k in keys}

    assert len(slots) == 1


def test_accounts_spread_over_the_masters_and_all_commit(redis_cluster: RedisClusterGroup) -> None:
    store = RedisStore.from_url(redis_cluster.url + "?prefix=spread")
    accounts = [f"cgrates.org:{n}" for n in range(40)]

    for account in accounts:
        store.transact(account, set_balance("5"))
        store.transact(account, debit(Decimal(2), cdr={"CGRID": account, "RunID": "r",
                                                       "Tenant": "cgrates.org",
                                                       "Account": account.split(":")[1]}),
                       txn_id="t")

    holders = {_node_of(redis_cluster, int(redis_cli(
        redis_cluster.nodes[0].port, "cluster", "keyslot", Keys("spread").account(a).account)))
        for a in accounts}
    assert len(holders) == 3
    assert store.list_accounts("cgrates.org") == sorted(accounts)
    assert all(balance_of(store.get_account(a)) == 3 for a in accounts)
    assert len(store.query_cdrs(CdrQuery(limit=100))[0]) == 40
    store.close()


def _node_of(group: RedisClusterGroup, slot: int) -> int:
    for line in redis_cli(group.nodes[0].port, "cluster", "nodes").splitlines():
        fields = line.split()
        for part in fields[8:]:
            lo, _, hi = part.partition("-")
            if lo.isdigit() and int(lo) <= slot <= int(hi or lo):
                return int(fields[1].split(":")[1].split("@")[0])
    raise AssertionError(f"no node serves slot {slot}")


@pytest.mark.slow
def test_sentinel_failover_keeps_accounts_and_txn_ids() -> None:
    group = RedisSentinelGroup().start()
    try:
        store = RedisStore.from_url(group.url + "?socket_timeout=1&retries=1")
        store.transact(ACCT, set_balance("10"))
        store.transact(ACCT, debit(Decimal(3)), txn_id="before")
        # Replication is asynchronous: let the replica catch up before the crash.
        key = Keys("cm").account(ACCT).txn("before")
        wait_for(lambda: redis_cli(group.replica.port, "exists", key) == "1", timeout=10,
                 what="the replica to have the debit")
        old_master = group.master.port

        group.master.kill()
        wait_for(lambda: group.master_port() != old_master, timeout=30,
                 what="Sentinel to promote the replica")

        def debit_after() -> object:
            try:
                return store.transact(ACCT, debit(Decimal(1)), txn_id="after")
            except StoreUnavailable:
                return None

        started = time.monotonic()
        assert wait_for(debit_after, timeout=30, what="a debit on the new master") == {
            "granted": "1", "balance": "6"}
        assert time.monotonic() - started < 30
        assert store.transact(ACCT, debit(Decimal(3)), txn_id="before")["balance"] == "7"
        assert store.get_account(ACCT)["Applied"] == 2
        store.close()
    finally:
        group.cleanup()
