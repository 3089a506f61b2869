"""Persistent state behind one interface: SQLite (default) or Redis; see base.py."""

from __future__ import annotations

from .base import (
    JSON,
    CdrQuery,
    Commit,
    Store,
    StoreError,
    StoreUnavailable,
    TooManyConflicts,
    TxnFn,
)

__all__ = [
    "JSON",
    "CdrQuery",
    "Commit",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "TooManyConflicts",
    "TxnFn",
    "open_store",
]


def open_store(url: str, *, sqlite_synchronous: str = "full") -> Store:
    """Open the store a URL names: sqlite:///PATH, redis[s]://, redis+sentinel://, redis+cluster://.

    ``memory://`` gives the non-persistent reference store (tests only).
    """
    if url.startswith("sqlite:///"):
        from .sqlite import SqliteStore

        return SqliteStore(url[len("sqlite:///") - 1 :], synchronous=sqlite_synchronous)
    if url.startswith(("redis://", "rediss://", "redis+sentinel://", "redis+cluster://")):
        from .redis import RedisStore

        return RedisStore.from_url(url)
    if url == "memory://":
        from .memory import MemoryStore

        return MemoryStore()
    raise StoreError(f"unsupported store url {url!r}")
