"""CDR queries on Redis: walk one or more lexicographic indexes in step, filter, page.

Members of every CDR index sort as (OrderTime, CGRID, RunID, account) (redis_keys.py), so
a time range is a ZRANGEBYLEX range, and several indexes (one per account, origin id or
CGRID asked for) merge in order. The cursor is the last member returned. No redis import:
the client is passed in (redis.py is the only module that touches redis-py).
"""

from __future__ import annotations

from typing import Any

from .base import JSON, CdrQuery, StoreError
from .codec import ORDER_DIGITS, cdr_key, decode, decode_cursor, encode_cursor, pad_time
from .redis_keys import SEP, Keys, split_member


def query_cdrs(client: Any, keys: Keys, q: CdrQuery) -> tuple[list[JSON], str | None]:
    """One page of CDRs matching q, and the cursor of the next page (None at the end)."""
    index_keys = _index_keys(keys, q)
    start, hi = _bounds(q)
    lo: str | None = start
    need = q.limit + 1
    batch = min(max(need, 64), 1000)
    found: list[tuple[str, JSON]] = []
    while len(found) < need and lo is not None:
        members, lo = _next_members(client, index_keys, lo, hi, batch)
        wanted = [m for m in members if _member_matches(m, q)]
        found.extend(_fetch_matching(client, keys, wanted, q, need - len(found)))
    page = found[: q.limit]
    cursor = encode_cursor(page[-1][0]) if len(found) > q.limit else None
    return [doc for _, doc in page], cursor


def _index_keys(keys: Keys, q: CdrQuery) -> list[str]:
    """The most selective index for the query (several keys are merged)."""
    if q.cgr_ids:
        return [keys.cdr_cgrid(c) for c in dict.fromkeys(q.cgr_ids)]
    if q.origin_ids:
        return [keys.cdr_origin(o) for o in dict.fromkeys(q.origin_ids)]
    if q.accounts:
        return [keys.account(a).cdr_index for a in dict.fromkeys(q.accounts) if _valid(a)]
    return [keys.cdr_time]


def _valid(text: str) -> bool:
    return bool(text) and not any(ord(ch) < 32 for ch in text)


def _bounds(q: CdrQuery) -> tuple[str, str]:
    lo = "-" if q.since_ns is None else "[" + pad_time(max(q.since_ns, 0))
    hi = "+" if q.until_ns is None else "(" + pad_time(max(q.until_ns, 0))
    if q.cursor:
        after = _cursor_member(q.cursor)
        if lo == "-" or after >= lo[1:]:
            lo = "(" + after
    return lo, hi


def _cursor_member(cursor: str) -> str:
    member = decode_cursor(cursor)
    if not isinstance(member, str) or member.count(SEP) != 3:
        raise StoreError(f"invalid CDR cursor {cursor!r}")
    ot = member.split(SEP, 1)[0]
    if len(ot) != ORDER_DIGITS or not ot.isdigit():
        raise StoreError(f"invalid CDR cursor {cursor!r}")
    return member


def _next_members(client: Any, index_keys: list[str], lo: str, hi: str,
                  batch: int) -> tuple[list[str], str | None]:
    """Members after lo, in order, that are certainly complete; and where to go on from."""
    pipe = client.pipeline(transaction=False)
    for key in index_keys:
        pipe.zrangebylex(key, lo, hi, start=0, num=batch)
    chunks: list[list[str]] = pipe.execute()
    members = sorted(set().union(*chunks))
    # A key that filled its batch may hold more members just after its last one; beyond
    # the smallest such last member, the merge is not complete yet.
    full = [chunk[-1] for chunk in chunks if len(chunk) == batch]
    if not full:
        return members, None
    bound = min(full)
    return [m for m in members if m <= bound], "(" + bound


def _member_matches(member: str, q: CdrQuery) -> bool:
    ot, cgr_id, run_id, account = split_member(member)
    order = int(ot)
    return ((not q.accounts or account in q.accounts)
            and (not q.cgr_ids or cgr_id in q.cgr_ids)
            and (not q.run_ids or run_id in q.run_ids)
            and (q.since_ns is None or order >= q.since_ns)
            and (q.until_ns is None or order < q.until_ns))


def _fetch_matching(client: Any, keys: Keys, members: list[str], q: CdrQuery,
                    want: int) -> list[tuple[str, JSON]]:
    """Documents of members, in order, skipping stale index entries, until want are found."""
    found: list[tuple[str, JSON]] = []
    start = 0
    while start < len(members) and len(found) < want:
        chunk = members[start : start + max(want - len(found), 16)]
        start += len(chunk)
        pipe = client.pipeline(transaction=False)
        for member in chunk:
            _, cgr_id, run_id, account = split_member(member)
            pipe.hmget(keys.account(account).cdr(cgr_id, run_id), "m", "doc")
        for member, (stored_member, text) in zip(chunk, pipe.execute(), strict=True):
            if stored_member != member or text is None:
                continue  # the CDR moved or was replaced since this entry was written
            doc = decode(text)
            if not q.origin_ids or cdr_key(doc).origin_id in q.origin_ids:
                found.append((member, doc))
    return found[:want]
