"""Engine methods for action plans: define, attach, list, run now (SPEC.md D.4, E.3).

The periodic runs themselves are ``plan_scheduler``'s; ``*asap`` timings become tasks
(``action_tasks``) that run once when the scheduler reloads (``ReloadScheduler``, the
SchedulerSv1.Reload call, or a callmeter start). Every run on an account is a
transaction with an id, so running the same due time or task twice changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from . import money
from .action_context import PartiallyExecuted
from .action_plans import (
    ACTION_TASKS,
    PLAN_ACCOUNTS,
    ActionPlan,
    PlanTimingEntry,
    member_id,
    member_prefix,
    run_txn_id,
    timing_from_api,
)
from .engine_actions import ActionsApi
from .errors import BrokenReference, Exists, MandatoryIEMissing, NotFound, ServerError
from .schedule import next_run, runs_between
from .tariffdocs import ACTION_PLANS, ACTIONS
from .timeutil import format_time, parse_api_time, to_datetime, to_ns

log = logging.getLogger(__name__)

SCHEDULER_STATE = "scheduler_state"
RELOAD_ID = "reload"


class PlansApi(ActionsApi):
    """Action plans and *asap tasks (mixed into Engine)."""

    #: called after the reload generation changed (the local scheduler rebuilds at once)
    on_scheduler_reload: Callable[[], None] | None = None

    # -- reading ---------------------------------------------------------------------------
    def load_plan(self, plan_id: str) -> ActionPlan:
        """The stored plan, or NotFound."""
        doc = self.store.get(ACTION_PLANS, plan_id)
        if doc is None:
            raise NotFound(f"action plan {plan_id}")
        return ActionPlan.from_doc(doc)

    def plan_accounts(self, plan: ActionPlan) -> list[str]:
        """Every account attached to the plan (loader's AccountIDs plus API attachments)."""
        attached = {i.split("|", 1)[1] for i in
                    self.store.list_ids(PLAN_ACCOUNTS, member_prefix(plan.Id))}
        attached.update(k for k, v in (plan.AccountIDs or {}).items() if v)
        return sorted(attached)

    def account_plan_ids(self, account_key: str) -> list[str]:
        """The plans an account is attached to."""
        out = []
        for plan_id in self.store.list_ids(ACTION_PLANS):
            doc = self.store.get(ACTION_PLANS, plan_id)
            if doc is None:
                continue
            if (doc.get("AccountIDs") or {}).get(account_key) or \
                    self.store.get(PLAN_ACCOUNTS, member_id(plan_id, account_key)) is not None:
                out.append(plan_id)
        return out

    def get_action_plans(self, plan_id: str) -> list[dict[str, Any]]:
        """APIerSv1.GetActionPlan: one plan, or all for ``""``/``*``."""
        ids = self.store.list_ids(ACTION_PLANS) if plan_id in ("", "*") else [plan_id]
        plans = [self.load_plan(i) for i in ids]
        return [p.to_json(self.plan_accounts(p)) for p in plans]

    def get_account_action_plan(self, tenant: str, account: str) -> list[dict[str, Any]]:
        """APIerSv1.GetAccountActionPlan: the account's timings and their next run."""
        now = to_datetime(self.now_ns())
        out = []
        for plan_id in self.account_plan_ids(f"{tenant}:{account}"):
            for t in self.load_plan(plan_id).ActionTimings:
                due = None if t.is_asap else next_run(t.plan_timing(), now, self.timezone)
                out.append({"ActionPlanId": plan_id, "Uuid": t.Uuid, "ActionsId": t.ActionsID,
                            "NextExecTime": format_time(None if due is None else to_ns(due))})
        return out

    def get_scheduled_actions(self, args: Mapping[str, Any]) -> list[dict[str, Any]]:
        """APIerSv1.GetScheduledActions: upcoming runs of non-asap timings, by time."""
        now = self.now_ns()
        start = self._arg_time(args.get("TimeStart"), now)
        end = self._arg_time(args.get("TimeEnd"), now)
        account = f"{args.get('Tenant') or self.default_tenant}:{args['Account']}" \
            if args.get("Account") else None
        rows = []
        for plan_id in self.store.list_ids(ACTION_PLANS):
            plan = self.load_plan(plan_id)
            accounts = self.plan_accounts(plan)
            if account is not None and account not in accounts:
                continue
            for t in plan.ActionTimings:
                due = None if t.is_asap else next_run(t.plan_timing(), to_datetime(now),
                                                      self.timezone)
                if due is None or (start and to_ns(due) < start) or (end and to_ns(due) > end):
                    continue
                rows.append({"NextRunTime": format_time(to_ns(due)), "Accounts": len(accounts),
                             "ActionPlanID": plan_id, "ActionTimingUUID": t.Uuid,
                             "ActionsID": t.ActionsID})
        rows.sort(key=lambda r: (r["NextRunTime"], r["ActionPlanID"]))
        offset = int(args.get("Offset") or 0)
        limit = int(args.get("Limit") or 0)
        return rows[offset:offset + limit] if limit else rows[offset:]

    def _arg_time(self, value: Any, now: int) -> int | None:
        if value in (None, ""):
            return None
        if isinstance(value, datetime):
            return to_ns(value)
        return parse_api_time(str(value), now, self.timezone)[0]

    # -- writing -----------------------------------------------------------------------------
    def set_action_plan(self, plan_id: str, timings: list[dict[str, Any]], *,
                        overwrite: bool = False, reload_scheduler: bool = False) -> str:
        """APIerSv1.SetActionPlan: EXISTS unless overwrite (which drops the attached
        accounts); BROKEN_REFERENCE for unknown actions; UNSUPPORTED_FORMAT for a timing."""
        if not plan_id:
            raise MandatoryIEMissing(["Id"])
        if not overwrite and self.store.get(ACTION_PLANS, plan_id) is not None:
            raise Exists(f"action plan {plan_id}")
        now = self.now_ns()
        entries = []
        for t in timings:
            actions_id = str(t.get("ActionsId") or t.get("ActionsID") or "")
            if self.store.get(ACTIONS, actions_id) is None:
                raise BrokenReference(actions_id)
            timing = timing_from_api(t, to_datetime(now, self.timezone), self.timezone)
            entries.append(PlanTimingEntry(self.new_id(), actions_id,
                                           money.to_decimal(t.get("Weight") or 0), timing,
                                           CreatedAt=now))
        self._drop_attachments(plan_id)
        self.store.put(ACTION_PLANS, plan_id, ActionPlan(plan_id, entries).to_doc())
        if reload_scheduler:
            self.reload_scheduler()
        return "OK"

    def _drop_attachments(self, plan_id: str) -> None:
        for member in self.store.list_ids(PLAN_ACCOUNTS, member_prefix(plan_id)):
            self.store.delete(PLAN_ACCOUNTS, member)

    def remove_action_plan(self, plan_id: str) -> str:
        """APIerSv1.RemoveActionPlan: the plan and its attachments."""
        self.load_plan(plan_id)
        self._drop_attachments(plan_id)
        self.store.delete(ACTION_PLANS, plan_id)
        return "OK"

    def remove_action_timing(self, plan_id: str, timing_id: str, tenant: str, account: str, *,
                             reload_scheduler: bool = False) -> str:
        """APIerSv1.RemoveActionTiming: detach an account, drop one timing, or the plan."""
        if account and not tenant:
            raise MandatoryIEMissing(["Tenant"])
        plan = self.load_plan(plan_id)
        if account:
            self.detach(plan_id, f"{tenant}:{account}")
        elif timing_id:
            plan.ActionTimings = [t for t in plan.ActionTimings if t.Uuid != timing_id]
            self.store.put(ACTION_PLANS, plan_id, plan.to_doc())
        else:
            self.remove_action_plan(plan_id)
        if reload_scheduler:
            self.reload_scheduler()
        return "OK"

    def attach(self, plan_id: str, account_key: str) -> None:
        """Attach an account to a plan (an attachment document of its own)."""
        self.store.put(PLAN_ACCOUNTS, member_id(plan_id, account_key),
                       {"Plan": plan_id, "Account": account_key})

    def detach(self, plan_id: str, account_key: str) -> None:
        """Detach an account (also from the loader's AccountIDs of the plan)."""
        self.store.delete(PLAN_ACCOUNTS, member_id(plan_id, account_key))
        doc = self.store.get(ACTION_PLANS, plan_id)
        if doc is not None and account_key in (doc.get("AccountIDs") or {}):
            ids = {k: v for k, v in doc["AccountIDs"].items() if k != account_key}
            self.store.put(ACTION_PLANS, plan_id, {**doc, "AccountIDs": ids or None})

    def unlink_account_plans(self, account_key: str) -> None:
        """Detach a (removed) account from every plan."""
        for plan_id in self.account_plan_ids(account_key):
            self.detach(plan_id, account_key)

    # -- *asap tasks and running now -----------------------------------------------------------
    def push_asap_tasks(self, plan: ActionPlan, account_key: str) -> int:
        """One task per ``*asap`` timing of the plan for the account; how many."""
        tasks = {}
        for t in plan.ActionTimings:
            if t.is_asap:
                uuid = self.new_id()
                tasks[uuid] = {"Uuid": uuid, "AccountID": account_key, "ActionsID": t.ActionsID,
                               "ActionPlanID": plan.Id, "ActionTimingUuid": t.Uuid}
        if tasks:
            self.store.put_many(ACTION_TASKS, tasks)
        return len(tasks)

    def reload_scheduler(self) -> str:
        """SchedulerSv1.Reload: run the pending *asap tasks and tell schedulers to rebuild."""
        state = self.store.get(SCHEDULER_STATE, RELOAD_ID) or {}
        self.store.put(SCHEDULER_STATE, RELOAD_ID,
                       {"Generation": int(state.get("Generation") or 0) + 1,
                        "At": self.now_ns()})
        self.run_pending_tasks()
        if self.on_scheduler_reload is not None:
            self.on_scheduler_reload()
        return "OK"

    def run_pending_tasks(self) -> int:
        """Run every queued task once (a task's id is its transaction id); how many ran."""
        ran = 0
        for task_id in self.store.list_ids(ACTION_TASKS):
            task = self.store.get(ACTION_TASKS, task_id)
            if task is None:
                continue  # another process took it
            try:
                actions = self.load_actions(str(task.get("ActionsID")))
                if task.get("AccountID"):
                    self.run_actions(str(task["AccountID"]), actions, txn_id=f"task:{task_id}")
                else:
                    self.run_accountless(actions)
                ran += 1
            except (NotFound, PartiallyExecuted) as exc:
                log.error("task %s (%s on %s) dropped: %s", task_id, task.get("ActionsID"),
                          task.get("AccountID") or "no account", exc.detail or exc)
            self.store.delete(ACTION_TASKS, task_id)
        return ran

    def execute_action_plans(self, plan_ids: list[str], tenant: str, account: str) -> str:
        """APIerSv1.ExecuteActionPlans: every timing of the plans now, on the account or on
        every attached one."""
        for plan_id in plan_ids:
            plan = self.load_plan(plan_id)
            keys = [f"{tenant or self.default_tenant}:{account}"] if account \
                else self.plan_accounts(plan)
            for t in plan.ActionTimings:
                actions = self.load_actions(t.ActionsID)
                for key in keys:
                    self.run_actions(key, actions)
        return "OK"

    def execute_scheduled_actions(self, plan_id: str, time_start: datetime | None,
                                  time_end: datetime | None) -> str:
        """SchedulerSv1.ExecuteActions: the plan's due times in [start, end] (with the
        scheduler's transaction ids, so runs it already made are not repeated); without
        a window, every timing now."""
        plan = self.load_plan(plan_id)
        accounts = self.plan_accounts(plan)
        for t in plan.ActionTimings:
            actions = self.load_actions(t.ActionsID)
            if time_start is None or time_end is None or t.is_asap:
                for key in accounts:
                    self.run_actions(key, actions)
                continue
            start = time_start - timedelta(seconds=1)  # runs_between excludes its start
            for due in runs_between(t.plan_timing(), start, time_end, self.timezone):
                for key in accounts:
                    self.run_actions(key, actions,
                                     txn_id=run_txn_id(plan_id, t.Uuid, to_ns(due)))
        return "OK"

    def require_plans(self, plan_ids: list[str]) -> list[ActionPlan]:
        """The named plans (SERVER_ERROR: NOT_FOUND for a missing one, as SetAccount says)."""
        plans = []
        for plan_id in plan_ids:
            doc = self.store.get(ACTION_PLANS, plan_id)
            if doc is None:
                raise ServerError("NOT_FOUND")
            plans.append(ActionPlan.from_doc(doc))
        return plans
