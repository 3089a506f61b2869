"""SetAccount (v1 and v2) and RemoveAccount: flags, action plans and trigger groups.

CGRateS v0.10 ``APIerSv2.SetAccount``: the account is created when missing; with
``ActionPlansOverwrite`` it leaves the plans not listed; every listed plan gets one
``*asap`` task per ``*asap`` timing (each call, even when already attached) and the
account is attached unless the plan is only ``*asap``; trigger groups are appended
(deduplicated by ID and UniqueID) or replace the account's with ``ActionTriggerOverwrite``;
``ReloadScheduler`` runs the new tasks at once. Unknown plans or trigger groups are
``SERVER_ERROR: NOT_FOUND`` and nothing changes. (The v1 call is the v2 one with the
single plan and trigger group, both overwriting.)
"""

from __future__ import annotations

import copy

from .accounts import Account
from .action_context import ActionContext
from .engine_plans import PlansApi
from .engine_triggers import TriggersApi
from .errors import NotFound, ServerError
from .store.base import JSON, Commit
from .trigger_eval import init_counters
from .triggers import ActionTrigger


class AccountsApi(PlansApi, TriggersApi):
    """Account set-up with plans and triggers (mixed into Engine)."""

    def set_account(self, tenant: str, account: str, *, allow_negative: bool | None = None,
                    disabled: bool | None = None, action_plan_ids: list[str] | None = None,
                    action_plans_overwrite: bool = False,
                    action_trigger_ids: list[str] | None = None,
                    action_triggers_overwrite: bool = False,
                    reload_scheduler: bool = False) -> Account:
        """APIerSv1/v2.SetAccount (see the module docstring); returns the account."""
        key = f"{tenant}:{account}"
        plans = self.require_plans(list(action_plan_ids or ()))
        try:
            groups = [self.trigger_group(g) for g in action_trigger_ids or ()]
        except NotFound:
            raise ServerError("NOT_FOUND") from None

        def change(acc: Account, ctx: ActionContext) -> None:
            if action_triggers_overwrite:
                acc.ActionTriggers = []
            triggers = list(acc.ActionTriggers or [])
            for group in groups:
                for at in copy.deepcopy(group):
                    if not any(_same(t, at) for t in triggers):
                        triggers.append(at)
            acc.ActionTriggers = triggers if (triggers or acc.ActionTriggers is not None) \
                else None
            init_counters(acc)
            if allow_negative is not None:
                acc.AllowNegative = allow_negative
            if disabled is not None:
                acc.Disabled = disabled

        result = self.change_account(key, change, create=True)
        if action_plans_overwrite:
            wanted = {p.Id for p in plans}
            for plan_id in self.account_plan_ids(key):
                if plan_id not in wanted:
                    self.detach(plan_id, key)
        tasks = 0
        for plan in plans:
            tasks += self.push_asap_tasks(plan, key)
            if not plan.only_asap:
                self.attach(plan.Id, key)
        if reload_scheduler and tasks:
            self.reload_scheduler()
        return result

    def remove_account(self, tenant: str, account: str, *,
                       reload_scheduler: bool = False) -> str:
        """APIerSv1.RemoveAccount: detach from every plan, then delete; NotFound if absent."""
        key = f"{tenant}:{account}"

        def txn(doc: JSON | None) -> Commit:
            if doc is None:
                raise NotFound(key)
            return Commit(None, "OK")

        self.unlink_account_plans(key)
        self.store.transact(key, txn)
        if reload_scheduler:
            self.reload_scheduler()
        return "OK"


def _same(a: ActionTrigger, b: ActionTrigger) -> bool:
    return a.ID == b.ID and a.UniqueID == b.UniqueID
