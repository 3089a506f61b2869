"""What running actions reads from the store, read before its transaction starts.

A transaction function must not call the store (it may run several times, and on SQLite
inside the writer's commit), so everything actions and triggers may need is gathered
first into an ``ActionPrep``: the compiled tariffs (timings, destinations), every action
set (a trigger may run any of them), and for ``*cdr_account`` the account's last CDR.

Action sets are cached per process and re-read when their version changes: SetActions and
RemoveActions bump ``actions_meta/version``, tariff-plan loads bump the tariff version;
both are checked at most once a second, so another process's change is seen within a
second (this process's own changes at once).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .action_model import Action, actions_from_doc
from .cdrs import Cdr
from .store.base import Store
from .tariffdocs import ACTIONS, META, VERSION_ID
from .tariffs import Tariffs
from .timeutil import SECOND

ACTIONS_META = "actions_meta"
CHECK_NS = SECOND


@dataclass(frozen=True)
class ActionPrep:
    """The reads a run of actions may need, done outside its transaction."""

    tariffs: Tariffs
    action_sets: Mapping[str, list[Action]] = field(default_factory=dict)
    last_cdr: Cdr | None = None


def _version(store: Store, kind: str) -> Any:
    doc = store.get(kind, VERSION_ID)
    return None if doc is None else doc.get("Version")


class ActionSetCache:
    """Every stored action set, re-read when a version changes (checked <= once a second)."""

    def __init__(self) -> None:
        self._sets: dict[str, list[Action]] | None = None
        self._checked_at = 0
        self._version: Any = None

    def get(self, store: Store, now_ns: int) -> dict[str, list[Action]]:
        """The action sets by id."""
        stale = now_ns - self._checked_at >= CHECK_NS or now_ns < self._checked_at
        if self._sets is None or stale:
            self._checked_at = now_ns
            version = (_version(store, ACTIONS_META), _version(store, META))
            if self._sets is None or version != self._version:
                docs = store.get_many(ACTIONS, store.list_ids(ACTIONS))
                self._sets = {i: actions_from_doc(d) for i, d in docs.items()}
                self._version = version
        return self._sets

    def changed(self, store: Store, new_id: Callable[[], str]) -> None:
        """Action sets were written: tell every process, and forget ours now."""
        store.put(ACTIONS_META, VERSION_ID, {"Version": new_id()})
        self._sets = None
