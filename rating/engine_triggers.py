"""Engine methods for action triggers: per-account copies and stored trigger groups.

Account trigger changes are account transactions; when CGRateS evaluates the triggers
after a change (SetAccountActionTriggers, ResetAccountActionTriggers with Executed false)
we do too, and what fired runs in the same transaction.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from . import money
from .accounts import Account
from .action_context import ActionContext
from .engine_actions import ActionsApi
from .errors import NotFound, ServerError
from .store.base import JSON, Commit
from .tariffdocs import ACTION_TRIGGERS
from .timeutil import TimeFormatError, parse_api_time
from .trigger_eval import execute_action_triggers, init_counters
from .trigger_fields import update_trigger
from .triggers import ActionTrigger

AccountChange = Callable[[Account, ActionContext], None]


def _selected(at: ActionTrigger, group_id: str, unique_id: str) -> bool:
    return (not unique_id or at.UniqueID == unique_id) and (not group_id or group_id == at.ID)


class TriggersApi(ActionsApi):
    """Action triggers (mixed into Engine)."""

    def change_account(self, account_key: str, change: AccountChange, *,
                       create: bool = False) -> Account:
        """Run `change` on the account in one transaction (NotFound if it is missing)."""
        now = self.now_ns()
        prep = self.action_prep()
        attempt: list[tuple[Account, ActionContext]] = []

        def txn(doc: JSON | None) -> Commit:
            if doc is None and not create:
                raise NotFound(account_key)
            acc = Account(account_key) if doc is None else Account.from_doc(doc)
            ctx = self.action_context(now, prep)
            change(acc, ctx)
            acc.UpdateTime = now
            attempt[:] = [(acc, ctx)]
            effects = ctx.effects
            queued = effects.jobs + (effects.sync_jobs if self.side_effects is None else [])
            return Commit(None if effects.removed_self else acc.to_doc(), "OK",
                          cdrs=[c.to_doc() for c in effects.cdrs], outbox=queued)

        self.store.transact(account_key, txn)
        acc, ctx = attempt[0]
        self.after_commit(ctx.effects, account_key)
        return acc

    def trigger_group(self, group_id: str) -> list[ActionTrigger]:
        """The triggers of a stored group, or NotFound."""
        doc = self.store.get(ACTION_TRIGGERS, group_id)
        if doc is None:
            raise NotFound(f"action triggers {group_id}")
        return [ActionTrigger.from_json(t) for t in doc.get("ActionTriggers") or ()]

    # -- account triggers ---------------------------------------------------------------------
    def set_account_action_triggers(self, tenant: str, account: str, group_id: str,
                                    unique_id: str, trigger: Mapping[str, Any]) -> str:
        """Update the account's triggers of GroupID(/UniqueID), or add a new one."""
        def change(acc: Account, ctx: ActionContext) -> None:
            triggers = acc.ActionTriggers or []
            found = False
            for at in triggers:
                found = update_trigger(at, group_id, unique_id, trigger, ctx.now_ns, ctx.tz,
                                       self.new_id) or found
            if not found:
                at = ActionTrigger()
                update_trigger(at, group_id, unique_id, trigger, ctx.now_ns, ctx.tz,
                               self.new_id)
                triggers.append(at)
            acc.ActionTriggers = triggers
            init_counters(acc)
            execute_action_triggers(acc, None, ctx)

        self.change_account(f"{tenant}:{account}", change)
        return "OK"

    def add_account_action_triggers(self, tenant: str, account: str, trigger_ids: list[str], *,
                                    overwrite: bool = False, activation_date: str = "",
                                    executed: bool = False) -> str:
        """Copy stored trigger groups into the account (duplicates by ID+UniqueID skipped)."""
        try:
            activation = parse_api_time(activation_date, self.now_ns(), self.timezone)[0]
        except TimeFormatError as exc:
            raise ServerError(str(exc)) from None
        groups = [self.trigger_group(g) for g in trigger_ids]

        def change(acc: Account, ctx: ActionContext) -> None:
            triggers = [] if overwrite else list(acc.ActionTriggers or [])
            for group in groups:
                for at in copy.deepcopy(group):
                    at.ActivationDate, at.Executed = activation, executed
                    if not any(t.ID == at.ID and t.UniqueID == at.UniqueID for t in triggers):
                        triggers.append(at)
            acc.ActionTriggers = triggers
            init_counters(acc)

        self.change_account(f"{tenant}:{account}", change)
        return "OK"

    def get_account_action_triggers(self, tenant: str, account: str) -> list[dict[str, Any]]:
        """The account's triggers (``[]`` when none)."""
        doc = self.store.get_account(f"{tenant}:{account}")
        if doc is None:
            raise NotFound(f"{tenant}:{account}")
        return [at.to_json() for at in Account.from_doc(doc).ActionTriggers or ()]

    def reset_account_action_triggers(self, tenant: str, account: str, group_id: str,
                                      unique_id: str, executed: bool) -> str:
        """Set Executed on the selected triggers; with false, evaluate them again."""
        def change(acc: Account, ctx: ActionContext) -> None:
            for at in acc.ActionTriggers or ():
                if _selected(at, group_id, unique_id):
                    at.Executed = executed
            if not executed:
                execute_action_triggers(acc, None, ctx)

        self.change_account(f"{tenant}:{account}", change)
        return "OK"

    def remove_account_action_triggers(self, tenant: str, account: str, group_id: str,
                                       unique_id: str) -> str:
        """Drop the selected triggers (all when neither id is given)."""
        def change(acc: Account, ctx: ActionContext) -> None:
            kept = [at for at in acc.ActionTriggers or ()
                    if not _selected(at, group_id, unique_id)]
            acc.ActionTriggers = kept or None
            init_counters(acc)

        self.change_account(f"{tenant}:{account}", change)
        return "OK"

    def add_triggered_action(self, args: Mapping[str, Any]) -> str:
        """APIerSv1.AddTriggeredAction (deprecated): one new trigger on an account."""
        fields = {k: v for k, v in args.items() if k not in (
            "ActionTriggersId", "ActionTriggersUniqueId", "Tenant", "Account",
            "BalanceExpiryTime")}
        if args.get("BalanceExpiryTime"):
            fields["BalanceExpirationDate"] = args["BalanceExpiryTime"]
        group = str(args.get("ActionTriggersId") or "")
        unique = str(args.get("ActionTriggersUniqueId") or "")

        def change(acc: Account, ctx: ActionContext) -> None:
            at = ActionTrigger()
            update_trigger(at, group or self.new_id(), unique, fields, ctx.now_ns, ctx.tz,
                           self.new_id)
            acc.ActionTriggers = [*(acc.ActionTriggers or []), at]
            init_counters(acc)

        self.change_account(f"{args.get('Tenant')}:{args.get('Account')}", change)
        return "OK"

    # -- stored trigger groups ------------------------------------------------------------------
    def set_action_trigger(self, group_id: str, unique_id: str,
                           trigger: Mapping[str, Any]) -> str:
        """APIerSv1.SetActionTrigger: update the group's trigger UniqueID or add one."""
        doc = self.store.get(ACTION_TRIGGERS, group_id)
        triggers = [ActionTrigger.from_json(t) for t in (doc or {}).get("ActionTriggers") or ()]
        target = next((t for t in triggers if unique_id and t.UniqueID == unique_id), None)
        if target is None:
            target = ActionTrigger(group_id, unique_id or self.new_id())
            triggers.append(target)
        update_trigger(target, group_id, target.UniqueID, trigger, self.now_ns(),
                       self.timezone, self.new_id)
        self.store.put(ACTION_TRIGGERS, group_id, {"ID": group_id, "ActionTriggers": [
            money.jsonable(t.to_json()) for t in triggers]})
        return "OK"

    def get_action_triggers(self, group_ids: list[str] | None) -> list[dict[str, Any]]:
        """APIerSv1.GetActionTriggers: the triggers of the groups (all groups when none)."""
        ids = group_ids or self.store.list_ids(ACTION_TRIGGERS)
        return [at.to_json() for g in ids for at in self.trigger_group(g)]

    def remove_action_trigger(self, group_id: str, unique_id: str) -> str:
        """APIerSv1.RemoveActionTrigger: the whole group, or one trigger of it."""
        triggers = self.trigger_group(group_id)
        if not unique_id:
            self.store.delete(ACTION_TRIGGERS, group_id)
            return "OK"
        kept = [t for t in triggers if t.UniqueID != unique_id]
        self.store.put(ACTION_TRIGGERS, group_id, {"ID": group_id, "ActionTriggers": [
            money.jsonable(t.to_json()) for t in kept]})
        return "OK"
