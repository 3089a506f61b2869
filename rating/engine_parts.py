"""The action side of the Engine in one class: Engine inherits it (rating/engine.py)."""

from __future__ import annotations

from .engine_accounts import AccountsApi
from .engine_cdrs import CdrsApi
from .engine_watch import WatchApi


class ActionSide(CdrsApi, WatchApi, AccountsApi):
    """Actions, action plans, triggers, account set-up (SetAccount, RemoveAccount), CDRs
    and the trigger hooks of debits, on top of the rating engine."""
