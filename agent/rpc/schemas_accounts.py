"""Parameter schemas of the account, balance, action, action-plan and trigger methods.

Field names, types and mandatory lists follow CGRateS v0.10's argument structs
(apier/v1, apier/v2, utils); aliases accept the older names the seed documents use.
"""

from __future__ import annotations

from typing import Any

from .errors import InvalidParams, mandatory_missing
from .schema import (
    ANY,
    BOOL,
    ID_LIST,
    INT,
    NUM,
    STR,
    STR_LIST,
    STR_MAP_BOOL,
    TEXT,
    Args,
    Field,
    ListOf,
    MapOf,
    Struct,
    fields,
    struct,
)

TENANT_ACCOUNT = struct(*fields("Tenant Account", STR), mandatory=("Tenant", "Account"))

# -- accounts -------------------------------------------------------------------------

EXTRA_OPTIONS = MapOf(BOOL)

SET_ACCOUNT_V1 = struct(
    *fields("Tenant Account", STR),
    Field("ActionPlanID", STR, aliases=("ActionPlanId", "ActionTimingsId")),
    Field("ActionTriggersID", STR, aliases=("ActionTriggersId",)),
    Field("ExtraOptions", EXTRA_OPTIONS),
    Field("ReloadScheduler", BOOL),
    # v0.9 had the flags at the top level; they are folded into ExtraOptions
    Field("AllowNegative", BOOL, legacy=True),
    Field("Disabled", BOOL, legacy=True),
    mandatory=("Tenant", "Account"),
)

SET_ACCOUNT_V2 = struct(
    *fields("Tenant Account", STR),
    Field("ActionPlanIDs", STR_LIST, aliases=("ActionPlanIds",)),
    Field("ActionPlansOverwrite", BOOL),
    Field("ActionTriggerIDs", STR_LIST, aliases=("ActionTriggerIds",)),
    Field("ActionTriggerOverwrite", BOOL),
    Field("ExtraOptions", EXTRA_OPTIONS),
    Field("ReloadScheduler", BOOL),
    Field("AllowNegative", BOOL, legacy=True),
    Field("Disabled", BOOL, legacy=True),
    mandatory=("Tenant", "Account"),
)

GET_ACCOUNTS = struct(
    Field("Tenant", STR),
    Field("AccountIDs", STR_LIST, aliases=("AccountIds",)),
    *fields("Offset Limit", INT),
    Field("Filter", STR_MAP_BOOL),
    mandatory=("Tenant",),
)

TENANT = struct(Field("Tenant", STR), mandatory=("Tenant",))

REMOVE_ACCOUNT = struct(*fields("Tenant Account", STR), Field("ReloadScheduler", BOOL),
                        mandatory=("Tenant", "Account"))

# -- balances -------------------------------------------------------------------------

BALANCE_FILTER = struct(
    Field("ID", STR, aliases=("BalanceID", "Id")),
    Field("UUID", STR, aliases=("BalanceUUID", "Uuid")),
    Field("ExpiryTime", STR, aliases=("ExpirationDate",)),
    Field("RatingSubject", STR),
    Field("Categories", TEXT),
    Field("DestinationIDs", TEXT, aliases=("DestinationIds",)),
    Field("TimingIDs", TEXT, aliases=("TimingIds",)),
    Field("Weight", NUM),
    Field("SharedGroups", TEXT),
    Field("Blocker", BOOL),
    Field("Disabled", BOOL),
)

# Before v0.10 the balance fields were flat in the request (the seed documents); they are
# read too and folded into Balance, the v0.10 form winning where both are given.
_FLAT_BALANCE = (
    Field("BalanceID", STR, aliases=("BalanceId",), legacy=True),
    Field("BalanceUUID", STR, aliases=("BalanceUuid",), legacy=True),
    Field("Directions", STR, legacy=True),  # gone in v0.10: accepted and ignored
    Field("ExpiryTime", STR, legacy=True),
    Field("RatingSubject", STR, legacy=True),
    Field("Categories", TEXT, legacy=True),
    Field("DestinationIds", TEXT, legacy=True),
    Field("TimingIds", TEXT, legacy=True),
    Field("Weight", NUM, legacy=True),
    Field("SharedGroups", TEXT, legacy=True),
    Field("Blocker", BOOL, legacy=True),
    Field("Disabled", BOOL, legacy=True),
)
_FLAT_TO_BALANCE = {"BalanceID": "ID", "BalanceUUID": "UUID", "DestinationIds": "DestinationIDs",
                    "TimingIds": "TimingIDs"}


def fold_flat_balance(args: Args) -> None:
    """Move the pre-v0.10 flat balance fields into ``Balance`` (a check, run after mandatory)."""
    balance = args.get("Balance") or Args({f.name: None for f in BALANCE_FILTER.fields})
    for flat in _FLAT_BALANCE:
        value = args.get(flat.name)
        target = _FLAT_TO_BALANCE.get(flat.name, flat.name)
        if value is not None and target in balance and balance[target] is None:
            balance[target] = value
    args["Balance"] = balance


def need_balance_id(args: Args) -> None:
    """SetBalance needs the balance's ID or UUID (utils.AttrSetBalance)."""
    balance = args["Balance"]
    if not balance.get("ID") and not balance.get("UUID"):
        raise InvalidParams("MANDATORY_IE_MISSING: [BalanceID or BalanceUUID]")


def _balance_schema(*extra: Field, checks: tuple[Any, ...] = ()) -> Struct:
    return struct(
        *fields("Tenant Account BalanceType", STR),
        Field("Value", NUM),
        Field("Balance", BALANCE_FILTER),
        Field("ActionExtraData", ANY),
        Field("Cdrlog", BOOL),
        *extra,
        *_FLAT_BALANCE,
        mandatory=("Tenant", "Account", "BalanceType"),
        checks=(fold_flat_balance, *checks),
    )


def need_value(args: Args) -> None:
    if args["Value"] is None:
        raise mandatory_missing(["Value"])


SET_BALANCE = _balance_schema(checks=(need_balance_id, need_value))
ADD_BALANCE = _balance_schema(Field("Overwrite", BOOL), checks=(need_value,))
REMOVE_BALANCES = _balance_schema()

# -- actions --------------------------------------------------------------------------

_ACTION_COMMON = (
    Field("Identifier", STR),
    Field("BalanceId", STR, aliases=("BalanceID",)),
    Field("BalanceUuid", STR, aliases=("BalanceUUID",)),
    Field("BalanceType", STR),
    Field("Directions", STR, legacy=True),
    *fields("ExpiryTime Filter TimingTags DestinationIds RatingSubject Categories", STR),
    *fields("SharedGroups ExtraParameters", STR),
    Field("BalanceBlocker", TEXT),
    Field("BalanceDisabled", TEXT),
    Field("Weight", NUM),
)

V1_ACTION = struct(*_ACTION_COMMON, Field("Units", NUM), Field("BalanceWeight", NUM))
V2_ACTION = struct(*_ACTION_COMMON, Field("Units", TEXT), Field("BalanceWeight", TEXT))


def _check_actions(args: Args) -> None:
    """Each action needs Identifier and Weight, and Units when it names a BalanceType."""
    for action in args["Actions"] or []:
        if action is None:
            raise mandatory_missing(["Identifier", "Weight"])
        required = ["Identifier", "Weight"] + (["Units"] if action["BalanceType"] else [])
        missing = [name for name in required if action[name] in (None, "")]
        if missing:
            raise InvalidParams(
                f"MANDATORY_IE_MISSING:Action:{action['Identifier'] or ''}:[{' '.join(missing)}]")


SET_ACTIONS_V1 = struct(
    Field("ActionsId", STR, aliases=("ActionsID",)),
    Field("Overwrite", BOOL),
    Field("Actions", ListOf(V1_ACTION)),
    mandatory=("ActionsId", "Actions"),
    checks=(_check_actions,),
)
SET_ACTIONS_V2 = struct(
    Field("ActionsId", STR, aliases=("ActionsID",)),
    Field("Overwrite", BOOL),
    Field("Actions", ListOf(V2_ACTION)),
    mandatory=("ActionsId", "Actions"),
    checks=(_check_actions,),
)
GET_ACTIONS_V2 = struct(Field("ActionIDs", STR_LIST, aliases=("ActionIds",)),
                        *fields("Offset Limit", INT))
REMOVE_ACTIONS = struct(Field("ActionIDs", STR_LIST, aliases=("ActionIds",)))
EXECUTE_ACTION = struct(*fields("Tenant Account", STR),
                        Field("ActionsId", STR, aliases=("ActionsID",)),
                        mandatory=("ActionsId",))

# -- action plans ---------------------------------------------------------------------

PLAN_TIMING = struct(
    Field("ActionsId", STR, aliases=("ActionsID",)),
    *fields("Years Months MonthDays WeekDays Time", TEXT),
    Field("Weight", NUM),
)


def _check_plan_timings(args: Args) -> None:
    for timing in args["ActionPlan"] or []:
        if timing is None:
            raise mandatory_missing(["ActionsId", "Time", "Weight"])
        missing = [n for n in ("ActionsId", "Time", "Weight") if timing[n] in (None, "")]
        if missing:
            raise InvalidParams(
                f"MANDATORY_IE_MISSING:Action:{timing['ActionsId'] or ''}:[{' '.join(missing)}]")


SET_ACTION_PLAN = struct(
    Field("Id", STR, aliases=("ID",)),
    Field("ActionPlan", ListOf(PLAN_TIMING)),
    *fields("Overwrite ReloadScheduler", BOOL),
    mandatory=("Id", "ActionPlan"),
    checks=(_check_plan_timings,),
)
GET_ACTION_PLAN = struct(Field("ID", STR, aliases=("Id",)))
REMOVE_ACTION_PLAN = struct(Field("ID", STR, aliases=("Id",)), mandatory=("ID",))
REMOVE_ACTION_TIMING = struct(
    Field("ActionPlanId", STR, aliases=("ActionPlanID",)),
    Field("ActionTimingId", STR, aliases=("ActionTimingID",)),
    *fields("Tenant Account", STR),
    Field("ReloadScheduler", BOOL),
    mandatory=("ActionPlanId",),
)
GET_SCHEDULED_ACTIONS = struct(
    *fields("Tenant Account", STR),
    *fields("TimeStart TimeEnd", STR),
    *fields("Offset Limit", INT),
)

# -- action triggers --------------------------------------------------------------------

TRIGGER_FIELDS = struct(
    *fields("ThresholdType", STR),
    Field("ThresholdValue", NUM),
    *fields("Recurrent Executed", BOOL),
    *fields("MinSleep ExpirationDate ActivationDate", TEXT),
    Field("BalanceID", STR, aliases=("BalanceId",)),
    Field("BalanceType", STR),
    Field("BalanceDestinationIds", ID_LIST, aliases=("BalanceDestinationIDs",)),
    Field("BalanceWeight", NUM),
    Field("BalanceExpirationDate", TEXT),
    Field("BalanceTimingTags", ID_LIST),
    Field("BalanceRatingSubject", STR),
    Field("BalanceCategories", ID_LIST),
    Field("BalanceSharedGroups", ID_LIST),
    *fields("BalanceBlocker BalanceDisabled", BOOL),
    Field("MinQueuedItems", INT),
    Field("ActionsID", STR, aliases=("ActionsId",)),
    Field("Weight", NUM),
)

SET_ACCOUNT_ACTION_TRIGGERS = struct(
    *fields("Tenant Account GroupID UniqueID", STR),
    Field("ActionTrigger", TRIGGER_FIELDS),
    mandatory=("Tenant", "Account"),
)
ADD_ACCOUNT_ACTION_TRIGGERS = struct(
    *fields("Tenant Account", STR),
    Field("ActionTriggerIDs", STR_LIST, aliases=("ActionTriggerIds",)),
    Field("ActionTriggerOverwrite", BOOL),
    Field("ActivationDate", TEXT),
    Field("Executed", BOOL),
    mandatory=("Tenant", "Account"),
)
RESET_ACCOUNT_ACTION_TRIGGERS = struct(
    *fields("Tenant Account GroupID UniqueID", STR), Field("Executed", BOOL),
    mandatory=("Tenant", "Account"),
)
REMOVE_ACCOUNT_ACTION_TRIGGERS = struct(
    *fields("Tenant Account GroupID UniqueID", STR), mandatory=("Tenant", "Account"))
SET_ACTION_TRIGGER = struct(*fields("GroupID UniqueID", STR),
                            Field("ActionTrigger", TRIGGER_FIELDS), mandatory=("GroupID",))
GET_ACTION_TRIGGERS = struct(Field("GroupIDs", STR_LIST, aliases=("GroupIds",)))
REMOVE_ACTION_TRIGGER = struct(*fields("GroupID UniqueID", STR), mandatory=("GroupID",))
ADD_TRIGGERED_ACTION = struct(
    Field("ActionTriggersId", STR, aliases=("GroupID",)),
    Field("ActionTriggersUniqueId", STR, aliases=("UniqueID",)),
    *fields("Tenant Account ThresholdType", STR),
    Field("ThresholdValue", NUM),
    Field("Recurrent", BOOL),
    *fields("MinSleep ExpirationDate ActivationDate", TEXT),
    Field("BalanceId", STR, aliases=("BalanceID",)),
    Field("BalanceType", STR),
    Field("BalanceDestinationIds", ID_LIST),
    Field("BalanceWeight", NUM),
    Field("BalanceExpiryTime", TEXT),
    *fields("BalanceTimingTags BalanceCategories BalanceSharedGroups", ID_LIST),
    Field("BalanceRatingSubject", STR),
    *fields("BalanceBlocker BalanceDisabled", BOOL),
    Field("MinQueuedItems", INT),
    Field("ActionsId", STR, aliases=("ActionsID",)),
    Field("Weight", NUM),
    mandatory=("Tenant", "Account"),
)
