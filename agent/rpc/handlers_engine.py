"""Handlers that call the engine: each turns validated arguments into one EngineApi call.

They hold no logic beyond naming: which engine method, which arguments, which reply
shape (``views``). Errors are the engine's; the dispatcher maps them (SPEC E.2).
"""

from __future__ import annotations

import os
from typing import Any

from . import views
from .context import CallContext
from .errors import RpcError, mandatory_missing
from .schema import Args

INVALID_PATH = "INVALID_PATH"


def _flag(options: dict[str, bool] | None, legacy: bool | None, name: str) -> bool | None:
    if options and name in options:
        return options[name]
    return legacy


# -- Responder -------------------------------------------------------------------------

def get_cost(ctx: CallContext, cd: Args) -> Any:
    return ctx.require_engine().get_cost(dict(cd))


def debit(ctx: CallContext, cd: Args) -> Any:
    return ctx.require_engine().debit(dict(cd))


def max_debit(ctx: CallContext, cd: Args) -> Any:
    return ctx.require_engine().max_debit(dict(cd))


def max_session_time(ctx: CallContext, cd: Args) -> int:
    return ctx.require_engine().max_session_time(dict(cd))


def refund_increments(ctx: CallContext, cd: Args) -> Any:
    return ctx.require_engine().refund_increments(dict(cd))


def refund_rounding(ctx: CallContext, cd: Args) -> int:
    ctx.require_engine().refund_rounding(dict(cd))
    return 0  # v0.10's reply is a float64 the method never sets


# -- accounts ----------------------------------------------------------------------------

def get_account_v2(ctx: CallContext, a: Args) -> Any:
    return ctx.require_engine().get_account(a["Tenant"], a["Account"])


def get_account_v1(ctx: CallContext, a: Args) -> Any:
    return views.account_v1(get_account_v2(ctx, a))


def set_account_v1(ctx: CallContext, a: Args) -> str:
    options = a["ExtraOptions"]
    ctx.require_engine().set_account(
        a["Tenant"], a["Account"],
        allow_negative=_flag(options, a["AllowNegative"], "AllowNegative"),
        disabled=_flag(options, a["Disabled"], "Disabled"),
        action_plan_ids=[a["ActionPlanID"]] if a["ActionPlanID"] else None,
        action_plans_overwrite=True,
        action_trigger_ids=[a["ActionTriggersID"]] if a["ActionTriggersID"] else None,
        action_triggers_overwrite=True,
        reload_scheduler=bool(a["ReloadScheduler"]))
    return "OK"


def set_account_v2(ctx: CallContext, a: Args) -> str:
    options = a["ExtraOptions"]
    ctx.require_engine().set_account(
        a["Tenant"], a["Account"],
        allow_negative=_flag(options, a["AllowNegative"], "AllowNegative"),
        disabled=_flag(options, a["Disabled"], "Disabled"),
        action_plan_ids=a["ActionPlanIDs"],
        action_plans_overwrite=bool(a["ActionPlansOverwrite"]),
        action_trigger_ids=a["ActionTriggerIDs"],
        action_triggers_overwrite=bool(a["ActionTriggerOverwrite"]),
        reload_scheduler=bool(a["ReloadScheduler"]))
    return "OK"


def _accounts(ctx: CallContext, a: Args) -> list[Any]:
    flags = a["Filter"] or {}
    return ctx.require_engine().list_accounts(
        a["Tenant"], list(a["AccountIDs"] or []), a["Offset"] or 0, a["Limit"] or 0,
        allow_negative=flags.get("AllowNegative"), disabled=flags.get("Disabled"))


def get_accounts_v2(ctx: CallContext, a: Args) -> list[Any] | None:
    return _accounts(ctx, a) or None  # an empty answer is null in CGRateS


def get_accounts_v1(ctx: CallContext, a: Args) -> list[Any] | None:
    return [views.account_v1(acc) for acc in _accounts(ctx, a)] or None


def get_accounts_count(ctx: CallContext, a: Args) -> int:
    return ctx.require_engine().count_accounts(a["Tenant"])


def remove_account(ctx: CallContext, a: Args) -> str:
    ctx.require_engine().remove_account(a["Tenant"], a["Account"],
                                        reload_scheduler=bool(a["ReloadScheduler"]))
    return "OK"


# -- balances ----------------------------------------------------------------------------

def _balance_action(ctx: CallContext, a: Args, action: str) -> str:
    value = abs(a["Value"]) if a["Value"] is not None else None
    balance = {k: v for k, v in (a["Balance"] or {}).items() if v is not None}
    ctx.require_engine().balance_action(
        action, a["Tenant"], a["Account"], a["BalanceType"], value, balance,
        extra_data=a["ActionExtraData"], cdrlog=bool(a["Cdrlog"]))
    return "OK"


def set_balance(ctx: CallContext, a: Args) -> str:
    return _balance_action(ctx, a, "*set_balance")


def add_balance(ctx: CallContext, a: Args) -> str:
    return _balance_action(ctx, a, "*topup_reset" if a["Overwrite"] else "*topup")


def debit_balance(ctx: CallContext, a: Args) -> str:
    return _balance_action(ctx, a, "*debit_reset" if a["Overwrite"] else "*debit")


def remove_balances(ctx: CallContext, a: Args) -> str:
    return _balance_action(ctx, a, "*remove_balance")


# -- actions and plans ---------------------------------------------------------------------

def set_actions(ctx: CallContext, a: Args) -> str:
    actions = [dict(action) for action in a["Actions"]]
    ctx.require_engine().set_actions(a["ActionsId"], actions, overwrite=bool(a["Overwrite"]))
    return "OK"


def get_actions_v1(ctx: CallContext, actions_id: str) -> list[Any]:
    return ctx.require_engine().get_tp_actions(actions_id)


def get_actions_v2(ctx: CallContext, a: Args) -> dict[str, Any]:
    return ctx.require_engine().get_actions(a["ActionIDs"], a["Offset"], a["Limit"])


def remove_actions(ctx: CallContext, a: Args) -> str:
    ctx.require_engine().remove_actions(a["ActionIDs"])
    return "OK"


def execute_action(ctx: CallContext, a: Args) -> str:
    ctx.require_engine().execute_action(a["Tenant"] or "", a["Account"] or "", a["ActionsId"])
    return "OK"


def set_action_plan(ctx: CallContext, a: Args) -> str:
    ctx.require_engine().set_action_plan(
        a["Id"], [dict(t) for t in a["ActionPlan"]], overwrite=bool(a["Overwrite"]),
        reload_scheduler=bool(a["ReloadScheduler"]))
    return "OK"


def get_action_plan(ctx: CallContext, a: Args) -> list[Any]:
    return ctx.require_engine().get_action_plans(a["ID"] or "")


def remove_action_plan(ctx: CallContext, a: Args) -> str:
    ctx.require_engine().remove_action_plan(a["ID"])
    return "OK"


def remove_action_timing(ctx: CallContext, a: Args) -> str:
    ctx.require_engine().remove_action_timing(
        a["ActionPlanId"], a["ActionTimingId"] or "", a["Tenant"] or "", a["Account"] or "",
        reload_scheduler=bool(a["ReloadScheduler"]))
    return "OK"


def get_account_action_plan(ctx: CallContext, a: Args) -> list[Any]:
    return ctx.require_engine().get_account_action_plan(a["Tenant"], a["Account"])


def get_scheduled_actions(ctx: CallContext, a: Args) -> list[Any]:
    return ctx.require_engine().get_scheduled_actions(dict(a))


def reload_scheduler(ctx: CallContext, a: Any) -> str:
    ctx.require_engine().reload_scheduler()
    return "OK"


def execute_action_plans(ctx: CallContext, a: Args) -> str:
    ctx.require_engine().execute_action_plans(a["ActionPlanIDs"], a["Tenant"] or "",
                                              a["AccountID"] or "")
    return "OK"


def execute_scheduled_actions(ctx: CallContext, a: Args) -> str:
    ctx.require_engine().execute_scheduled_actions(a["ActionPlanID"], a["TimeStart"],
                                                   a["TimeEnd"])
    return "OK"


# -- triggers -----------------------------------------------------------------------------

def _trigger(a: Args) -> dict[str, Any]:
    return {k: v for k, v in (a["ActionTrigger"] or {}).items() if v is not None}


def set_account_action_triggers(ctx: CallContext, a: Args) -> str:
    ctx.require_engine().set_account_action_triggers(
        a["Tenant"], a["Account"], a["GroupID"] or "", a["UniqueID"] or "", _trigger(a))
    return "OK"


def add_account_action_triggers(ctx: CallContext, a: Args) -> str:
    ctx.require_engine().add_account_action_triggers(
        a["Tenant"], a["Account"], list(a["ActionTriggerIDs"] or []),
        overwrite=bool(a["ActionTriggerOverwrite"]), activation_date=a["ActivationDate"] or "",
        executed=bool(a["Executed"]))
    return "OK"


def get_account_action_triggers(ctx: CallContext, a: Args) -> list[Any]:
    return ctx.require_engine().get_account_action_triggers(a["Tenant"], a["Account"]) or []


def reset_account_action_triggers(ctx: CallContext, a: Args) -> str:
    ctx.require_engine().reset_account_action_triggers(
        a["Tenant"], a["Account"], a["GroupID"] or "", a["UniqueID"] or "", bool(a["Executed"]))
    return "OK"


def remove_account_action_triggers(ctx: CallContext, a: Args) -> str:
    ctx.require_engine().remove_account_action_triggers(
        a["Tenant"], a["Account"], a["GroupID"] or "", a["UniqueID"] or "")
    return "OK"


def set_action_trigger(ctx: CallContext, a: Args) -> str:
    ctx.require_engine().set_action_trigger(a["GroupID"], a["UniqueID"] or "", _trigger(a))
    return "OK"


def get_action_triggers(ctx: CallContext, a: Args) -> list[Any]:
    return ctx.require_engine().get_action_triggers(a["GroupIDs"])


def remove_action_trigger(ctx: CallContext, a: Args) -> str:
    ctx.require_engine().remove_action_trigger(a["GroupID"], a["UniqueID"] or "")
    return "OK"


def add_triggered_action(ctx: CallContext, a: Args) -> str:
    ctx.require_engine().add_triggered_action({k: v for k, v in a.items() if v is not None})
    return "OK"


# -- tariff plans and rating data ---------------------------------------------------------

def _existing_folder(path: str) -> str:
    """LoadTariffPlanFromFolder's own check: a missing path or a file is INVALID_PATH."""
    if not os.path.isdir(path):
        raise RpcError(INVALID_PATH)
    return path


def load_folder(ctx: CallContext, a: Args) -> str:
    ctx.require_engine().load_folder(_existing_folder(a["FolderPath"]), dry_run=bool(a["DryRun"]))
    return "OK"


def load_folder_v2(ctx: CallContext, a: Args) -> Any:
    return ctx.require_engine().load_folder(_existing_folder(a["FolderPath"]),
                                            dry_run=bool(a["DryRun"]))


def load_tp(ctx: CallContext, a: Args) -> str:
    ctx.require_engine().load_tp(a["TPid"], dry_run=bool(a["DryRun"]))
    return "OK"


def import_tp_folder(ctx: CallContext, a: Args) -> str:
    ctx.require_engine().import_tp_folder(a["TPid"], _existing_folder(a["FolderPath"]),
                                          a["CsvSeparator"] or ",", a["RunId"] or "")
    return "OK"


def export_tp_folder(ctx: CallContext, a: Args) -> Any:
    """ExportedTPStats. CGRateS defaults the folder to its tpexport_dir; we ask for it."""
    if not a["ExportPath"]:
        raise mandatory_missing(["ExportPath"])
    return ctx.require_engine().export_tp_folder(
        a["TPid"], a["ExportPath"], a["FieldSeparator"] or ",", a["FileFormat"] or "csv",
        bool(a["Compress"]))


def set_destination(ctx: CallContext, a: Args) -> str:
    ctx.require_engine().set_destination(a["Id"], list(a["Prefixes"]), bool(a["Overwrite"]))
    return "OK"


def get_destination(ctx: CallContext, dest_id: str | None) -> Any:
    return ctx.require_engine().get_destination(dest_id or "")


def get_rating_plan(ctx: CallContext, plan_id: str | None) -> Any:
    return ctx.require_engine().get_rating_plan(plan_id or "")


def set_rating_profile(ctx: CallContext, a: Args) -> str:
    ctx.require_engine().set_rating_profile(
        a["Tenant"], a["Category"], a["Subject"],
        [dict(act) for act in a["RatingPlanActivations"]], bool(a["Overwrite"]))
    return "OK"


def get_rating_profile(ctx: CallContext, a: Args) -> Any:
    return ctx.require_engine().get_rating_profile(a["Tenant"], a["Category"], a["Subject"])


def api_get_cost(ctx: CallContext, a: Args) -> Any:
    return ctx.require_engine().api_get_cost(
        a["Tenant"] or ctx.default_tenant, a["Category"] or "", a["Subject"] or "",
        a["AnswerTime"] or "", a["Destination"] or "", a["Usage"] or 0)


def get_max_usage(ctx: CallContext, a: Args) -> int:
    return ctx.require_engine().max_usage(dict(a))


def debit_usage(ctx: CallContext, a: Args) -> str:
    ctx.require_engine().debit_usage(dict(a))
    return "OK"


def debit_usage_with_options(ctx: CallContext, a: Args) -> str:
    allow = a["AllowNegativeAccount"]
    ctx.require_engine().debit_usage(dict(a["UsageRecord"]),
                                     allow_negative=True if allow is None else allow)
    return "OK"


# -- CDRs -----------------------------------------------------------------------------------

def get_cdrs_v1(ctx: CallContext, a: Args) -> list[Any]:
    return ctx.require_engine().get_cdrs(dict(a), v1=True)


def get_cdrs_v2(ctx: CallContext, a: Args) -> list[Any]:
    return ctx.require_engine().get_cdrs(dict(a))


def count_cdrs(ctx: CallContext, a: Args) -> int:
    return ctx.require_engine().count_cdrs(dict(a))


def get_event_cost(ctx: CallContext, a: Args) -> Any:
    return ctx.require_engine().get_event_cost(a["CgrId"], a["RunId"] or "*default")


def process_cdr(ctx: CallContext, a: Args) -> str:
    ctx.require_engine().process_cdr(dict(a))
    return "OK"
