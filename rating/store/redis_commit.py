"""Turning a Commit into the arguments of commit.lua, checked before anything is sent."""

from __future__ import annotations

from dataclasses import dataclass, field

from .base import Commit, StoreError
from .codec import cdr_key, encode
from .redis_keys import AccountKeys
from .redis_spool import cdr_entry, foreign_entry


@dataclass(frozen=True)
class AccountState:
    """An account as stored: its version ("0" = never existed) and JSON text (None = none)."""

    version: str
    doc: str | None


@dataclass(frozen=True)
class OwnCdr:
    """A CDR of the committing account, written by commit.lua itself."""

    cgr_id: str
    run_id: str
    member: str   # its index member
    text: str     # its JSON
    entry: str    # its spool entry (for the global indexes)


@dataclass
class Prepared:
    """A Commit encoded for Redis; building it raises StoreError for any bad value."""

    action: str                   # "keep" | "put" | "del"
    account: str | None           # JSON text for "put"
    result: str
    own_cdrs: list[OwnCdr] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)  # spool entries: other accounts' CDRs
    jobs: list[str] = field(default_factory=list)

    @property
    def spools(self) -> bool:
        """Whether the commit leaves entries in the spool (so it needs a dirty mark)."""
        return bool(self.own_cdrs or self.foreign or self.jobs)


def prepare(account_id: str, commit: object) -> Prepared:
    """Encode and check a Commit of account_id's transaction."""
    if not isinstance(commit, Commit):
        raise StoreError(f"a transaction function must return a Commit, not {commit!r}")
    if commit.keep_account:
        action, account = "keep", None
    elif commit.account is None:
        action, account = "del", None
    else:
        action, account = "put", encode(commit.account)
    prepared = Prepared(action, account, encode(commit.result))
    for cdr in commit.cdrs:
        key, text = cdr_key(cdr), encode(cdr)
        if key.account == account_id:
            member, entry = cdr_entry(key)
            prepared.own_cdrs.append(OwnCdr(key.cgr_id, key.run_id, member, text, entry))
        else:
            prepared.foreign.append(foreign_entry(text))
    prepared.jobs = [encode(job) for job in commit.outbox]
    return prepared


def commit_args(keys: AccountKeys, account_id: str, version: str, p: Prepared, txn_id: str,
                ttl_ms: int) -> tuple[list[str], list[str | int]]:
    """KEYS and ARGV of commit.lua (its header describes them)."""
    script_keys = [keys.account, keys.txn(txn_id)]
    args: list[str | int] = [version, p.action, p.account or "", p.result, ttl_ms]
    if not p.spools:
        return script_keys, args
    script_keys += [keys.spool, keys.cdr_index]
    args += [len(p.own_cdrs), len(p.foreign), account_id + "#"]
    for cdr in p.own_cdrs:
        script_keys.append(keys.cdr(cdr.cgr_id, cdr.run_id))
        args += [cdr.member, cdr.text, cdr.entry]
    return script_keys, [*args, *p.foreign, *p.jobs]
