"""The EngineApi calls of actions, action plans, the scheduler, triggers, balances and CDRs.

They belong to the actions engine (rating/actions, scheduler, CDRs), which implements them
under the EngineApi names and signatures. Each call is passed on to the Engine method of
the same name; while the Engine has no such method the call answers ``NOT_IMPLEMENTED``
and changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from .errors import NOT_IMPLEMENTED, RpcError


class ActionsDelegation:
    """Mixin of EngineAdapter: passes the actions-family calls on to ``self.engine``."""

    engine: Any

    def _delegate(self, name: str, *args: Any, **kwargs: Any) -> Any:
        method = getattr(self.engine, name, None)
        if method is None:
            raise RpcError(NOT_IMPLEMENTED)
        return method(*args, **kwargs)

    # -- balances ---------------------------------------------------------------------------
    def balance_action(self, action: str, tenant: str, account: str, balance_type: str,
                       value: Decimal | None, balance: dict[str, Any], *,
                       extra_data: Any = None, cdrlog: bool = False) -> Any:
        return self._delegate("balance_action", action, tenant, account, balance_type, value,
                              balance, extra_data=extra_data, cdrlog=cdrlog)

    # -- actions ----------------------------------------------------------------------------
    def set_actions(self, actions_id: str, actions: list[dict[str, Any]], *,
                    overwrite: bool = False) -> Any:
        return self._delegate("set_actions", actions_id, actions, overwrite=overwrite)

    def get_actions(self, actions_ids: list[str] | None, offset: int | None,
                    limit: int | None) -> Any:
        return self._delegate("get_actions", actions_ids, offset, limit)

    def get_tp_actions(self, actions_id: str) -> Any:
        return self._delegate("get_tp_actions", actions_id)

    def remove_actions(self, actions_ids: list[str] | None) -> Any:
        return self._delegate("remove_actions", actions_ids)

    def execute_action(self, tenant: str, account: str, actions_id: str) -> Any:
        return self._delegate("execute_action", tenant, account, actions_id)

    # -- action plans and the scheduler -------------------------------------------------------
    def set_action_plan(self, plan_id: str, timings: list[dict[str, Any]], *,
                        overwrite: bool = False, reload_scheduler: bool = False) -> Any:
        return self._delegate("set_action_plan", plan_id, timings, overwrite=overwrite,
                              reload_scheduler=reload_scheduler)

    def get_action_plans(self, plan_id: str) -> Any:
        return self._delegate("get_action_plans", plan_id)

    def remove_action_plan(self, plan_id: str) -> Any:
        return self._delegate("remove_action_plan", plan_id)

    def remove_action_timing(self, plan_id: str, timing_id: str, tenant: str, account: str, *,
                             reload_scheduler: bool = False) -> Any:
        return self._delegate("remove_action_timing", plan_id, timing_id, tenant, account,
                              reload_scheduler=reload_scheduler)

    def get_account_action_plan(self, tenant: str, account: str) -> Any:
        return self._delegate("get_account_action_plan", tenant, account)

    def get_scheduled_actions(self, args: dict[str, Any]) -> Any:
        return self._delegate("get_scheduled_actions", args)

    def reload_scheduler(self) -> Any:
        return self._delegate("reload_scheduler")

    def execute_action_plans(self, plan_ids: list[str], tenant: str, account: str) -> Any:
        return self._delegate("execute_action_plans", plan_ids, tenant, account)

    def execute_scheduled_actions(self, plan_id: str, time_start: datetime | None,
                                  time_end: datetime | None) -> Any:
        return self._delegate("execute_scheduled_actions", plan_id, time_start, time_end)

    # -- action triggers ----------------------------------------------------------------------
    def set_account_action_triggers(self, tenant: str, account: str, group_id: str,
                                    unique_id: str, trigger: dict[str, Any]) -> Any:
        return self._delegate("set_account_action_triggers", tenant, account, group_id,
                              unique_id, trigger)

    def add_account_action_triggers(self, tenant: str, account: str, trigger_ids: list[str], *,
                                    overwrite: bool = False, activation_date: str = "",
                                    executed: bool = False) -> Any:
        return self._delegate("add_account_action_triggers", tenant, account, trigger_ids,
                              overwrite=overwrite, activation_date=activation_date,
                              executed=executed)

    def get_account_action_triggers(self, tenant: str, account: str) -> Any:
        return self._delegate("get_account_action_triggers", tenant, account)

    def reset_account_action_triggers(self, tenant: str, account: str, group_id: str,
                                      unique_id: str, executed: bool) -> Any:
        return self._delegate("reset_account_action_triggers", tenant, account, group_id,
                              unique_id, executed)

    def remove_account_action_triggers(self, tenant: str, account: str, group_id: str,
                                       unique_id: str) -> Any:
        return self._delegate("remove_account_action_triggers", tenant, account, group_id,
                              unique_id)

    def set_action_trigger(self, group_id: str, unique_id: str, trigger: dict[str, Any]) -> Any:
        return self._delegate("set_action_trigger", group_id, unique_id, trigger)

    def get_action_triggers(self, group_ids: list[str] | None) -> Any:
        return self._delegate("get_action_triggers", group_ids)

    def remove_action_trigger(self, group_id: str, unique_id: str) -> Any:
        return self._delegate("remove_action_trigger", group_id, unique_id)

    def add_triggered_action(self, args: dict[str, Any]) -> Any:
        return self._delegate("add_triggered_action", args)

    # -- CDRs ---------------------------------------------------------------------------------
    def get_cdrs(self, cdr_filter: dict[str, Any], v1: bool = False) -> Any:
        return self._delegate("get_cdrs", cdr_filter, v1=v1)

    def count_cdrs(self, cdr_filter: dict[str, Any]) -> Any:
        return self._delegate("count_cdrs", cdr_filter)

    def get_event_cost(self, cgr_id: str, run_id: str) -> Any:
        return self._delegate("get_cdr_event_cost", cgr_id, run_id)

    def process_cdr(self, cdr: dict[str, Any]) -> Any:
        return self._delegate("process_cdr", cdr)
