"""The action side of the Engine in one class: Engine inherits it (rating/engine.py)."""

from __future__ import annotations

from .engine_accounts import AccountsApi
from .engine_cdrs import CdrsApi


class ActionSide(CdrsApi, AccountsApi):
    """Actions, action plans, triggers, account set-up and CDRs, on top of rating."""
