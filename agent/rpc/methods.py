"""THE method table: every service, every method, its schema and its handler, in one place.

Rows read ``(method, schema, handler, needs, wraps)``: ``needs`` says what the handler
uses ("engine", "store", "sessions" or nothing) and ``wraps`` whether domain errors are
answered as ``SERVER_ERROR: <text>`` (CGRateS's APIErrorHandler) rather than bare.
Services embed others the way CGRateS's Go types do: APIerSv2 embeds APIerSv1, CDRsV2
embeds CDRsV1.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import handlers_core as core
from . import handlers_engine as eng
from . import schemas_accounts as acc
from . import schemas_calls as calls
from .methods_legacy import install as install_legacy
from .schema import ANY, STR, Scalar, Type
from .schemas_tp import EXPORT_SCHEMA
from .table import Handler, Method, MethodTable, Service
from .tp import tp_methods

Row = tuple[str, Type, Handler, str, bool]
E, S, W = "engine", "sessions", True  # shorthands for the table

APIER_V1: list[Row] = [
    ("Ping", ANY, core.ping, "", False),
    ("SetAccount", acc.SET_ACCOUNT_V1, eng.set_account_v1, E, W),
    ("GetAccount", acc.TENANT_ACCOUNT, eng.get_account_v1, E, False),
    ("GetAccounts", acc.GET_ACCOUNTS, eng.get_accounts_v1, E, False),
    ("GetAccountsCount", acc.TENANT, eng.get_accounts_count, E, False),
    ("RemoveAccount", acc.REMOVE_ACCOUNT, eng.remove_account, E, W),
    ("SetBalance", acc.SET_BALANCE, eng.set_balance, E, W),
    ("AddBalance", acc.ADD_BALANCE, eng.add_balance, E, W),
    ("DebitBalance", acc.ADD_BALANCE, eng.debit_balance, E, W),
    ("RemoveBalances", acc.REMOVE_BALANCES, eng.remove_balances, E, W),
    ("SetActions", acc.SET_ACTIONS_V1, eng.set_actions, E, False),
    ("GetActions", Scalar(STR, "ActionsId"), eng.get_actions_v1, E, False),
    ("RemoveActions", acc.REMOVE_ACTIONS, eng.remove_actions, E, False),
    ("ExecuteAction", acc.EXECUTE_ACTION, eng.execute_action, E, W),
    ("SetActionPlan", acc.SET_ACTION_PLAN, eng.set_action_plan, E, False),
    ("GetActionPlan", acc.GET_ACTION_PLAN, eng.get_action_plan, E, False),
    ("RemoveActionPlan", acc.REMOVE_ACTION_PLAN, eng.remove_action_plan, E, W),
    ("RemoveActionTiming", acc.REMOVE_ACTION_TIMING, eng.remove_action_timing, E, W),
    ("GetAccountActionPlan", acc.TENANT_ACCOUNT, eng.get_account_action_plan, E, False),
    ("GetScheduledActions", acc.GET_SCHEDULED_ACTIONS, eng.get_scheduled_actions, E, False),
    ("ReloadScheduler", ANY, eng.reload_scheduler, E, False),
    ("SetAccountActionTriggers", acc.SET_ACCOUNT_ACTION_TRIGGERS,
     eng.set_account_action_triggers, E, False),
    ("AddAccountActionTriggers", acc.ADD_ACCOUNT_ACTION_TRIGGERS,
     eng.add_account_action_triggers, E, False),
    ("GetAccountActionTriggers", acc.TENANT_ACCOUNT, eng.get_account_action_triggers, E, False),
    ("ResetAccountActionTriggers", acc.RESET_ACCOUNT_ACTION_TRIGGERS,
     eng.reset_account_action_triggers, E, False),
    ("RemoveAccountActionTriggers", acc.REMOVE_ACCOUNT_ACTION_TRIGGERS,
     eng.remove_account_action_triggers, E, False),
    ("SetActionTrigger", acc.SET_ACTION_TRIGGER, eng.set_action_trigger, E, False),
    ("GetActionTriggers", acc.GET_ACTION_TRIGGERS, eng.get_action_triggers, E, False),
    ("RemoveActionTrigger", acc.REMOVE_ACTION_TRIGGER, eng.remove_action_trigger, E, False),
    ("AddTriggeredAction", acc.ADD_TRIGGERED_ACTION, eng.add_triggered_action, E, False),
    ("LoadTariffPlanFromFolder", calls.LOAD_FROM_FOLDER, eng.load_folder, E, False),
    ("LoadTariffPlanFromStorDb", calls.LOAD_FROM_STORDB, eng.load_tp, E, W),
    ("ImportTariffPlanFromFolder", calls.IMPORT_FROM_FOLDER, eng.import_tp_folder, E, W),
    ("ExportTPToFolder", EXPORT_SCHEMA, eng.export_tp_folder, E, W),
    ("SetDestination", calls.SET_DESTINATION, eng.set_destination, E, False),
    ("GetDestination", calls.ID_TEXT_OPTIONAL, eng.get_destination, E, False),
    ("GetRatingPlan", calls.ID_TEXT_OPTIONAL, eng.get_rating_plan, E, False),
    ("SetRatingProfile", calls.SET_RATING_PROFILE, eng.set_rating_profile, E, False),
    ("GetRatingProfile", calls.GET_RATING_PROFILE, eng.get_rating_profile, E, False),
    ("GetCost", calls.API_GET_COST, eng.api_get_cost, E, W),
    ("GetMaxUsage", calls.USAGE_RECORD, eng.get_max_usage, E, W),
    ("DebitUsage", calls.USAGE_RECORD, eng.debit_usage, E, W),
    ("DebitUsageWithOptions", calls.DEBIT_USAGE_WITH_OPTIONS, eng.debit_usage_with_options, E, W),
    ("GetCDRs", calls.GET_CDRS_V1, eng.get_cdrs_v1, E, W),
    ("GetEventCost", calls.GET_EVENT_COST, eng.get_event_cost, E, False),
]

APIER_V2: list[Row] = [
    ("SetAccount", acc.SET_ACCOUNT_V2, eng.set_account_v2, E, W),
    ("GetAccount", acc.TENANT_ACCOUNT, eng.get_account_v2, E, False),
    ("GetAccounts", acc.GET_ACCOUNTS, eng.get_accounts_v2, E, False),
    ("SetActions", acc.SET_ACTIONS_V2, eng.set_actions, E, False),
    ("GetActions", acc.GET_ACTIONS_V2, eng.get_actions_v2, E, False),
    ("LoadTariffPlanFromFolder", calls.LOAD_FROM_FOLDER, eng.load_folder_v2, E, False),
    ("GetCDRs", calls.GET_CDRS_V2, eng.get_cdrs_v2, E, W),
]

RESPONDER: list[Row] = [
    ("Ping", ANY, core.ping, "", False),
    ("GetCost", calls.CALL_DESCRIPTOR, eng.get_cost, E, False),
    ("Debit", calls.CALL_DESCRIPTOR, eng.debit, E, False),
    ("MaxDebit", calls.CALL_DESCRIPTOR, eng.max_debit, E, False),
    ("GetMaxSessionTime", calls.CALL_DESCRIPTOR, eng.max_session_time, E, False),
    ("RefundIncrements", calls.CALL_DESCRIPTOR, eng.refund_increments, E, False),
    ("RefundRounding", calls.CALL_DESCRIPTOR, eng.refund_rounding, E, False),
]

SESSIONS_V1: list[Row] = [
    ("Ping", ANY, core.ping, "", False),
    ("GetActiveSessions", calls.SESSION_FILTER, core.active_sessions, S, False),
    ("GetActiveSessionsCount", calls.SESSION_FILTER, core.active_sessions_count, S, False),
    ("GetPassiveSessions", calls.SESSION_FILTER, core.passive_sessions, S, False),
    ("GetPassiveSessionsCount", calls.SESSION_FILTER, core.passive_sessions_count, S, False),
    ("ForceDisconnect", calls.SESSION_FILTER, core.force_disconnect, S, False),
    ("SyncSessions", ANY, core.sync_sessions, S, False),
]

CDRS_V1: list[Row] = [
    ("Ping", ANY, core.ping, "", False),
    ("GetCDRs", calls.GET_CDRS_V2, eng.get_cdrs_v2, E, False),
    ("GetCDRsCount", calls.GET_CDRS_V2, eng.count_cdrs, E, False),
    ("ProcessCDR", calls.CDR, eng.process_cdr, E, False),
]

CORE_V1: list[Row] = [
    ("Ping", ANY, core.ping, "", False),
    ("Status", calls.STATUS, core.status, "", False),
    ("Auth", calls.AUTH, core.auth, "", False),
]

SCHEDULER_V1: list[Row] = [
    ("Ping", ANY, core.ping, "", False),
    ("Reload", ANY, eng.reload_scheduler, E, False),
    ("ExecuteActions", calls.EXECUTE_SCHEDULED_ACTIONS, eng.execute_scheduled_actions, E, False),
    ("ExecuteActionPlans", calls.EXECUTE_ACTION_PLANS, eng.execute_action_plans, E, False),
]

# callmeter keeps no caches in front of the store: these succeed with nothing to do.
CACHE_V1: list[Row] = [
    ("Ping", ANY, core.ping, "", False),
    *((name, calls.CACHE_IDS, core.ok, "", False)
      for name in ("Clear", "FlushCache", "ReloadCache", "LoadCache")),
    ("GetCacheStats", calls.CACHE_IDS, core.cache_stats, "", False),
]


def _service(name: str, rows: Iterable[Row], aliases: tuple[str, ...] = (),
             embeds: Service | None = None, extra: Iterable[Method] = ()) -> Service:
    service = Service(name, aliases, embeds)
    for method, schema, handler, needs, wraps in rows:
        service.add(Method(method, schema, handler, wrap_errors=wraps, needs=needs))
    for method_obj in extra:
        service.add(method_obj)
    return service


def build_table() -> MethodTable:
    """The services callmeter answers, under CGRateS v0.10's names and aliases."""
    apier_v1 = _service("APIerSv1", APIER_V1, ("ApierV1",), extra=tp_methods())
    cdrs_v1 = _service("CDRsV1", CDRS_V1)
    return install_legacy(MethodTable([  # the 2012/2013 API: agent/rpc/methods_legacy.py
        apier_v1,
        _service("APIerSv2", APIER_V2, ("ApierV2",), embeds=apier_v1),
        _service("Responder", RESPONDER),
        _service("SessionSv1", SESSIONS_V1),
        cdrs_v1,
        _service("CDRsV2", [], embeds=cdrs_v1),
        _service("CoreSv1", CORE_V1),
        _service("SchedulerSv1", SCHEDULER_V1),
        _service("CacheSv1", CACHE_V1),
    ]))


def methods_needing(table: MethodTable, needs: str) -> list[str]:
    """Canonical names of the methods whose handler uses ``needs`` (e.g. "engine")."""
    result: list[Any] = []
    for service in table.services():
        result += [f"{service.name}.{name}" for name, m in service.methods.items()
                   if m.needs == needs]
    return sorted(result)
