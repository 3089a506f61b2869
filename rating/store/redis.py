"""The shared store on Redis (standalone, Sentinel or Cluster), through redis-py.

Account transactions (redis_accounts.py) commit with ``commit.lua``, which checks the
version they were computed from (optimistic concurrency) and the transaction id, and writes
the account, the txn record, CDRs and spooled outbox jobs in one step. A lost reply that
redis-py retries therefore never applies twice: the retry finds the txn record. Concurrent
commits of one process share a pipelined round trip (batching.py; not on Cluster, whose
pipelines refuse EVALSHA).

This is the only module that imports redis; every Redis error becomes StoreUnavailable
(cannot reach it now) or StoreError at the public methods (``_boundary``).
"""

from __future__ import annotations

import functools
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import redis
from redis.backoff import ExponentialWithJitterBackoff
from redis.cluster import ClusterNode, RedisCluster
from redis.retry import Retry
from redis.sentinel import Sentinel

from . import redis_cdrs, redis_spool
from .base import (
    JSON,
    CdrQuery,
    Commit,
    Store,
    StoreError,
    StoreUnavailable,
    TxnFn,
)
from .batching import Gate, LeaderBatcher, Request
from .codec import cdr_key, check_account_id, check_id, check_query, decode, encode
from .redis_accounts import AccountTransactions
from .redis_commit import commit_args, prepare
from .redis_keys import Keys
from .redis_url import RedisTarget, parse_redis_url
from .reentry import ReentryGuard

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")

_LUA_DIR = Path(__file__).with_name("lua")
SCRIPT_NAMES = ("commit", "cdr_index", "cdr_forget", "outbox_add", "outbox_claim",
                "outbox_retry", "outbox_done", "lease_acquire", "lease_release",
                "docs_replace", "docs_merge", "docs_swap")
STAGE_OVER = 1000         # put_many of more documents goes through a staging hash
SWEEP_INTERVAL = 5.0      # seconds between two looks at the dirty spools, per process
SWEEP_GRACE_MS = 30_000   # a writer finishes its drain well within this

_UNAVAILABLE: tuple[type[BaseException], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.ClusterError,
    redis.exceptions.RedisClusterException,
    redis.exceptions.TryAgainError,
    redis.exceptions.ReadOnlyError,
    redis.exceptions.OutOfMemoryError,
)

_DRAIN_ERRORS: tuple[type[BaseException], ...] = (*_UNAVAILABLE, redis.exceptions.RedisError)


@functools.cache
def lua_source(name: str) -> str:
    """A script's text, read once per process."""
    return (_LUA_DIR / f"{name}.lua").read_text(encoding="utf-8")


def _boundary(method: Callable[Concatenate[RedisStore, P], R]
              ) -> Callable[Concatenate[RedisStore, P], R]:
    """Bound the concurrent Redis operations and turn Redis errors into ours."""

    def wrapper(self: RedisStore, /, *args: P.args, **kwargs: P.kwargs) -> R:
        self._take_slot()
        try:
            return method(self, *args, **kwargs)
        except _UNAVAILABLE as exc:
            raise StoreUnavailable(f"{self.describe()}: {exc}") from None
        except redis.exceptions.RedisError as exc:
            raise StoreError(f"{self.describe()}: {exc}") from None
        finally:
            self._slots.release()

    functools.update_wrapper(wrapper, method)
    return wrapper


class RedisStore(Store):
    """A Store in Redis; see the module docstring and redis_keys.py for the layout."""

    def __init__(self, client: Any, target: RedisTarget, *,
                 txn_memory_seconds: int | None = None) -> None:
        self._client = client
        self._target = target
        self._keys = Keys(target.option("prefix"))
        self._scripts = {name: client.register_script(lua_source(name)) for name in SCRIPT_NAMES}
        if txn_memory_seconds is None:
            txn_memory_seconds = target.option("txn_memory_hours") * 3600
        self._slots = Gate(target.option("max_connections"))
        self._guard = ReentryGuard()
        self._pool_timeout: float = target.option("pool_timeout")
        self._accounts = AccountTransactions(
            client, self._keys, self._read_for_txn, self._run_commit, self._drain_after_commit,
            target.option("max_conflicts"), txn_memory_seconds * 1000, self._guard)
        # Concurrent transactions share pipelined round trips: one for their reads, one for
        # their commits (not on Cluster, whose pipelines refuse EVALSHA).
        self._reads = LeaderBatcher(self._run_reads, max_batch=128,
                                    crowded=lambda: self._accounts.holding > self._reads.queued)
        self._commits = None if target.mode == "cluster" else LeaderBatcher(
            self._run_commits, max_batch=128, crowded=self._more_commits_coming)
        self._next_sweep = 0.0
        self._closed = False

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> RedisStore:
        """Open redis://, rediss://, redis+sentinel:// or redis+cluster:// (see redis_url.py).

        Connections are made lazily (except Cluster, which maps its slots now), so callmeter
        starts while Redis is briefly down; ``ping`` tells whether it is reachable.
        """
        target = parse_redis_url(url)
        try:
            client = _make_client(target)
        except _UNAVAILABLE as exc:
            raise StoreUnavailable(f"{target.describe()}: {exc}") from None
        return cls(client, target, **kwargs)

    # -- plumbing ---------------------------------------------------------------------------
    def _take_slot(self) -> None:
        """One of max_connections places for an operation (released by _boundary)."""
        self._guard.check()
        if self._closed:
            raise StoreError(f"{self.describe()} is closed")
        if not self._slots.acquire(timeout=self._pool_timeout):
            size = self._target.option("max_connections")
            raise StoreUnavailable(f"{self.describe()}: all {size} connections stayed busy "
                                   f"for {self._pool_timeout} s")

    def _more_commits_coming(self) -> bool:
        """Whether transactions that are not queued yet are computing their commit."""
        return self._commits is not None and self._accounts.holding > self._commits.queued

    def _script(self, name: str, keys: list[str], args: list[Any]) -> Any:
        return self._scripts[name](keys=keys, args=args)

    # -- documents --------------------------------------------------------------------------
    @_boundary
    def get(self, kind: str, id: str) -> JSON | None:
        text = self._client.hget(self._keys.docs(check_id(kind, "kind")), id)
        return None if text is None else decode(text)

    @_boundary
    def get_many(self, kind: str, ids: Iterable[str]) -> dict[str, JSON]:
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return {}
        texts = self._client.hmget(self._keys.docs(check_id(kind, "kind")), wanted)
        return {i: decode(t) for i, t in zip(wanted, texts, strict=True) if t is not None}

    @_boundary
    def put(self, kind: str, id: str, doc: JSON) -> None:
        text = encode(doc)
        self._client.hset(self._keys.docs(check_id(kind, "kind")), check_id(id), text)

    @_boundary
    def put_many(self, kind: str, docs: dict[str, JSON], replace_all: bool = False) -> None:
        key = self._keys.docs(check_id(kind, "kind"))
        pairs = [(check_id(i), encode(d)) for i, d in docs.items()]
        if len(pairs) > STAGE_OVER:
            self._put_staged(key, pairs, replace_all)
        elif replace_all:
            self._script("docs_replace", [key], [x for pair in pairs for x in pair])
        elif pairs:
            self._client.hset(key, mapping=dict(pairs))

    def _put_staged(self, key: str, pairs: list[tuple[str, str]], replace_all: bool) -> None:
        """Many documents: fill a staging hash in chunks, then swap or merge it in one step
        (one command of a million arguments is refused; a crash leaves only the staging
        hash, which expires)."""
        staging = f"{key}:staging:{uuid.uuid4().hex}"
        pipe = self._client.pipeline(transaction=False)
        for start in range(0, len(pairs), STAGE_OVER):
            pipe.hset(staging, mapping=dict(pairs[start : start + STAGE_OVER]))
        pipe.pexpire(staging, 3_600_000)
        pipe.execute()
        self._script("docs_swap" if replace_all else "docs_merge", [key, staging], [])

    @_boundary
    def delete(self, kind: str, id: str) -> bool:
        return bool(self._client.hdel(self._keys.docs(check_id(kind, "kind")), id))

    @_boundary
    def list_ids(self, kind: str, prefix: str = "") -> list[str]:
        ids = self._client.hkeys(self._keys.docs(check_id(kind, "kind")))
        return sorted(i for i in ids if i.startswith(prefix))

    # -- accounts ---------------------------------------------------------------------------
    @_boundary
    def get_account(self, account_id: str) -> JSON | None:
        text = self._client.hget(self._keys.account(check_account_id(account_id)).account, "doc")
        return None if text is None else decode(text)

    @_boundary
    def list_accounts(self, tenant: str | None = None) -> list[str]:
        prefix = f"{tenant}:" if tenant else ""
        ids = sorted(a for a in self._client.smembers(self._keys.accounts) if a.startswith(prefix))
        # The index may name accounts whose creation failed or that were deleted: check.
        pipe = self._client.pipeline(transaction=False)
        for account_id in ids:
            pipe.hexists(self._keys.account(account_id).account, "doc")
        return [a for a, exists in zip(ids, pipe.execute(), strict=True) if exists]

    @_boundary
    def transact(self, account_id: str, fn: TxnFn, txn_id: str | None = None) -> JSON:
        check_account_id(account_id)
        if txn_id is not None:
            check_id(txn_id, "txn id")
        return self._accounts.transact(account_id, fn, txn_id)

    def _drain_after_commit(self, account_id: str) -> None:
        try:
            self._drain(account_id)
        except _DRAIN_ERRORS as exc:
            # Committed all the same: the sweep finishes the move, so report success.
            log.warning("account %s committed, its CDRs/jobs wait in its spool: %s",
                        account_id, exc)

    def _read_for_txn(self, txn_key: str | None,
                      account_key: str | None) -> tuple[str | None, list[Any] | None]:
        result: tuple[str | None, list[Any] | None] = self._reads.submit((txn_key, account_key))
        return result

    def _run_reads(self, batch: list[Request]) -> None:
        """GET txn records and HMGET accounts of a batch of transactions in one pipeline."""
        if len(batch) == 1 and None in batch[0].item:  # one command: no pipeline needed
            txn_key, account_key = batch[0].item
            try:
                batch[0].result = ((self._client.get(txn_key), None) if account_key is None
                                   else (None, self._client.hmget(account_key, "v", "doc")))
            except Exception as exc:
                batch[0].error = exc
            return
        pipe = self._client.pipeline(transaction=False)
        for txn_key, account_key in (req.item for req in batch):
            if txn_key is not None:
                pipe.get(txn_key)
            if account_key is not None:
                pipe.hmget(account_key, "v", "doc")
        try:
            replies = iter(pipe.execute())
        except Exception as exc:
            for req in batch:
                req.error = exc
            return
        for req in batch:
            txn_key, account_key = req.item
            req.result = (next(replies) if txn_key is not None else None,
                          next(replies) if account_key is not None else None)

    def _run_commit(self, script_keys: list[str], args: list[Any]) -> Any:
        if self._commits is None:
            return self._script("commit", script_keys, args)
        return self._commits.submit((script_keys, args))

    def _run_commits(self, batch: list[Request]) -> None:
        """Send a batch of commit.lua calls in one pipeline (a lone one goes as it is)."""
        try:
            if len(batch) == 1:
                batch[0].result = self._script("commit", *batch[0].item)
                return
            replies = self._pipelined_commits([req.item for req in batch])
        except Exception as exc:
            for req in batch:
                req.error = exc
            return
        for req, reply in zip(batch, replies, strict=True):
            if isinstance(reply, Exception):
                req.error = reply
            else:
                req.result = reply

    def _pipelined_commits(self, items: list[tuple[list[str], list[Any]]]) -> list[Any]:
        replies = self._evalsha_pipeline(items)
        missing = [i for i, r in enumerate(replies)
                   if isinstance(r, redis.exceptions.NoScriptError)]
        if missing:  # the server restarted: load the script once, send those again
            script = self._scripts["commit"]
            script.sha = self._client.script_load(script.script)
            again = self._evalsha_pipeline([items[i] for i in missing])
            for i, reply in zip(missing, again, strict=True):
                replies[i] = reply
        return replies

    def _evalsha_pipeline(self, items: list[tuple[list[str], list[Any]]]) -> list[Any]:
        sha = self._scripts["commit"].sha
        pipe = self._client.pipeline(transaction=False)
        for keys, args in items:
            pipe.evalsha(sha, len(keys), *keys, *args)
        replies: list[Any] = pipe.execute(raise_on_error=False)
        return replies

    @_boundary
    def txn_result(self, account_id: str, txn_id: str) -> tuple[bool, JSON]:
        return self._accounts.txn_result(check_account_id(account_id),
                                         check_id(txn_id, "txn id"))

    # -- CDRs -------------------------------------------------------------------------------
    @_boundary
    def append_cdrs(self, cdrs: list[JSON]) -> None:
        self._append_cdrs(cdrs)

    def _append_cdrs(self, cdrs: list[JSON]) -> None:
        by_account: dict[str, list[JSON]] = {}
        for cdr in cdrs:
            by_account.setdefault(cdr_key(cdr).account, []).append(cdr)
        prepared = {a: prepare(a, Commit.keep(cdrs=group)) for a, group in by_account.items()}
        for account_id, p in prepared.items():
            self._client.zadd(self._keys.dirty, {account_id: time.time() * 1000})
            script_keys, args = commit_args(self._keys.account(account_id), account_id, "", p,
                                            "", 0)
            self._script("commit", script_keys, args)
            self._drain(account_id)

    def _drain(self, account_id: str) -> int:
        return redis_spool.drain(self._client, self._scripts, self._keys, account_id,
                                 self._append_cdrs)

    def _sweep(self) -> None:
        """Finish the spools of writers that died between commit and drain (rate-limited)."""
        if time.monotonic() < self._next_sweep:
            return
        self._next_sweep = time.monotonic() + SWEEP_INTERVAL
        older = int(time.time() * 1000) - SWEEP_GRACE_MS
        redis_spool.sweep(self._client, self._keys, older, self._drain)

    @_boundary
    def query_cdrs(self, query: CdrQuery) -> tuple[list[JSON], str | None]:
        check_query(query)
        if not query.accounts:  # the per-account indexes are always complete
            self._sweep()
        return redis_cdrs.query_cdrs(self._client, self._keys, query)

    # -- leases -----------------------------------------------------------------------------
    @_boundary
    def acquire_lease(self, name: str, owner: str, ttl_ms: int) -> bool:
        key = self._keys.lease(check_id(name, "lease name"))
        return bool(self._script("lease_acquire", [key],
                                 [check_id(owner, "lease owner"), max(1, int(ttl_ms))]))

    @_boundary
    def release_lease(self, name: str, owner: str) -> bool:
        return bool(self._script("lease_release", [self._keys.lease(name)], [owner]))

    @_boundary
    def lease_owner(self, name: str) -> str | None:
        owner: str | None = self._client.get(self._keys.lease(name))
        return owner

    # -- outbox -----------------------------------------------------------------------------
    @_boundary
    def outbox_claim(self, owner: str, limit: int, lease_ms: int, now_ms: int) -> list[JSON]:
        self._sweep()
        flat = self._script("outbox_claim", list(self._keys.outbox),
                            [int(now_ms), int(lease_ms), int(limit)])
        jobs = []
        for i in range(0, len(flat), 3):
            due_ms, attempts = flat[i + 1].split()
            jobs.append({"id": flat[i], "due_ms": int(due_ms), "attempts": int(attempts),
                         "job": decode(flat[i + 2])})
        return jobs

    @_boundary
    def outbox_done(self, job_id: str) -> None:
        self._script("outbox_done", list(self._keys.outbox), [job_id])

    @_boundary
    def outbox_retry(self, job_id: str, due_ms: int, attempts: int) -> None:
        self._script("outbox_retry", list(self._keys.outbox), [job_id, int(due_ms), int(attempts)])

    # -- life cycle -------------------------------------------------------------------------
    @_boundary
    def ping(self) -> None:
        self._client.ping()

    def describe(self) -> str:
        return self._target.describe()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._client.close()


def _make_client(target: RedisTarget) -> Any:
    """A redis-py client for the target, with timeouts, bounded retries and health checks."""
    kwargs: dict[str, Any] = {
        "username": target.username,
        "password": target.password,
        "decode_responses": True,
        "socket_timeout": target.option("socket_timeout"),
        "socket_connect_timeout": target.option("socket_connect_timeout"),
        "socket_keepalive": True,
        "health_check_interval": target.option("health_check_interval"),
        "retry": Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.5), target.option("retries")),
        "client_name": "callmeter",
        "protocol": 2,  # RESP2: every Redis version speaks it, and it parses faster
    }
    if target.tls:
        kwargs.update(ssl=True, ssl_ca_certs=target.option("ssl_ca_certs"),
                      ssl_certfile=target.option("ssl_certfile"),
                      ssl_keyfile=target.option("ssl_keyfile"),
                      ssl_cert_reqs=target.option("ssl_cert_reqs"),
                      ssl_check_hostname=target.option("ssl_check_hostname"))
    if target.mode == "cluster":
        nodes = [ClusterNode(host, port) for host, port in target.hosts]  # type: ignore[no-untyped-call]
        return RedisCluster(startup_nodes=nodes, max_connections=target.option("max_connections"),
                            **kwargs)
    if target.mode == "sentinel":
        sentinel_kwargs = {k: kwargs[k] for k in ("socket_timeout", "socket_connect_timeout")}
        sentinel_kwargs.update(username=target.option("sentinel_username"),
                               password=target.option("sentinel_password"))
        sentinel = Sentinel(  # type: ignore[no-untyped-call]
            list(target.hosts), sentinel_kwargs=sentinel_kwargs)
        return sentinel.master_for(  # type: ignore[no-untyped-call]
            target.service, db=target.db, **kwargs)
    host, port = target.hosts[0]
    return redis.Redis(host=host, port=port, db=target.db,
                       max_connections=target.option("max_connections"), **kwargs)
