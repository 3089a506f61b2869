"""The tariff-plan (TP) staging objects: their documents, ids and API method names.

Each object is one row of ``TP_OBJECTS``; the Set/Get/GetIds/Remove methods of every
object are generated from it (agent/rpc/tp.py), so all eleven behave alike. Documents
follow CGRateS v0.10's utils.TP* structs; ``old_id`` names the id field of the older
dialect (the 2013 documents: ``ActionTriggersId``, ``DestinationId``, ...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .schema import (
    BOOL,
    INT,
    NUM,
    STR,
    STR_LIST,
    TEXT,
    Args,
    Field,
    ListOf,
    Struct,
    fields,
    struct,
)


@dataclass(frozen=True)
class TpObject:
    """One TP object kind and the names of its four methods."""

    kind: str  # store kind suffix: documents live in "tp:<TPid>:<kind>"
    body: tuple[Field, ...]  # the document's fields besides TPid and its id
    mandatory: tuple[str, ...]  # of the Set request, in CGRateS's order
    singular: str  # method stem: SetTP<singular>, GetTP<singular>, RemoveTP<singular>
    ids_method: str  # GetTP<...>Ids
    id_field: str = "ID"
    old_id: str = ""  # the id field's older name
    key_fields: tuple[str, ...] = ()  # composite id (RatingProfiles, AccountActions)
    get_id_field: str = ""  # the Get/Remove request's id field when it differs
    legacy_view: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    extra_names: tuple[str, ...] = ()  # older method names for the same four methods

    @property
    def set_schema(self) -> Struct:
        id_fields: tuple[Field, ...] = ()
        if not self.key_fields:
            aliases = (self.old_id,) if self.old_id else ()
            id_fields = (Field(self.id_field, STR, aliases=aliases),)
        return Struct((Field("TPid", STR), *id_fields, *self.body), self.mandatory)

    @property
    def get_schema(self) -> Struct:
        name = self.get_id_field or self.id_field
        aliases = (self.old_id,) if self.old_id and not self.key_fields else ()
        return Struct((Field("TPid", STR), Field(name, STR, aliases=aliases)), ("TPid", name))

    def doc_id(self, args: Args) -> str:
        """The stored id of a Set request's document."""
        if self.key_fields:
            return ":".join(args[name] or "" for name in self.key_fields)
        return str(args[self.id_field])


IDS_SCHEMA = struct(Field("TPid", STR), *fields("Limit Offset", INT), Field("SearchTerm", STR),
                    mandatory=("TPid",))
TPID_SCHEMA = struct(Field("TPid", STR), mandatory=("TPid",))
EXPORT_SCHEMA = struct(*fields("TPid ExportPath FileFormat FieldSeparator", STR),
                       Field("Compress", BOOL), mandatory=("TPid",))

RATE_SLOT = struct(
    Field("ConnectFee", NUM), Field("Rate", NUM),
    *fields("RateUnit RateIncrement GroupIntervalStart", TEXT),
)
DESTINATION_RATE = struct(
    Field("DestinationId", STR, aliases=("DestinationID",)),
    Field("RateId", STR, aliases=("RateID",)),
    Field("RoundingMethod", STR),
    Field("RoundingDecimals", INT),
    Field("MaxCost", NUM),
    Field("MaxCostStrategy", STR),
)
RATING_PLAN_BINDING = struct(
    Field("DestinationRatesId", STR, aliases=("DestinationRatesID",)),
    Field("TimingId", STR, aliases=("TimingID",)),
    Field("Weight", NUM),
)
RATING_ACTIVATION = struct(*fields("ActivationTime RatingPlanId FallbackSubjects", STR))
SHARED_GROUP = struct(*fields("Account Strategy RatingSubject", STR))
TP_ACTION = struct(
    Field("Identifier", STR),
    Field("BalanceId", STR, aliases=("BalanceID",)),
    Field("BalanceUuid", STR, aliases=("BalanceUUID",)),
    Field("BalanceType", STR),
    Field("Units", TEXT),
    *fields("ExpiryTime Filter TimingTags DestinationIds RatingSubject Categories", STR),
    *fields("SharedGroups", STR),
    Field("BalanceWeight", TEXT),
    Field("ExtraParameters", STR),
    *fields("BalanceBlocker BalanceDisabled", TEXT),
    Field("Weight", NUM),
    Field("Direction", STR, legacy=True),
)
ACTION_PLAN_ITEM = struct(
    Field("ActionsId", STR, aliases=("ActionsID",)),
    Field("TimingId", STR, aliases=("TimingID",)),
    Field("Weight", NUM),
)
TP_ACTION_TRIGGER = struct(
    Field("Id", STR, aliases=("ID",)),
    Field("UniqueID", STR, aliases=("UniqueId",)),
    Field("ThresholdType", STR),
    Field("ThresholdValue", NUM),
    Field("Recurrent", BOOL),
    *fields("MinSleep ExpirationDate ActivationDate", TEXT),
    Field("BalanceId", STR, aliases=("BalanceID",)),
    Field("BalanceType", STR),
    Field("BalanceDestinationIds", TEXT, aliases=("DestinationId", "DestinationIds")),
    Field("BalanceWeight", TEXT),
    Field("BalanceExpirationDate", TEXT),
    *fields("BalanceTimingTags BalanceRatingSubject BalanceCategories", STR),
    Field("BalanceSharedGroups", STR),
    *fields("BalanceBlocker BalanceDisabled", TEXT),
    Field("ActionsId", STR, aliases=("ActionsID",)),
    Field("Weight", NUM),
    Field("Direction", STR, legacy=True),
)

#: The fields of a trigger in the 2013 dialect (ApiActionTrigger), and where they live now.
OLD_TRIGGER_FIELDS = (
    ("ActionsId", "ActionsId"), ("BalanceType", "BalanceType"),
    ("DestinationId", "BalanceDestinationIds"), ("Direction", "Direction"),
    ("ThresholdType", "ThresholdType"), ("ThresholdValue", "ThresholdValue"),
    ("Weight", "Weight"),
)
#: What the 2013 dialect requires of each trigger (docs/api_tpactiontriggers.rst).
OLD_TRIGGER_MANDATORY = ("BalanceType", "Direction", "ThresholdType", "ThresholdValue",
                         "ActionsId", "Weight")


def old_trigger_view(doc: dict[str, Any]) -> dict[str, Any]:
    """A rendered v0.10 trigger in the 2013 ApiActionTrigger shape."""
    return {old: doc.get(new, "") for old, new in OLD_TRIGGER_FIELDS}


TP_OBJECTS: tuple[TpObject, ...] = (
    TpObject("Destinations", (Field("Prefixes", STR_LIST),), ("TPid", "ID", "Prefixes"),
             "Destination", "GetTPDestinationIDs", old_id="DestinationId",
             extra_names=("GetTPDestinationIds",)),
    TpObject("Timings", fields("Years Months MonthDays WeekDays Time", TEXT),
             ("TPid", "ID", "Years", "Months", "MonthDays", "WeekDays", "Time"),
             "Timing", "GetTPTimingIds", old_id="TimingId"),
    TpObject("Rates", (Field("RateSlots", ListOf(RATE_SLOT)),), ("TPid", "ID", "RateSlots"),
             "Rate", "GetTPRateIds", old_id="RateId"),
    TpObject("DestinationRates", (Field("DestinationRates", ListOf(DESTINATION_RATE)),),
             ("TPid", "ID", "DestinationRates"), "DestinationRate", "GetTPDestinationRateIds",
             old_id="DestinationRateId"),
    TpObject("RatingPlans", (Field("RatingPlanBindings", ListOf(RATING_PLAN_BINDING)),),
             ("TPid", "ID", "RatingPlanBindings"), "RatingPlan", "GetTPRatingPlanIds",
             old_id="RatingPlanId"),
    TpObject("RatingProfiles",
             (*fields("LoadId Tenant Category Subject", STR),
              Field("RatingPlanActivations", ListOf(RATING_ACTIVATION))),
             ("TPid", "LoadId", "Tenant", "Category", "Subject", "RatingPlanActivations"),
             "RatingProfile", "GetTPRatingProfileIds",
             key_fields=("LoadId", "Tenant", "Category", "Subject"),
             get_id_field="RatingProfileID"),
    TpObject("SharedGroups", (Field("SharedGroups", ListOf(SHARED_GROUP)),),
             ("TPid", "ID", "SharedGroups"), "SharedGroups", "GetTPSharedGroupIds",
             old_id="SharedGroupsId"),
    TpObject("Actions", (Field("Actions", ListOf(TP_ACTION)),), ("TPid", "ID", "Actions"),
             "Actions", "GetTPActionIds", old_id="ActionsId"),
    TpObject("ActionPlans", (Field("ActionPlan", ListOf(ACTION_PLAN_ITEM)),),
             ("TPid", "ID", "ActionPlan"), "ActionPlan", "GetTPActionPlanIds",
             old_id="ActionPlanId"),
    TpObject("ActionTriggers", (Field("ActionTriggers", ListOf(TP_ACTION_TRIGGER)),),
             ("TPid", "ID"), "ActionTriggers", "GetTPActionTriggerIds",
             old_id="ActionTriggersId", legacy_view=old_trigger_view),
    TpObject("AccountActions",
             (*fields("LoadId Tenant Account", STR),
              Field("ActionPlanId", STR, aliases=("ActionPlanID", "ActionTimingsId")),
              Field("ActionTriggersId", STR, aliases=("ActionTriggersID",)),
              *fields("AllowNegative Disabled", BOOL)),
             ("TPid", "LoadId", "Tenant", "Account", "ActionPlanId"),
             "AccountActions", "GetTPAccountActionIds",
             key_fields=("LoadId", "Tenant", "Account"), get_id_field="AccountActionsId"),
)
