"""An in-process store: the reference semantics of the interface, for fast unit tests.

Never the product's default (``open_store`` only returns it for ``memory://``); it keeps
nothing across restarts and is not shared between processes.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from typing import Any

from .base import JSON, TXN_MEMORY_SECONDS, CdrQuery, Store, TxnFn


def _clone(doc: JSON) -> JSON:
    # A JSON round trip also proves the document is storable by the real backends.
    return json.loads(json.dumps(doc))


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

    # documents
    def get(self, kind: str, id: str) -> JSON | None:
        with self._lock:
            doc = self._docs.get(kind, {}).get(id)
            return None if doc is None else _clone(doc)

    def get_many(self, kind: str, ids: Iterable[str]) -> dict[str, JSON]:
        with self._lock:
            docs = self._docs.get(kind, {})
            return {i: _clone(docs[i]) for i in ids if i in docs}

    def put(self, kind: str, id: str, doc: JSON) -> None:
        with self._lock:
            self._docs.setdefault(kind, {})[id] = _clone(doc)

    def put_many(self, kind: str, docs: dict[str, JSON], replace_all: bool = False) -> None:
        with self._lock:
            target = self._docs.setdefault(kind, {})
            if replace_all:
                target.clear()
            target.update({i: _clone(d) for i, d in docs.items()})

    def delete(self, kind: str, id: str) -> bool:
        with self._lock:
            return self._docs.get(kind, {}).pop(id, None) is not None

    def list_ids(self, kind: str, prefix: str = "") -> list[str]:
        with self._lock:
            return sorted(i for i in self._docs.get(kind, {}) if i.startswith(prefix))

    # accounts
    def get_account(self, account_id: str) -> JSON | None:
        with self._lock:
            doc = self._accounts.get(account_id)
            return None if doc is None else _clone(doc)

    def list_accounts(self, tenant: str | None = None) -> list[str]:
        with self._lock:
            prefix = f"{tenant}:" if tenant else ""
            return sorted(a for a in self._accounts if a.startswith(prefix))

    def transact(self, account_id: str, fn: TxnFn, txn_id: str | None = None) -> JSON:
        with self._lock:
            if txn_id is not None:
                done, result = self.txn_result(account_id, txn_id)
                if done:
                    return result
            commit = fn(self.get_account(account_id))
            if not commit.keep_account:
                if commit.account is None:
                    self._accounts.pop(account_id, None)
                else:
                    self._accounts[account_id] = _clone(commit.account)
            if commit.cdrs:
                self.append_cdrs(commit.cdrs)
            for job in commit.outbox:
                self._outbox_add(job)
            if txn_id is not None:
                self._txns[(account_id, txn_id)] = (time.time(), _clone(commit.result))
            return _clone(commit.result)

    def txn_result(self, account_id: str, txn_id: str) -> tuple[bool, JSON]:
        with self._lock:
            entry = self._txns.get((account_id, txn_id))
            if entry is None or entry[0] < time.time() - TXN_MEMORY_SECONDS:
                return False, None
            return True, _clone(entry[1])

    # CDRs
    def append_cdrs(self, cdrs: list[JSON]) -> None:
        with self._lock:
            for cdr in cdrs:
                self._cdrs[(cdr["CGRID"], cdr["RunID"])] = _clone(cdr)

    def query_cdrs(self, query: CdrQuery) -> tuple[list[JSON], str | None]:
        with self._lock:
            rows = sorted(self._cdrs.values(), key=_cdr_sort_key)
        start = int(query.cursor) if query.cursor else 0
        matched = [c for c in rows if _cdr_matches(c, query)]
        page = matched[start : start + query.limit]
        more = start + query.limit < len(matched)
        return [_clone(c) for c in page], str(start + query.limit) if more else None

    # leases
    def acquire_lease(self, name: str, owner: str, ttl_ms: int) -> bool:
        with self._lock:
            now = time.monotonic()
            holder = self._leases.get(name)
            if holder and holder[0] != owner and holder[1] > now:
                return False
            self._leases[name] = (owner, now + ttl_ms / 1000)
            return True

    def release_lease(self, name: str, owner: str) -> bool:
        with self._lock:
            holder = self._leases.get(name)
            if holder and holder[0] == owner:
                del self._leases[name]
                return True
            return False

    def lease_owner(self, name: str) -> str | None:
        with self._lock:
            holder = self._leases.get(name)
            return holder[0] if holder and holder[1] > time.monotonic() else None

    # outbox
    def _outbox_add(self, job: JSON) -> None:
        self._outbox_seq += 1
        job_id = str(self._outbox_seq)
        self._outbox[job_id] = {"id": job_id, "due_ms": 0, "attempts": 0, "job": _clone(job),
                                "claimed_until": 0}

    def outbox_claim(self, owner: str, limit: int, lease_ms: int, now_ms: int) -> list[JSON]:
        with self._lock:
            due = [j for j in self._outbox.values()
                   if j["due_ms"] <= now_ms and j["claimed_until"] <= now_ms][:limit]
            for job in due:
                job["claimed_until"] = now_ms + lease_ms
            return [{k: _clone(v) for k, v in j.items() if k != "claimed_until"} for j in due]

    def outbox_done(self, job_id: str) -> None:
        with self._lock:
            self._outbox.pop(job_id, None)

    def outbox_retry(self, job_id: str, due_ms: int, attempts: int) -> None:
        with self._lock:
            job = self._outbox.get(job_id)
            if job:
                job.update(due_ms=due_ms, attempts=attempts, claimed_until=0)

    # life cycle
    def ping(self) -> None:
        return None

    def describe(self) -> str:
        return "memory (not persistent)"

    def close(self) -> None:
        return None


def _cdr_sort_key(cdr: JSON) -> tuple[int, str, str]:
    return (int(cdr.get("OrderTime", 0)), cdr["CGRID"], cdr["RunID"])


def _cdr_matches(cdr: JSON, q: CdrQuery) -> bool:
    account = f"{cdr.get('Tenant', '')}:{cdr.get('Account', '')}"
    order = int(cdr.get("OrderTime", 0))
    return (
        (not q.accounts or account in q.accounts)
        and (not q.origin_ids or cdr.get("OriginID") in q.origin_ids)
        and (not q.cgr_ids or cdr["CGRID"] in q.cgr_ids)
        and (not q.run_ids or cdr["RunID"] in q.run_ids)
        and (q.since_ns is None or order >= q.since_ns)
        and (q.until_ns is None or order < q.until_ns)
    )
