"""The account spool: how CDRs and outbox jobs leave an account's slot safely.

On Redis Cluster one script can only touch one slot, but a debit's CDR and outbox job must
reach keys shared by all accounts (the global CDR indexes, the outbox). So the commit
script writes them into the account's own spool list, atomically with the account change;
then ``drain`` copies each entry to the global keys (idempotently) and removes it.

A crash between commit and drain leaves entries in the spool. Every writer therefore marks
the account in the ``dirty`` sorted set (by time) *before* its commit, and ``sweep``
drains the spools of accounts whose mark is older than a grace period, then drops those
marks (a writer active meanwhile has re-marked the account with a newer time). Nothing is
lost; at worst a job is delivered twice (at-least-once, as any outbox) and a CDR shows in
global queries only after the grace period.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from .base import JSON
from .codec import CdrKey, decode
from .redis_keys import SEP, Keys, cdr_member, split_member

log = logging.getLogger(__name__)

Scripts = Mapping[str, Callable[..., Any]]
DRAIN_BATCH = 100
DRAIN_ROUNDS = 20


def cdr_entry(key: CdrKey) -> tuple[str, str]:
    """(index member, spool entry) for a CDR of the committing account."""
    member = cdr_member(key.padded_time, key.cgr_id, key.run_id, key.account)
    return member, SEP.join(("c", member, key.origin_id))


def foreign_entry(cdr_text: str) -> str:
    """A spool entry carrying a CDR that belongs to another account."""
    return "x" + SEP + cdr_text


def drain(client: Any, scripts: Scripts, keys: Keys, account_id: str,
          append_foreign: Callable[[list[JSON]], None]) -> int:
    """Move an account's spool entries to the global keys; how many were moved."""
    spool = keys.account(account_id).spool
    moved = 0
    for _ in range(DRAIN_ROUNDS):
        entries: list[str] = client.lrange(spool, 0, DRAIN_BATCH - 1)
        if not entries:
            break
        _index_cdrs(client, scripts, keys, [e for e in entries if e.startswith("c" + SEP)])
        for entry in entries:
            kind, _, rest = entry.partition(SEP)
            if kind == "j":
                job_id, _, job = rest.partition(SEP)
                scripts["outbox_add"](keys=list(keys.outbox), args=[job_id, job])
            elif kind == "x":
                append_foreign([decode(rest)])
        pipe = client.pipeline(transaction=False)
        for entry in entries:
            pipe.lrem(spool, 1, entry)
        pipe.execute()
        moved += len(entries)
    return moved


def _index_cdrs(client: Any, scripts: Scripts, keys: Keys, entries: list[str]) -> None:
    if not entries:
        return
    parsed = []
    for entry in entries:
        _, ot, cgr_id, run_id, account, origin = entry.split(SEP)
        parsed.append((SEP.join((ot, cgr_id, run_id, account)), cgr_id, run_id, account, origin))
    # Index only what the account still holds: an older version of a replaced CDR that is
    # still in a spool must not win over the newer one.
    pipe = client.pipeline(transaction=False)
    for _, cgr_id, run_id, account, _ in parsed:
        pipe.hget(keys.account(account).cdr(cgr_id, run_id), "m")
    for (member, cgr_id, run_id, _account, origin), current in zip(parsed, pipe.execute(),
                                                                   strict=True):
        if current != member:
            continue
        old = scripts["cdr_index"](
            keys=[keys.cdr_time, keys.cdr_loc, keys.cdr_origin(origin), keys.cdr_cgrid(cgr_id)],
            args=[cgr_id + SEP + run_id, member, origin])
        if old:
            _unindex_old(client, scripts, keys, member, origin, old)


def _unindex_old(client: Any, scripts: Scripts, keys: Keys, member: str, origin: str,
                 old: str) -> None:
    """Drop what the index and the old account still hold of a CDR that was replaced."""
    old_member, _, old_origin = old.rpartition(SEP)
    if (old_member, old_origin) != (member, origin):
        client.zrem(keys.cdr_origin(old_origin), old_member)
    _, cgr_id, run_id, old_account = split_member(old_member)
    if old_account != split_member(member)[3]:
        old_keys = keys.account(old_account)
        scripts["cdr_forget"](keys=[old_keys.cdr(cgr_id, run_id), old_keys.cdr_index],
                              args=[old_member])


def sweep(client: Any, keys: Keys, older_than_ms: int,
          drain_account: Callable[[str], int]) -> int:
    """Finish the spools of accounts marked dirty before older_than_ms; how many had entries.

    Every such mark is looked at (a pipelined LLEN each), the non-empty spools drained, then
    all those marks dropped at once. A writer that marks an account meanwhile does so with
    the current time, newer than older_than_ms, so its mark stays for the next sweep.
    """
    marks: list[str] = client.zrangebyscore(keys.dirty, "-inf", older_than_ms)
    if not marks:
        return 0
    pipe = client.pipeline(transaction=False)
    for account_id in marks:
        pipe.llen(keys.account(account_id).spool)
    left = [a for a, n in zip(marks, pipe.execute(), strict=True) if n]
    for account_id in left:
        moved = drain_account(account_id)
        log.warning("recovered %s spooled CDR/outbox entries of %s (a writer was interrupted "
                    "after its commit)", moved, account_id)
    client.zremrangebyscore(keys.dirty, "-inf", older_than_ms)
    return len(left)
