"""An in-process store: the reference semantics of the interface, for fast unit tests.

Never the product's default (``open_store`` only returns it for ``memory://``); it keeps
nothing across restarts and is not shared between processes. It checks its input exactly
as the real backends do (codec.py), so code tested against it also stores on them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import Any

from .base import JSON, TXN_MEMORY_SECONDS, CdrQuery, Commit, Store, StoreError, TxnFn
from .codec import (
    cdr_key,
    check_account_id,
    check_id,
    check_query,
    clone,
    decode_sort_cursor,
    encode_cursor,
)
from .reentry import ReentryGuard


class MemoryStore(Store):
    """Dictionaries behind one lock; transactions are serial, so they never conflict."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._docs: dict[str, dict[str, JSON]] = {}
        self._accounts: dict[str, JSON] = {}
        self._txns: dict[tuple[str, str], tuple[float, JSON]] = {}
        self._cdrs: dict[tuple[str, str], JSON] = {}
        self._leases: dict[str, tuple[str, float]] = {}
        self._outbox: dict[str, dict[str, Any]] = {}
        self._outbox_seq = 0
        self._guard = ReentryGuard()

    # documents
    def get(self, kind: str, id: str) -> JSON | None:
        self._guard.check()
        check_id(kind, "kind")
        with self._lock:
            doc = self._docs.get(kind, {}).get(id)
            return None if doc is None else clone(doc)

    def get_many(self, kind: str, ids: Iterable[str]) -> dict[str, JSON]:
        self._guard.check()
        check_id(kind, "kind")
        with self._lock:
            docs = self._docs.get(kind, {})
            return {i: clone(docs[i]) for i in ids if i in docs}

    def put(self, kind: str, id: str, doc: JSON) -> None:
        self._guard.check()
        check_id(kind, "kind")
        check_id(id)
        stored = clone(doc)
        with self._lock:
            self._docs.setdefault(kind, {})[id] = stored

    def put_many(self, kind: str, docs: dict[str, JSON], replace_all: bool = False) -> None:
        self._guard.check()
        check_id(kind, "kind")
        stored = {check_id(i): clone(d) for i, d in docs.items()}
        with self._lock:
            target = self._docs.setdefault(kind, {})
            if replace_all:
                target.clear()
            target.update(stored)

    def delete(self, kind: str, id: str) -> bool:
        self._guard.check()
        check_id(kind, "kind")
        with self._lock:
            return self._docs.get(kind, {}).pop(id, None) is not None

    def list_ids(self, kind: str, prefix: str = "") -> list[str]:
        self._guard.check()
        check_id(kind, "kind")
        with self._lock:
            return sorted(i for i in self._docs.get(kind, {}) if i.startswith(prefix))

    # accounts
    def get_account(self, account_id: str) -> JSON | None:
        self._guard.check()
        check_account_id(account_id)
        with self._lock:
            doc = self._accounts.get(account_id)
            return None if doc is None else clone(doc)

    def list_accounts(self, tenant: str | None = None) -> list[str]:
        self._guard.check()
        with self._lock:
            prefix = f"{tenant}:" if tenant else ""
            return sorted(a for a in self._accounts if a.startswith(prefix))

    def transact(self, account_id: str, fn: TxnFn, txn_id: str | None = None) -> JSON:
        self._guard.check()
        check_account_id(account_id)
        if txn_id is not None:
            check_id(txn_id, "txn id")
        with self._lock:
            if txn_id is not None:
                done, result = self.txn_result(account_id, txn_id)
                if done:
                    return result
            current = self._accounts.get(account_id)
            commit = self._guard.call(fn, None if current is None else clone(current))
            if not isinstance(commit, Commit):
                raise StoreError(f"a transaction function must return a Commit, not {commit!r}")
            # Check everything before changing anything: a bad commit changes nothing.
            account = None if commit.keep_account or commit.account is None else clone(
                commit.account)
            cdrs = [(cdr_key(c), clone(c)) for c in commit.cdrs]
            jobs = [clone(j) for j in commit.outbox]
            result = clone(commit.result)
            if not commit.keep_account:
                if account is None:
                    self._accounts.pop(account_id, None)
                else:
                    self._accounts[account_id] = account
            for key, cdr in cdrs:
                self._cdrs[(key.cgr_id, key.run_id)] = cdr
            for job in jobs:
                self._outbox_add(job)
            if txn_id is not None:
                self._txns[(account_id, txn_id)] = (time.time(), result)
            return clone(result)

    def txn_result(self, account_id: str, txn_id: str) -> tuple[bool, JSON]:
        self._guard.check()
        with self._lock:
            entry = self._txns.get((account_id, txn_id))
            if entry is None or entry[0] < time.time() - TXN_MEMORY_SECONDS:
                return False, None
            return True, clone(entry[1])

    # CDRs
    def append_cdrs(self, cdrs: list[JSON]) -> None:
        self._guard.check()
        checked = [(cdr_key(c), clone(c)) for c in cdrs]
        with self._lock:
            for key, cdr in checked:
                self._cdrs[(key.cgr_id, key.run_id)] = cdr

    def query_cdrs(self, query: CdrQuery) -> tuple[list[JSON], str | None]:
        self._guard.check()
        check_query(query)
        after = decode_sort_cursor(query.cursor) if query.cursor else None
        with self._lock:
            rows = sorted(((cdr_key(c), c) for c in self._cdrs.values()),
                          key=lambda row: row[0].sort_key)
        matched = [c for k, c in rows
                   if (after is None or k.sort_key > after) and _cdr_matches(k, query)]
        page = matched[: query.limit]
        if len(matched) <= query.limit:
            return [clone(c) for c in page], None
        last = cdr_key(page[-1])
        return [clone(c) for c in page], encode_cursor(list(last.sort_key))

    # leases
    def acquire_lease(self, name: str, owner: str, ttl_ms: int) -> bool:
        self._guard.check()
        check_id(name, "lease name")
        check_id(owner, "lease owner")
        with self._lock:
            now = time.monotonic()
            holder = self._leases.get(name)
            if holder and holder[0] != owner and holder[1] > now:
                return False
            self._leases[name] = (owner, now + ttl_ms / 1000)
            return True

    def release_lease(self, name: str, owner: str) -> bool:
        self._guard.check()
        with self._lock:
            holder = self._leases.get(name)
            if holder and holder[0] == owner and holder[1] > time.monotonic():
                del self._leases[name]
                return True
            return False

    def lease_owner(self, name: str) -> str | None:
        self._guard.check()
        with self._lock:
            holder = self._leases.get(name)
            return holder[0] if holder and holder[1] > time.monotonic() else None

    # outbox
    def _outbox_add(self, job: JSON) -> None:
        self._outbox_seq += 1
        job_id = str(self._outbox_seq)
        self._outbox[job_id] = {"id": job_id, "due_ms": 0, "attempts": 0, "job": job,
                                "claimed_until": 0, "seq": self._outbox_seq}

    def outbox_claim(self, owner: str, limit: int, lease_ms: int, now_ms: int) -> list[JSON]:
        self._guard.check()
        with self._lock:
            due = sorted((j for j in self._outbox.values()
                          if j["due_ms"] <= now_ms and j["claimed_until"] <= now_ms),
                         key=lambda j: (j["due_ms"], j["seq"]))[:limit]
            for job in due:
                job["claimed_until"] = now_ms + lease_ms
            return [{k: clone(j[k]) for k in ("id", "due_ms", "attempts", "job")} for j in due]

    def outbox_done(self, job_id: str) -> None:
        self._guard.check()
        with self._lock:
            self._outbox.pop(job_id, None)

    def outbox_retry(self, job_id: str, due_ms: int, attempts: int) -> None:
        self._guard.check()
        with self._lock:
            job = self._outbox.get(job_id)
            if job:
                job.update(due_ms=due_ms, attempts=attempts, claimed_until=0)

    # life cycle
    def ping(self) -> None:
        self._guard.check()
        return None

    def describe(self) -> str:
        return "memory (not persistent)"

    def close(self) -> None:
        return None


def _cdr_matches(key: Any, q: CdrQuery) -> bool:
    return (
        (not q.accounts or key.account in q.accounts)
        and (not q.origin_ids or key.origin_id in q.origin_ids)
        and (not q.cgr_ids or key.cgr_id in q.cgr_ids)
        and (not q.run_ids or key.run_id in q.run_ids)
        and (q.since_ns is None or key.order_time >= q.since_ns)
        and (q.until_ns is None or key.order_time < q.until_ns)
    )
