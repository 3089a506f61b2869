"""Account transactions on Redis: local queueing, a state cache, optimistic commits.

A transaction reads the account (or takes the state this process committed last), runs the
pure function, and hands commit.lua's arguments to ``run_commit``; the script refuses a
commit computed from a stale version and returns the current state, and the function runs
again, up to max_conflicts times. Greenlets of one process queue per account on a local
lock first, so conflicts only come from other processes. No redis import: redis.py passes
the client and the commit runner in (and maps Redis errors at its public methods).
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from .base import JSON, TooManyConflicts, TxnFn
from .codec import decode
from .redis_commit import AccountState, Prepared, commit_args, prepare
from .redis_keys import Keys
from .reentry import ReentryGuard

log = logging.getLogger(__name__)

#: Internal txn records (transactions without a caller's id) only cover redis-py retries.
INTERNAL_TXN_TTL_MS = 10 * 60 * 1000
CACHE_SIZE = 4096  # accounts whose last committed state this process remembers

CommitRunner = Callable[[list[str], list[Any]], Any]
#: read(txn key or None, account key or None) -> (txn record text or None,
#: [version, doc] or None); both in one round trip.
Reader = Callable[[str | None, str | None], tuple[str | None, list[Any] | None]]


class AccountTransactions:
    """Runs Store.transact for RedisStore (see the module docstring)."""

    def __init__(self, client: Any, keys: Keys, read: Reader, run_commit: CommitRunner,
                 after_spool: Callable[[str], None], max_conflicts: int,
                 txn_memory_ms: int, guard: ReentryGuard) -> None:
        self._client = client
        self._keys = keys
        self._read_keys = read
        self._run_commit = run_commit
        self._after_spool = after_spool
        self._max_conflicts = max_conflicts
        self._txn_memory_ms = txn_memory_ms
        self._guard = guard
        self._locks: dict[str, list[Any]] = {}
        self._locks_guard = threading.Lock()
        self._cache: OrderedDict[str, AccountState] = OrderedDict()
        self.holding = 0  # transactions holding their account lock (a hint for batching)

    def transact(self, account_id: str, fn: TxnFn, txn_id: str | None) -> JSON:
        entry = self._lock(account_id)
        try:
            return self._transact(account_id, fn, txn_id or f"~{uuid.uuid4().hex}",
                                  remembered=txn_id is not None)
        except BaseException:
            self._cache.pop(account_id, None)  # we no longer know what is stored
            raise
        finally:
            self._unlock(account_id, entry)

    def txn_result(self, account_id: str, txn_id: str) -> tuple[bool, JSON]:
        text = self._client.get(self._keys.account(account_id).txn(txn_id))
        return (False, None) if text is None else (True, decode(text))

    def _lock(self, account_id: str) -> list[Any]:
        with self._locks_guard:
            entry = self._locks.get(account_id)
            if entry is None:
                entry = self._locks[account_id] = [threading.Lock(), 0]
            entry[1] += 1
        entry[0].acquire()
        self.holding += 1
        return entry

    def _unlock(self, account_id: str, entry: list[Any]) -> None:
        self.holding -= 1
        entry[0].release()
        with self._locks_guard:
            entry[1] -= 1
            if entry[1] == 0:
                del self._locks[account_id]

    def _transact(self, account_id: str, fn: TxnFn, txn_id: str, remembered: bool) -> JSON:
        keys = self._keys.account(account_id)
        state = self._cache.get(account_id)
        fresh = state is None
        if remembered or state is None:
            # An applied txn is answered from its record without running fn again (the
            # contract); the account is read in the same round trip when not cached.
            applied, current = self._read_keys(keys.txn(txn_id) if remembered else None,
                                               keys.account if state is None else None)
            if applied is not None:
                return decode(applied)
            if state is None:
                state = _state(current)
        for attempt in range(self._max_conflicts + 1):
            try:
                commit = self._guard.call(fn, None if state.doc is None else decode(state.doc))
            except Exception:
                if not fresh:  # computed on a cached state: first make sure it is current
                    state, fresh = self._read(account_id), True
                    continue
                if remembered:
                    done, result = self.txn_result(account_id, txn_id)
                    if done:
                        return result
                raise
            outcome = self._commit(account_id, state, prepare(account_id, commit), txn_id,
                                   remembered)
            if not isinstance(outcome, AccountState):
                return outcome[0]
            state, fresh = outcome, True
            _backoff(attempt)
        raise TooManyConflicts(
            f"account {account_id} changed under {self._max_conflicts + 1} attempts in a row")

    def _read(self, account_id: str) -> AccountState:
        return _state(self._read_keys(None, self._keys.account(account_id).account)[1])

    def _commit(self, account_id: str, state: AccountState, prepared: Prepared, txn_id: str,
                remembered: bool) -> AccountState | tuple[JSON]:
        """Run commit.lua: (result,) when done (now or before), or the newer state."""
        if prepared.spools:  # mark first: a crash after the commit leaves a findable spool
            self._client.zadd(self._keys.dirty, {account_id: time.time() * 1000})
        if prepared.action == "put" and state.doc is None:
            self._client.sadd(self._keys.accounts, account_id)
        ttl = self._txn_memory_ms if remembered else INTERNAL_TXN_TTL_MS
        reply = self._run_commit(*commit_args(self._keys.account(account_id), account_id,
                                              state.version, prepared, txn_id, ttl))
        if reply[0] == 2:
            return AccountState(reply[1], reply[2])
        if reply[0] == 0:
            return (decode(reply[1]),)
        self._remember(account_id, AccountState(
            reply[1], state.doc if prepared.action == "keep" else prepared.account))
        if prepared.action == "del":
            self._unindex(account_id)
        if prepared.spools:
            self._after_spool(account_id)
        return (decode(prepared.result),)

    def _unindex(self, account_id: str) -> None:
        self._client.srem(self._keys.accounts, account_id)
        if self._client.hexists(self._keys.account(account_id).account, "doc"):
            self._client.sadd(self._keys.accounts, account_id)  # created again meanwhile

    def _remember(self, account_id: str, state: AccountState) -> None:
        self._cache[account_id] = state
        self._cache.move_to_end(account_id)
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)


def _state(reply: list[Any] | None) -> AccountState:
    """The state an HMGET of (v, doc) describes."""
    version, doc = reply or (None, None)
    return AccountState(version or "0", doc)


def _backoff(attempt: int) -> None:
    # A conflict reply carries the current state, so retrying at once usually wins; only a
    # run of conflicts (a hot account on several hosts) backs off, with jitter.
    if attempt >= 3:
        time.sleep(random.uniform(0, min(0.01, 0.0005 * 2 ** (attempt - 3))))
