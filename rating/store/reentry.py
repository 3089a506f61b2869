"""Refusing store calls made from inside a transaction function.

A transaction function may run several times (conflicts) and, on SQLite, inside the
writer's transaction or thread; a store call from there would deadlock or see half a
commit. Every backend refuses it the same way, so code tested on one is safe on all.
"""

from __future__ import annotations

import threading

from .base import JSON, Commit, StoreError, TxnFn


class ReentryGuard:
    """Marks the thread (greenlet, under gevent) that is running a transaction function."""

    def __init__(self) -> None:
        self._local = threading.local()

    def call(self, fn: TxnFn, account: JSON | None) -> Commit:
        """fn(account), with store calls refused meanwhile in this thread."""
        self._local.inside = True
        try:
            return fn(account)
        finally:
            self._local.inside = False

    def check(self) -> None:
        if getattr(self._local, "inside", False):
            raise StoreError("a transaction function must not call the store: it may run "
                             "several times, and inside the commit; read what it needs first")
