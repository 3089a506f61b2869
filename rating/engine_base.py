"""What the Engine's action-side parts (actions, plans, triggers, CDRs) share.

``Engine`` (rating/engine.py) inherits these parts; ``EngineBase`` only declares what they
use of it, so each part stays a small module named for what it holds. ``SideEffects`` is
what the process plugs in to perform the effects that leave it right after a commit
(``*http_post``): without one they go to the persisted outbox like the asynchronous ones.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any, Protocol

from . import charging
from .store.base import JSON, Commit, Store
from .tariffs import Tariffs

#: The pseudo account whose transactions only hand jobs to the outbox (never written).
OUTBOX_ACCOUNT = "*outbox:*jobs"


class SideEffects(Protocol):
    """Performs a synchronous job (an HTTP POST) right after the commit that produced it."""

    def post_now(self, job: dict[str, Any]) -> bool:
        """Deliver now with a timeout; False when it failed (the job is then queued)."""

    def queued(self) -> None:
        """Jobs were committed to the outbox: deliver them soon."""


class EngineBase:
    """Attributes and hooks of the Engine that the action-side parts rely on."""

    store: Store
    clock: Callable[[], datetime]
    new_id: Callable[[], str]
    settings: charging.Settings
    default_tenant: str
    default_category: str
    timezone: tzinfo
    side_effects: SideEffects | None = None

    if TYPE_CHECKING:  # provided by Engine and the other parts; declared for the checker
        def now_ns(self) -> int: ...

        def tariffs(self) -> Tariffs: ...

        def unlink_account_plans(self, account_key: str) -> None: ...

    def enqueue_jobs(self, jobs: list[dict[str, Any]]) -> None:
        """Hand jobs to the store's outbox outside any account change."""
        if not jobs:
            return

        def txn(doc: JSON | None) -> Commit:
            return Commit.keep(None, outbox=list(jobs))

        self.store.transact(OUTBOX_ACCOUNT, txn)
