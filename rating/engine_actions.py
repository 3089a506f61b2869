"""Engine methods for action sets: SetActions, GetActions, RemoveActions, ExecuteAction,
and the balance APIs (AddBalance, DebitBalance, SetBalance, RemoveBalances).

Every run of actions on an account is one store transaction: the account change, the
``*cdrlog`` CDRs and the outbox jobs commit together or not at all. A transaction id
(the scheduler's ``ap:<plan>:<timing>:<due>``) makes a repeated run a no-op.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from . import money
from .accounts import Account
from .action_cache import ActionPrep, ActionSetCache
from .action_context import ActionContext, Effects, PartiallyExecuted
from .action_model import Action, action_from_api, action_to_tp, actions_from_doc, string_map
from .action_model import resolve_expiry as _resolve_expiry
from .actions import run_action_set
from .cdr_query import filter_from_args, find_cdrs
from .cdrs import Cdr
from .engine_base import EngineBase
from .errors import Exists, MandatoryIEMissing, NotFound, ServerError
from .store.base import JSON, Commit
from .tariffdocs import ACTIONS
from .triggers import BalanceFilter

log = logging.getLogger(__name__)

BALANCE_ACTIONS = ("*set_balance", "*topup", "*topup_reset", "*debit", "*debit_reset",
                   "*remove_balance")


@dataclass
class RunOutcome:
    """What running a set on one account did."""

    ran: bool  # False: the account did not exist (skipped) or the run was already applied
    effects: Effects = field(default_factory=Effects)


class ActionsApi(EngineBase):
    """Action sets and running them (mixed into Engine)."""

    # -- running ------------------------------------------------------------------------
    def action_sets(self) -> ActionSetCache:
        """This engine's cache of the stored action sets."""
        cache: ActionSetCache | None = self.__dict__.get("_action_set_cache")
        if cache is None:
            cache = self.__dict__["_action_set_cache"] = ActionSetCache()
        return cache

    def action_prep(self, last_cdr_of: str | None = None) -> ActionPrep:
        """Read what running actions may need (before the transaction; see action_cache)."""
        return ActionPrep(self.tariffs(), self.action_sets().get(self.store, self.now_ns()),
                          self._last_cdr(last_cdr_of) if last_cdr_of else None)

    def action_context(self, now_ns: int, prep: ActionPrep,
                       extra_data: Any = None) -> ActionContext:
        """A fresh context on prepared reads (never touches the store)."""
        tariffs = prep.tariffs
        return ActionContext(now_ns, self.timezone, self.settings.decimals, self.new_id,
                             prep.action_sets.get, tariffs.timings,
                             tariffs.destination_ids_for, lambda key: prep.last_cdr,
                             extra_data)

    def load_actions(self, actions_id: str) -> list[Action]:
        """The stored action set, or NotFound."""
        doc = self.store.get(ACTIONS, actions_id)
        if doc is None:
            raise NotFound(f"actions {actions_id}")
        return actions_from_doc(doc)

    def run_actions(self, account_key: str, actions: list[Action], *,
                    txn_id: str | None = None, create: bool = False,
                    extra_data: Any = None) -> RunOutcome:
        """Run a set on one account in one transaction (see the module docstring).

        A missing account is skipped (CGRateS reports no error) unless `create`.
        PartiallyExecuted is raised when an action failed; nothing was kept then.
        """
        now = self.now_ns()
        attempt: list[tuple[ActionContext, str]] = []
        queue_sync = self.side_effects is None
        needs_cdr = any(a.ActionType == "*cdr_account" for a in actions)
        prep = self.action_prep(account_key if needs_cdr else None)

        def txn(doc: JSON | None) -> Commit:
            attempt.clear()
            if doc is None and not create:
                return Commit.keep({"Skipped": True})
            acc = Account(account_key) if doc is None else Account.from_doc(doc)
            ctx = self.action_context(now, prep, extra_data)
            # The nonce tells our own commit from one made before under the same txn id
            # (a backend may run this function and only then find the id already applied).
            nonce = self.new_id()
            attempt.append((ctx, nonce))
            run_action_set(acc, actions, ctx)
            acc.UpdateTime = now
            effects = ctx.effects
            return Commit(None if effects.removed_self else acc.to_doc(), {"Nonce": nonce},
                          cdrs=[c.to_doc() for c in effects.cdrs],
                          outbox=effects.jobs + (effects.sync_jobs if queue_sync else []))

        try:
            result = self.store.transact(account_key, txn, txn_id)
        except PartiallyExecuted as exc:
            log.warning("actions on %s not executed: %s", account_key, exc.detail)
            raise
        if not attempt or not isinstance(result, dict) or result.get("Nonce") != attempt[0][1]:
            return RunOutcome(False)
        effects = attempt[0][0].effects
        self.after_commit(effects, account_key)
        return RunOutcome(True, effects)

    def run_accountless(self, actions: list[Action], extra_data: Any = None) -> Effects:
        """Run a set without an account (only account-free actions can work)."""
        ctx = self.action_context(self.now_ns(), self.action_prep(), extra_data)
        run_action_set(None, actions, ctx)
        if ctx.effects.cdrs:
            self.store.append_cdrs([c.to_doc() for c in ctx.effects.cdrs])
        queued = ctx.effects.jobs + (ctx.effects.sync_jobs if self.side_effects is None else [])
        self.enqueue_jobs(queued)
        self.after_commit(ctx.effects, "")
        return ctx.effects

    def after_commit(self, effects: Effects, account_key: str) -> None:
        """Effects that follow a committed change: logs, synchronous posts, removals."""
        for line in effects.logs:
            log.info("%s", line)
        for failure in effects.failures:
            log.warning("%s", failure)
        if effects.fired:
            log.info("triggers fired on %s: %s", account_key, ", ".join(effects.fired))
        if self.side_effects is not None:
            failed = [job for job in effects.sync_jobs if not self.side_effects.post_now(job)]
            self.enqueue_jobs(failed)
            if effects.jobs or failed:
                self.side_effects.queued()
        if effects.removed_self and account_key:
            self.unlink_account_plans(account_key)
        for key in effects.remove_accounts:
            self._delete_account(key)

    def _delete_account(self, key: str) -> None:
        def txn(doc: JSON | None) -> Commit:
            if doc is None:
                return Commit.keep("OK")
            return Commit(None, "OK")

        self.store.transact(key, txn)
        self.unlink_account_plans(key)

    def _last_cdr(self, account_key: str) -> Cdr | None:
        tenant, _, name = account_key.partition(":")
        f = filter_from_args({"Tenants": [tenant], "Accounts": [name], "NotCosts": ["-1"],
                              "OrderBy": "OrderID;desc", "Limit": 1},
                             v1=False, now_ns=self.now_ns(), tz=self.timezone)
        found = find_cdrs(self.store, f)
        return found[0] if found else None

    # -- the API ----------------------------------------------------------------------------
    def set_actions(self, actions_id: str, actions: list[dict[str, Any]], *,
                    overwrite: bool = False) -> str:
        """APIerSv1/2.SetActions: EXISTS unless overwrite; every action checked first."""
        if not actions_id:
            raise MandatoryIEMissing(["ActionsId"])
        if not overwrite and self.store.get(ACTIONS, actions_id) is not None:
            raise Exists(f"actions {actions_id}")
        now = self.now_ns()
        parsed = [action_from_api(actions_id, a, now, self.timezone) for a in actions]
        self.store.put(ACTIONS, actions_id, {"ID": actions_id,
                                             "Actions": [a.to_doc() for a in parsed]})
        self.action_sets().changed(self.store, self.new_id)
        return "OK"

    def get_tp_actions(self, actions_id: str) -> list[dict[str, Any]]:
        """APIerSv1.GetActions: the TPAction shape with string fields."""
        return [action_to_tp(a) for a in self.load_actions(actions_id)]

    def get_actions(self, actions_ids: list[str] | None, offset: int | None = None,
                    limit: int | None = None) -> dict[str, Any]:
        """APIerSv2.GetActions: {id: [Action]} (all when no ids; a missing id errors)."""
        ids = [i for i in actions_ids or () if i] or self.store.list_ids(ACTIONS)
        start = min(max(offset or 0, 0), len(ids))
        ids = ids[start:start + limit] if limit else ids[start:]
        out = {}
        for actions_id in ids:
            try:
                out[actions_id] = [a.to_json() for a in self.load_actions(actions_id)]
            except NotFound:
                raise ServerError("NOT_FOUND") from None
        return out

    def remove_actions(self, actions_ids: list[str] | None) -> str:
        """APIerSv1.RemoveActions: no reference check (plans may be left dangling)."""
        if actions_ids is None:
            raise NotFound("no ActionIDs")
        for actions_id in actions_ids:
            self.store.delete(ACTIONS, actions_id)
        self.action_sets().changed(self.store, self.new_id)
        return "OK"

    def execute_action(self, tenant: str, account: str, actions_id: str) -> str:
        """APIerSv1.ExecuteAction: run now; an unknown account is skipped (still OK)."""
        actions = self.load_actions(actions_id)
        if tenant and account:
            self.run_actions(f"{tenant}:{account}", actions)
        else:
            self.run_accountless(actions)
        return "OK"

    def balance_action(self, action: str, tenant: str, account: str, balance_type: str,
                       value: Decimal | None, balance: Mapping[str, Any], *,
                       extra_data: Any = None, cdrlog: bool = False) -> str:
        """AddBalance/DebitBalance/SetBalance/RemoveBalances as the action they run."""
        if action not in BALANCE_ACTIONS:
            raise ServerError(f"unknown balance action {action!r}")
        f = self.balance_filter(balance, balance_type, value)
        key = f"{tenant}:{account}"
        if action == "*set_balance" and not f.ID and not f.Uuid:
            raise MandatoryIEMissing(["BalanceID", "or", "BalanceUUID"])
        if action == "*remove_balance" and self.store.get_account(key) is None:
            raise NotFound(key)
        actions = [Action("", action, Balance=f)]
        if cdrlog:
            actions.append(Action("", "*cdrlog", Weight=Decimal(-1)))
        self.run_actions(key, actions, create=action != "*remove_balance",
                         extra_data=extra_data)
        return "OK"

    def balance_filter(self, balance: Mapping[str, Any], balance_type: str,
                       value: Decimal | None) -> BalanceFilter:
        """The filter of the balance APIs' ``Balance`` map (CGRateS NewBalanceFilter)."""
        f = BalanceFilter(Type=balance_type)
        if value is not None:
            f.Value = {"Method": "", "Params": None, "Static": str(abs(value))}
        get = balance.get
        f.ID, f.Uuid = get("ID"), get("UUID") or get("Uuid")
        if get("ExpiryTime") not in (None, ""):
            f.ExpirationDate = self.resolve_expiry(str(get("ExpiryTime")))
        if get("Weight") is not None:
            f.Weight = money.to_decimal(get("Weight"))
        for name, api in (("DestinationIDs", "DestinationIDs"), ("Categories", "Categories"),
                          ("SharedGroups", "SharedGroups"), ("TimingIDs", "TimingIDs")):
            if get(api) is not None:
                setattr(f, name, string_map(get(api)))
        if get("RatingSubject") is not None:
            f.RatingSubject = str(get("RatingSubject"))
        f.Blocker, f.Disabled = get("Blocker"), get("Disabled")
        return f

    def resolve_expiry(self, text: str) -> int:
        """An API ExpiryTime now; ServerError when it is not a time."""
        expiry = _resolve_expiry(text, self.now_ns(), self.timezone)
        if expiry is None:
            raise ServerError(f"ExpiryTime {text!r} is not a time")
        return expiry
