"""Reading the action-side tariff-plan files: Actions, ActionPlans, ActionTriggers,
AccountActions, SharedGroups (SPEC.md F, D).

Documents are stored in CGRateS's DataDB shapes so the actions layer can run them:

- actions/<ID>          {"ID", "Actions": [{"Id", "ActionType", "ExtraParameters", "Filter",
                         "ExpirationString", "Weight", "Balance": BalanceFilter JSON}]}
                         (Balance.Value = {"Method": "", "Params": null, "Static": units};
                         ``*voice`` units in ns; TimingIDs only, Timings resolved when run)
- action_plans/<ID>     {"Id", "AccountIDs": {"tenant:acc": true} | null, "ActionTimings":
                         [{"Uuid", "TimingID", "Timing": {"Timing": RITiming JSON},
                         "ActionsID", "Weight"}]}
- action_triggers/<ID>  {"ID", "ActionTriggers": [ActionTrigger JSON]}
- shared_groups/<ID>    {"Id", "AccountParameters": {acc: {"Strategy", "RatingSubject"}},
                         "MemberIds": null}
- account_actions/<tenant:account>  {"Tenant", "Account", "ActionPlanId",
                         "ActionTriggersId", "AllowNegative", "Disabled"}
"""

from __future__ import annotations

from typing import Any

from . import money
from .tariffdocs import ACCOUNT_ACTIONS, ACTION_PLANS, ACTION_TRIGGERS, ACTIONS, SHARED_GROUPS
from .timeutil import TimeFormatError, parse_api_time, parse_duration_ns, parse_go_duration
from .tpplan import ANY, ParseContext, Row, TariffPlan, string_map
from .triggers import ActionTrigger, BalanceFilter, time_from_json

ACTION_TYPES = frozenset((
    "*log", "*reset_triggers", "*set_recurrent", "*unset_recurrent", "*allow_negative",
    "*deny_negative", "*reset_account", "*topup_reset", "*topup", "*debit_reset", "*debit",
    "*topup_zero_negative", "*reset_counters", "*enable_account", "*disable_account",
    "*set_balance", "*remove_balance", "*remove_expired", "*set_expiry",
    "*transfer_monetary_default", "*remove_account", "*cdrlog", "*http_post",
    "*http_post_async", "*mail_async", "*cgr_rpc", "*set_ddestinations", "*publish_account",
    "*publish_balance", "*amqp_json_map", "*amqpv1_json_map", "*sqs_json_map",
    "*kafka_json_map", "*s3_json_map", "*remove_session_costs", "*post_event", "*cdr_account"))
THRESHOLD_TYPES = frozenset((
    "*min_balance", "*max_balance", "*balance_expired", "*min_event_counter",
    "*max_event_counter", "*max_balance_counter", "*min_balance_counter"))
BALANCE_TYPES = frozenset(("*monetary", "*voice", "*data", "*sms", "*mms", "*generic"))
SHARED_STRATEGIES = frozenset(("*lowest", "*highest", "*random", "*mine_lowest",
                               "*mine_highest", "*mine_random", "*balance"))


def _opt(value: str) -> str | None:
    return None if value in ("", ANY) else value


def check_expiry(row: Row, column: int, ctx: ParseContext) -> str:
    """An ExpiryTime as actions accept it (resolved when the action runs)."""
    value = row.text(column)
    if value in ("", "*unlimited", "*daily", "*monthly", "*yearly", "*now"):
        return value
    if value.startswith("*mo") or value.startswith("*month_end"):
        extra = value.partition("+")[2]
        try:
            if extra:
                parse_go_duration(extra)
            return value
        except TimeFormatError:
            pass
    else:
        try:
            parse_api_time(value, ctx.now_ns, ctx.timezone)
            return value
        except TimeFormatError:
            pass
    row.error(column, f"ExpiryTime {value!r} is not a time or *unlimited/*daily/*monthly/"
                      "*yearly/*month_end")
    return value


def _units(row: Row, column: int, balance_type: str) -> dict[str, Any] | None:
    value = row.text(column)
    if value in ("", ANY):
        return None
    if balance_type == "*voice":
        try:
            static = money.to_str(money.to_decimal(parse_duration_ns(value)))
        except TimeFormatError:
            row.error(column, f"Units {value!r} is not a duration")
            return None
    else:
        number = row.decimal(column, "Units")
        if number is None:
            return None
        static = money.to_str(number)
    return {"Method": "", "Params": None, "Static": static}


def parse_action(plan: TariffPlan, row: Row, ctx: ParseContext) -> None:
    """``ActionsId, Action, ExtraParameters, Filter, BalanceId, BalanceType, Categories,
    DestinationIds, RatingSubject, SharedGroup, ExpiryTime, TimingIds, Units, BalanceWeight,
    BalanceBlocker, BalanceDisabled, Weight``."""
    actions_id = row.required(1, "ActionsId")
    action_type = row.required(2, "Action")
    if action_type and action_type not in ACTION_TYPES:
        row.error(2, f"unknown action {action_type!r}")
    filter_text = row.json_text(4, "Filter")
    balance_type = row.text(6)
    if _opt(balance_type) and balance_type not in BALANCE_TYPES:
        row.error(6, f"unknown balance type {balance_type!r}")
    expiry = check_expiry(row, 11, ctx)
    units = _units(row, 13, balance_type)
    weight = row.decimal(14, "BalanceWeight") if _opt(row.text(14)) else None
    blocker = row.boolean(15, "BalanceBlocker")
    disabled = row.boolean(16, "BalanceDisabled")
    act_weight = row.decimal(17, "Weight", default="0")
    if not row.ok or act_weight is None:
        return
    bf = BalanceFilter(ID=_opt(row.text(5)), Type=_opt(balance_type), Value=units,
                       Weight=weight, DestinationIDs=string_map(row.text(8)),
                       RatingSubject=_opt(row.text(9)), Categories=string_map(row.text(7)),
                       SharedGroups=string_map(row.text(10)), TimingIDs=string_map(row.text(12)),
                       Disabled=disabled, Blocker=blocker)
    doc = plan.docs[ACTIONS].setdefault(actions_id, {"ID": actions_id, "Actions": []})
    plan.locations[(ACTIONS, actions_id, len(doc["Actions"]))] = (row.file, row.line)
    doc["Actions"].append(money.jsonable({
        "Id": actions_id, "ActionType": action_type, "ExtraParameters": row.text(3),
        "Filter": filter_text, "ExpirationString": expiry, "Weight": act_weight,
        "Balance": bf.to_json()}))


def parse_action_plan(plan: TariffPlan, row: Row, ctx: ParseContext) -> None:
    """``Id, ActionsId, TimingId, Weight``."""
    plan_id = row.required(1, "Id")
    actions_id = row.required(2, "ActionsId")
    timing_id = row.required(3, "TimingId")
    weight = row.decimal(4, "Weight", default="0")
    if not row.ok or weight is None:
        return
    doc = plan.docs[ACTION_PLANS].setdefault(plan_id, {"Id": plan_id, "AccountIDs": None,
                                                       "ActionTimings": []})
    plan.locations[(ACTION_PLANS, plan_id, len(doc["ActionTimings"]))] = (row.file, row.line)
    doc["ActionTimings"].append({"Uuid": ctx.new_id(), "TimingID": timing_id, "Timing": None,
                                 "ActionsID": actions_id, "Weight": money.to_str(weight)})


def parse_action_trigger(plan: TariffPlan, row: Row, ctx: ParseContext) -> None:
    """The 21 columns of ActionTriggers.csv (SPEC.md F)."""
    tag = row.required(1, "Tag")
    threshold_type = row.required(3, "ThresholdType")
    if threshold_type and threshold_type not in THRESHOLD_TYPES:
        row.error(3, f"unknown threshold type {threshold_type!r}")
    threshold = row.decimal(4, "ThresholdValue")
    recurrent = row.boolean(5, "Recurrent")
    min_sleep = row.duration(6, "MinSleep")
    expiry = row.time(7, "ExpiryTime", ctx)
    activation = row.time(8, "ActivationTime", ctx)
    balance_type = row.text(10)
    if _opt(balance_type) and balance_type not in BALANCE_TYPES:
        row.error(10, f"unknown balance type {balance_type!r}")
    balance_expiry = row.time(15, "BalanceExpiryTime", ctx) if _opt(row.text(15)) else None
    balance_weight = row.decimal(17, "BalanceWeight") if _opt(row.text(17)) else None
    blocker = row.boolean(18, "BalanceBlocker")
    disabled = row.boolean(19, "BalanceDisabled")
    actions_id = row.required(20, "ActionsId")
    weight = row.decimal(21, "Weight", default="0")
    if not row.ok or threshold is None or weight is None:
        return
    bf = BalanceFilter(ID=_opt(row.text(9)), Type=_opt(balance_type),
                       ExpirationDate=time_from_json(balance_expiry), Weight=balance_weight,
                       DestinationIDs=string_map(row.text(12)),
                       RatingSubject=_opt(row.text(13)), Categories=string_map(row.text(11)),
                       SharedGroups=string_map(row.text(14)),
                       TimingIDs=string_map(row.text(16)), Disabled=disabled, Blocker=blocker)
    trigger = ActionTrigger(tag, row.text(2) or ctx.new_id(), threshold_type, threshold,
                            bool(recurrent), min_sleep, time_from_json(expiry),
                            time_from_json(activation), bf, weight, actions_id)
    doc = plan.docs[ACTION_TRIGGERS].setdefault(tag, {"ID": tag, "ActionTriggers": []})
    plan.locations[(ACTION_TRIGGERS, tag, len(doc["ActionTriggers"]))] = (row.file, row.line)
    doc["ActionTriggers"].append(money.jsonable(trigger.to_json()))


def parse_account_action(plan: TariffPlan, row: Row, ctx: ParseContext) -> None:
    """``Tenant, Account, ActionPlanId, ActionTriggersId, AllowNegative, Disabled``."""
    tenant = row.required(1, "Tenant")
    account = row.required(2, "Account")
    allow_negative = row.boolean(5, "AllowNegative")
    disabled = row.boolean(6, "Disabled")
    key = f"{tenant}:{account}"
    if key in plan.docs[ACCOUNT_ACTIONS]:
        row.error(2, f"account {key} already listed at line {plan.where(ACCOUNT_ACTIONS, key)[1]}")
    if not row.ok:
        return
    plan.locations[(ACCOUNT_ACTIONS, key, 0)] = (row.file, row.line)
    plan.docs[ACCOUNT_ACTIONS][key] = {
        "Tenant": tenant, "Account": account, "ActionPlanId": row.text(3),
        "ActionTriggersId": row.text(4), "AllowNegative": bool(allow_negative),
        "Disabled": bool(disabled)}


def parse_shared_group(plan: TariffPlan, row: Row, ctx: ParseContext) -> None:
    """``Id, Account, Strategy, RatingSubject``."""
    group_id = row.required(1, "Id")
    account = row.required(2, "Account")
    strategy = row.text(3) or "*mine_random"
    if strategy not in SHARED_STRATEGIES:
        row.error(3, f"unknown shared group strategy {strategy!r}")
    if not row.ok:
        return
    doc = plan.docs[SHARED_GROUPS].setdefault(group_id, {"Id": group_id,
                                                         "AccountParameters": {},
                                                         "MemberIds": None})
    plan.locations[(SHARED_GROUPS, group_id, len(doc["AccountParameters"]))] = (row.file,
                                                                                 row.line)
    doc["AccountParameters"][account] = {"Strategy": strategy, "RatingSubject": row.text(4)}
