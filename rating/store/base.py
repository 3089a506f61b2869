"""The store interface: the only way the engine reaches persistent state.

Everything crosses this boundary as JSON-compatible values (dict, list, str, int, bool,
None). Money is never a float here: the engine writes Decimal values as strings and reads
them back with Decimal(), so every backend stores exact amounts without knowing about them.

Backends: ``sqlite.py`` (the embedded default) and ``redis.py`` (standalone, Sentinel,
Cluster). One contract test suite (tests/store/) runs against all of them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

JSON = Any  # a JSON-compatible value; see the module docstring

#: How long applied transaction ids are remembered (idempotent retries), in seconds.
TXN_MEMORY_SECONDS = 48 * 3600


class StoreError(Exception):
    """The store could not do what was asked (unreachable, corrupt, conflict retries spent)."""


class StoreUnavailable(StoreError):
    """The backend cannot be reached right now (refused, timed out, failing over).

    Reads and most writes were not applied. For ``transact`` the outcome can be unknown
    (the reply was lost after the commit): retry with the same txn id, which is safe and
    returns the first result if it had been applied.
    """


class TooManyConflicts(StoreError):
    """An account transaction kept conflicting with concurrent writers and was given up."""


@dataclass
class Commit:
    """What an account transaction function decided.

    account: the new account document, or None to delete the account. Use ``Commit.keep``
        (account left as it is) when only the result matters.
    result: returned to the caller, and remembered under the transaction id so a retry
        with the same id gets this same result without running the function again.
    cdrs: CDR documents written atomically with the account change (each has "CGRID",
        "RunID" and "OrderID"-independent identity; see ``append_cdrs``).
    outbox: side-effect jobs (HTTP posts, mails) to hand to the outbox atomically with the
        change, so a crash after the commit never loses them.
    keep_account: True when the account must not be written at all.
    """

    account: JSON | None
    result: JSON = None
    cdrs: list[JSON] = field(default_factory=list)
    outbox: list[JSON] = field(default_factory=list)
    keep_account: bool = False

    @classmethod
    def keep(cls, result: JSON = None, **extra: Any) -> Commit:
        """A commit that leaves the account untouched (read-only or failed checks)."""
        return cls(account=None, result=result, keep_account=True, **extra)


#: fn(account_doc_or_None) -> Commit. Must be pure and must not call the store: it may run
#: several times (conflicts); only one run's Commit is applied, and transact returns its
#: result (or, for an applied txn id, the stored one without running fn at all).
TxnFn = Callable[[JSON | None], Commit]


@dataclass(frozen=True)
class CdrQuery:
    """Filters for CDR queries; empty tuples / None mean "any"."""

    accounts: tuple[str, ...] = ()  # "tenant:account"
    origin_ids: tuple[str, ...] = ()
    cgr_ids: tuple[str, ...] = ()
    run_ids: tuple[str, ...] = ()
    since_ns: int | None = None  # on the CDR's "OrderTime" (unix ns), inclusive
    until_ns: int | None = None  # exclusive
    limit: int = 100
    cursor: str | None = None  # opaque, from a previous page


class Store(ABC):
    """Documents by kind and id, atomic account transactions, CDRs, leases and an outbox."""

    # -- documents: tariff objects, actions, plans, triggers, sessions, TP staging ----------
    @abstractmethod
    def get(self, kind: str, id: str) -> JSON | None:
        """One document, or None."""

    @abstractmethod
    def get_many(self, kind: str, ids: Iterable[str]) -> dict[str, JSON]:
        """Several documents of one kind; ids that do not exist are absent from the result."""

    @abstractmethod
    def put(self, kind: str, id: str, doc: JSON) -> None:
        """Create or replace one document."""

    @abstractmethod
    def put_many(self, kind: str, docs: dict[str, JSON], replace_all: bool = False) -> None:
        """Write several documents of a kind atomically; replace_all drops the others first."""

    @abstractmethod
    def delete(self, kind: str, id: str) -> bool:
        """Remove a document; False if it was not there."""

    @abstractmethod
    def list_ids(self, kind: str, prefix: str = "") -> list[str]:
        """Sorted ids of a kind, optionally only those starting with prefix."""

    # -- accounts ------------------------------------------------------------------------
    @abstractmethod
    def get_account(self, account_id: str) -> JSON | None:
        """The stored account document ("tenant:account"), or None."""

    @abstractmethod
    def list_accounts(self, tenant: str | None = None) -> list[str]:
        """Sorted account ids, optionally of one tenant."""

    @abstractmethod
    def transact(self, account_id: str, fn: TxnFn, txn_id: str | None = None) -> JSON:
        """Run fn on the current account and commit its Commit atomically; return its result.

        With a txn_id, a transaction already applied (within TXN_MEMORY_SECONDS) is not run
        again: the first result is returned. Conflicts with concurrent writers (other
        greenlets, processes or hosts) are retried a bounded number of times, then
        TooManyConflicts is raised. Exceptions raised by fn propagate and change nothing.
        Ids must be non-empty strings without control characters ("tenant:account" for
        accounts); documents, results, CDRs and jobs must be JSON without floats.
        """

    @abstractmethod
    def txn_result(self, account_id: str, txn_id: str) -> tuple[bool, JSON]:
        """(True, result) if that transaction was applied, else (False, None)."""

    # -- CDRs ----------------------------------------------------------------------------
    @abstractmethod
    def append_cdrs(self, cdrs: list[JSON]) -> None:
        """Store CDRs; one with the same (CGRID, RunID) as a stored one replaces it."""

    @abstractmethod
    def query_cdrs(self, query: CdrQuery) -> tuple[list[JSON], str | None]:
        """CDRs matching the query in OrderTime order, and the cursor of the next page."""

    # -- leases (scheduler, owner of a live session) ---------------------------------------
    @abstractmethod
    def acquire_lease(self, name: str, owner: str, ttl_ms: int) -> bool:
        """Take or renew the lease if it is free, expired, or already ours."""

    @abstractmethod
    def release_lease(self, name: str, owner: str) -> bool:
        """Give the lease back if we hold it."""

    @abstractmethod
    def lease_owner(self, name: str) -> str | None:
        """Who holds the lease now (None if free or expired)."""

    # -- outbox (side effects that leave the process) ---------------------------------------
    @abstractmethod
    def outbox_claim(self, owner: str, limit: int, lease_ms: int, now_ms: int) -> list[JSON]:
        """Claim due jobs ({"id", "due_ms", "attempts", "job"}) for lease_ms."""

    @abstractmethod
    def outbox_done(self, job_id: str) -> None:
        """Forget a job that was delivered (or given up)."""

    @abstractmethod
    def outbox_retry(self, job_id: str, due_ms: int, attempts: int) -> None:
        """Put a claimed job back, due again at due_ms."""

    # -- life cycle ----------------------------------------------------------------------
    @abstractmethod
    def ping(self) -> None:
        """Raise StoreUnavailable if the backend cannot be reached."""

    @abstractmethod
    def describe(self) -> str:
        """A one-line description for logs (backend and location, no passwords)."""

    @abstractmethod
    def close(self) -> None:
        """Flush and release connections; the store is unusable afterwards."""
