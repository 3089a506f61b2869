"""The 2012 Responder and 2013 management operations, run on the v0.10 Engine.

``LegacyOps`` is a thin layer: each operation builds a v0.10 CallDescriptor or account
change (``rating.legacy``, ``rating.legacy_budgets``) and hands it to the one Engine, so
the old API and the v0.10 API always see the same accounts. It needs the Engine's action
side (``change_account``, plans, actions); ``supports`` says whether an engine has it.
"""

from __future__ import annotations

from datetime import tzinfo
from decimal import Decimal
from typing import Any, Protocol

from . import legacy, legacy_budgets
from .accounts import Account
from .action_context import ActionContext
from .action_model import Action
from .action_plans import ActionPlan
from .balances import MONETARY
from .callcost import CallCost
from .calldesc import CallDescriptor
from .charging import Settings
from .errors import AccountDisabled, AccountNotFound, NotFound
from .tariffs import Tariffs

VOICE = "*voice"
#: Engine methods the budget operations need beyond rating (the action side).
ACTION_SIDE = ("change_account", "load_actions", "run_actions", "account_plan_ids",
               "load_plan", "set_account", "attach")


class LegacyEngine(Protocol):
    """What LegacyOps uses of rating.engine.Engine."""

    settings: Settings
    default_category: str
    default_tenant: str
    timezone: tzinfo

    def now_ns(self) -> int: ...
    def new_id(self) -> str: ...
    def tariffs(self) -> Tariffs: ...
    def reload_tariffs(self) -> Tariffs: ...
    def prepare(self, cd: CallDescriptor) -> CallDescriptor: ...
    def get_cost(self, cd: CallDescriptor) -> CallCost: ...
    def debit(self, cd: CallDescriptor, *, debit_id: str) -> CallCost: ...
    def max_debit(self, cd: CallDescriptor, *, debit_id: str) -> CallCost: ...
    def max_session_time(self, cd: CallDescriptor) -> int: ...
    def get_account(self, tenant: str, account: str) -> Account: ...
    def change_account(self, account_key: str, change: Any, *,
                       create: bool = False) -> Account: ...
    def load_actions(self, actions_id: str) -> list[Action]: ...
    def run_actions(self, account_key: str, actions: list[Action], *,
                    txn_id: str | None = None, create: bool = False,
                    extra_data: Any = None) -> Any: ...
    def account_plan_ids(self, account_key: str) -> list[str]: ...
    def load_plan(self, plan_id: str) -> ActionPlan: ...
    def set_account(self, tenant: str, account: str, *, allow_negative: bool | None = None,
                    disabled: bool | None = None, action_plan_ids: list[str] | None = None,
                    action_plans_overwrite: bool = False,
                    action_trigger_ids: list[str] | None = None,
                    action_triggers_overwrite: bool = False,
                    reload_scheduler: bool = False) -> Account: ...
    def attach(self, plan_id: str, account_key: str) -> None: ...


def supports(engine: object) -> bool:
    """Whether the engine has the action side the budget operations need."""
    return all(callable(getattr(engine, name, None)) for name in ACTION_SIDE)


class LegacyOps:
    """The old calls, each mapped onto one Engine operation (see the module docstring)."""

    def __init__(self, engine: LegacyEngine) -> None:
        self.engine = engine

    # -- calls (Responder.Get/GetCost, Debit, MaxDebit, GetMaxSessionTime) ----------------
    def describe(self, call: legacy.OldCall, tor_kind: str = VOICE,
                 usage_ns: int | None = None) -> CallDescriptor:
        """The v0.10 CallDescriptor of an old call, with the engine's defaults."""
        cd = legacy.call_descriptor(call, tor_kind=tor_kind, now_ns=self.engine.now_ns(),
                                    default_category=self.engine.default_category,
                                    usage_ns=usage_ns)
        return self.engine.prepare(cd)

    def get_cost(self, call: legacy.OldCall) -> dict[str, Any]:
        return legacy.old_call_cost(self.engine.get_cost(self.describe(call)), call)

    def debit(self, call: legacy.OldCall) -> dict[str, Any]:
        cc = self.engine.debit(self.describe(call), debit_id=self.engine.new_id())
        return legacy.old_call_cost(cc, call)

    def max_debit(self, call: legacy.OldCall) -> dict[str, Any]:
        cd = self.describe(call, usage_ns=legacy.requested_usage(call))
        return legacy.old_call_cost(self.engine.max_debit(cd, debit_id=self.engine.new_id()),
                                    call)

    def max_session_seconds(self, call: legacy.OldCall) -> Decimal:
        """Exact seconds the account can pay of the requested usage (-1: unlimited)."""
        cd = self.describe(call, usage_ns=legacy.requested_usage(call))
        return legacy.ns_to_seconds(self.engine.max_session_time(cd))

    # -- budgets ------------------------------------------------------------------------------
    def _change(self, call: legacy.OldCall, change: Any) -> Account:
        return self._on_account(self.describe(call).account_key, change)

    def _existing(self, key: str) -> Account:
        """The account, or ACCOUNT_NOT_FOUND / ACCOUNT_DISABLED (read only)."""
        tenant, _, name = key.partition(":")
        try:
            acc = self.engine.get_account(tenant, name)
        except NotFound:
            raise AccountNotFound(key) from None
        if acc.Disabled:
            raise AccountDisabled(key)
        return acc

    def _on_account(self, key: str, change: Any) -> Account:
        """Run `change(acc, ctx)` in one account transaction, as the Responder would: on a
        missing account ACCOUNT_NOT_FOUND, on a disabled one ACCOUNT_DISABLED."""
        def checked(acc: Account, ctx: ActionContext) -> None:
            if acc.Disabled:
                raise AccountDisabled(key)
            change(acc, ctx)

        try:
            return self.engine.change_account(key, checked)
        except NotFound as exc:
            if exc.detail == key:
                raise AccountNotFound(key) from None
            raise

    def debit_budget(self, call: legacy.OldCall, btype: str) -> Decimal:
        """DebitBalance (money), DebitSMS, DebitSeconds: what is left of that budget."""
        amount = call.amount if call.amount is not None else Decimal(0)
        cd = self.describe(call)
        tariffs = self.engine.tariffs()
        uuid = self.engine.new_id()

        def change(acc: Account, ctx: ActionContext) -> None:
            if btype == MONETARY and amount < 0:
                legacy_budgets.credit_money(acc, -amount, ctx, uuid)
                return
            legacy_budgets.debit_budget(
                acc, tariffs, btype, legacy.to_stored_units(btype, amount),
                destination=cd.Destination, category=cd.Category, direction=cd.Direction,
                ctx=ctx, new_uuid=uuid)

        acc = self._on_account(cd.account_key, change)
        return self._total(acc, btype, cd.Direction)

    def add_received_seconds(self, call: legacy.OldCall) -> None:
        usage = legacy.seconds_to_ns(call.amount or Decimal(0))
        destination = call.destination
        self._change(call, lambda acc, ctx: legacy_budgets.count_received(
            acc, usage, destination, ctx))

    def add_volume_seconds(self, call: legacy.OldCall) -> None:
        usage = legacy.seconds_to_ns(call.amount or Decimal(0))
        cd = self.describe(call)
        self._change(call, lambda acc, ctx: legacy_budgets.count_placed(
            acc, usage, cd.Category, cd.Destination, ctx))

    def reset_volume_seconds(self, call: legacy.OldCall) -> None:
        self._change(call, lambda acc, ctx: legacy_budgets.reset_placed(acc))

    def reset_budget(self, call: legacy.OldCall) -> None:
        """ResetUserBudget: run the ``*topup_reset`` actions of the account's plans."""
        key = self.describe(call).account_key
        self._existing(key)
        actions: list[Action] = []
        for plan_id in self.engine.account_plan_ids(key):
            for timing in self.engine.load_plan(plan_id).ActionTimings:
                actions += legacy_budgets.topup_resets(self.engine.load_actions(timing.ActionsID))
        if not actions:
            raise NotFound(f"no *topup_reset action in the action plans of {key}")
        self.engine.run_actions(key, actions)

    def _total(self, acc: Account, btype: str, direction: str) -> Decimal:
        total = legacy_budgets.budget_total(acc, btype, direction, self.engine.now_ns(),
                                            self.engine.timezone)
        return legacy.from_stored_units(btype, total)

    # -- management ---------------------------------------------------------------------------
    def balance(self, tenant: str, account: str, btype: str, direction: str) -> Decimal:
        """GetBalance: the total of one balance type in one direction."""
        acc = self.engine.get_account(tenant or self.engine.default_tenant, account)
        return self._total(acc, btype, direction)

    def add_account(self, tenant: str, account: str, *, allow_negative: bool | None,
                    plan_id: str) -> None:
        """AddAccount/SetAccount (2013): flags, the plan attached and its *asap run now."""
        tenant = tenant or self.engine.default_tenant
        plans = [plan_id] if plan_id else None
        self.engine.set_account(tenant, account, allow_negative=allow_negative,
                                action_plan_ids=plans, reload_scheduler=True)
        if plan_id:
            self.engine.attach(plan_id, f"{tenant}:{account}")

    def flush_cache(self) -> None:
        """FlushCache: callmeter's only cache is the compiled tariffs; recompile them."""
        self.engine.reload_tariffs()

