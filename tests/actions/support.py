"""Helpers of the actions tests: an engine with its action side, accounts, contexts."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from rating.accounts import Account
from rating.action_context import ActionContext
from rating.action_model import Action
from rating.balances import Balance
from rating.engine import Engine
from rating.store import Store
from rating.timeutil import to_ns
from rating.triggers import BalanceFilter

NOW = datetime(2026, 3, 10, 12, 0, 0, tzinfo=UTC)
NOW_NS = to_ns(NOW)


def ids(prefix: str = "id") -> Callable[[], str]:
    """Predictable ids: id-1, id-2, ..."""
    counter = itertools.count(1)
    return lambda: f"{prefix}-{next(counter)}"


FullEngine = Engine  # the Engine carries its action side (rating/engine_parts.py)


def make_engine(store: Store, clock: Callable[[], datetime] = lambda: NOW,
                **kwargs: Any) -> Engine:
    """The Engine the daemon builds, with a fake clock and predictable ids."""
    return Engine(store, clock=clock, new_id=ids("uuid"), **kwargs)


def context(actions: dict[str, list[Action]] | None = None, now_ns: int = NOW_NS,
            extra_data: Any = None) -> ActionContext:
    """A context for pure tests; `actions` are what triggers can load."""
    stored = actions or {}
    return ActionContext(now_ns, UTC, 5, ids("uuid"), stored.get, extra_data=extra_data)


def money_balance(uuid: str, value: str, **fields: Any) -> Balance:
    return Balance(uuid, Value=Decimal(value), **fields)


def account(*balances: tuple[str, Balance], **fields: Any) -> Account:
    acc = Account("cgrates.org:1001", **fields)
    for btype, b in balances:
        acc.BalanceMap.setdefault(btype, []).append(b)
    return acc


def action(kind: str, weight: str = "0", extra: str = "", expiry: str = "", flt: str = "",
           **balance: Any) -> Action:
    """An action whose balance filter has the given fields (Value as units text)."""
    if "Value" in balance:
        balance["Value"] = {"Method": "", "Params": None, "Static": str(balance["Value"])}
    return Action("ACT", kind, extra, flt, expiry, Decimal(weight), BalanceFilter(**balance))
