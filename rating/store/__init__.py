"""Persistent state behind one interface: SQLite (default) or Redis; see base.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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


def open_store(url: str, *, sqlite_synchronous: str = "full",
               run_blocking: Callable[[Callable[[], Any]], Any] | None = None) -> Store:
    """Open the store a URL names: sqlite:///PATH, redis[s]://, redis+sentinel://, redis+cluster://.

    ``memory://`` gives the non-persistent reference store (tests only). ``run_blocking``
    runs a blocking call off the event loop (under gevent pass
    ``gevent.get_hub().threadpool.apply``); SQLite commits go through it, so an fsync never
    stalls the hub. Redis needs none: its sockets cooperate with gevent.
    """
    if url.startswith("sqlite:///"):
        from .sqlite import SqliteStore

        path = "/" + url[len("sqlite:///") :].lstrip("/")
        return SqliteStore(path, synchronous=sqlite_synchronous, run_blocking=run_blocking)
    if url.startswith(("redis://", "rediss://", "redis+sentinel://", "redis+cluster://")):
        from .redis import RedisStore

        store: Store = RedisStore.from_url(url)
        return store
    if url == "memory://":
        from .memory import MemoryStore

        return MemoryStore()
    raise StoreError(f"unsupported store url {url!r}")
