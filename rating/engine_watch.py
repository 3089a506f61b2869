"""Engine hooks that let triggers and unit counters follow real debits and refunds.

``Engine._charge`` (and the refund path) read ``watch_prep`` before the transaction and
make one ``DebitWatcher`` per transaction attempt with ``debit_watcher``; what fired
triggers produced (CDRs, outbox jobs) is committed with the debit through
``watcher_commit``, and ``after_watch`` logs what happened once the commit is done.
Synchronous posts of triggers fired during a debit go to the outbox (delivered right away
by the outbox worker): a debit never waits on a remote server.
"""

from __future__ import annotations

from typing import Any

from .accounts import Account
from .action_cache import ActionPrep
from .engine_actions import ActionsApi
from .trigger_watch import DebitWatcher


class WatchApi(ActionsApi):
    """Trigger evaluation during debits (mixed into Engine)."""

    def watch_prep(self) -> ActionPrep:
        """What triggers may need during a debit, read before its transaction."""
        return self.action_prep()

    def debit_watcher(self, account: Account, now_ns: int, prep: ActionPrep,
                      category: str = "", destination: str = "") -> DebitWatcher:
        """A watcher for one real debit or refund of the account (inside its transaction)."""
        return DebitWatcher(account, self.action_context(now_ns, prep), category,
                            destination)

    @staticmethod
    def watcher_commit(watcher: DebitWatcher | None) -> dict[str, Any]:
        """Commit keyword arguments: the CDRs and outbox jobs of the triggers that fired."""
        if watcher is None:
            return {}
        effects = watcher.ctx.effects
        return {"cdrs": [c.to_doc() for c in effects.cdrs],
                "outbox": effects.jobs + effects.sync_jobs}

    def after_watch(self, watchers: list[DebitWatcher], account_key: str) -> None:
        """After the commit: logs of fired triggers and of their *log actions."""
        for watcher in watchers:
            effects = watcher.ctx.effects
            queued = bool(effects.jobs or effects.sync_jobs)
            effects.sync_jobs = []  # already queued with the commit
            self.after_commit(effects, account_key)
            if queued and self.side_effects is not None:
                self.side_effects.queued()
