"""Parameter schemas of the rating, session, CDR, loader and core methods."""

from __future__ import annotations

from .errors import InvalidParams
from .schema import (
    ANY,
    BOOL,
    DURATION,
    DURATION_TEXT,
    INT,
    NUM,
    STR,
    STR_LIST,
    TEXT,
    TIME,
    Args,
    Field,
    ListOf,
    MapOf,
    Scalar,
    fields,
    struct,
)

# -- Responder: the CallDescriptor (engine/calldesc.go) ---------------------------------

BALANCE_INFO = struct(
    Field("Unit", struct(*fields("UUID ID DestinationID ToR", STR), Field("Value", NUM),
                         Field("Consumed", NUM), Field("RateInterval", ANY))),
    Field("Monetary", struct(*fields("UUID ID", STR), Field("Value", NUM))),
    Field("AccountID", STR),
)
INCREMENT = struct(
    Field("Duration", DURATION),
    Field("Cost", NUM),
    Field("BalanceInfo", BALANCE_INFO),
    Field("CompressFactor", INT),
)

CALL_DESCRIPTOR = struct(
    *fields("Category Tenant Subject Account Destination", STR),
    *fields("TimeStart TimeEnd", TIME),
    Field("LoopIndex", NUM),
    Field("DurationIndex", DURATION),
    Field("FallbackSubject", STR),
    Field("RatingInfos", ANY),
    Field("Increments", ListOf(INCREMENT)),
    Field("ToR", STR, aliases=("TOR",)),
    Field("ExtraFields", MapOf(TEXT)),
    Field("MaxRate", NUM),
    Field("MaxRateUnit", DURATION),
    Field("MaxCostSoFar", NUM),
    *fields("CgrID RunID", STR),
    *fields("ForceDuration PerformRounding DryRun DenyNegativeAccount", BOOL),
    Field("Direction", STR, legacy=True),  # gone in v0.10: accepted and ignored
)

# -- APIerSv1 rating calls ----------------------------------------------------------------

API_GET_COST = struct(
    *fields("Tenant Category Subject AnswerTime Destination", STR),
    Field("Usage", DURATION_TEXT),
)

USAGE_RECORD = struct(
    *fields("ToR RequestType Tenant Category Account Subject Destination", STR),
    *fields("SetupTime AnswerTime", STR),
    Field("Usage", DURATION_TEXT),
    Field("ExtraFields", MapOf(TEXT)),
    mandatory=("Account", "Destination", "Usage"),
)
DEBIT_USAGE_WITH_OPTIONS = struct(
    Field("UsageRecord", USAGE_RECORD),
    Field("AllowNegativeAccount", BOOL),
    mandatory=("UsageRecord",),
    checks=(lambda args: USAGE_RECORD.check(args["UsageRecord"]),),
)

# -- rating data in the data store -------------------------------------------------------

SET_DESTINATION = struct(Field("Id", STR, aliases=("ID",)), Field("Prefixes", STR_LIST),
                         Field("Overwrite", BOOL), mandatory=("Id", "Prefixes"))
ID_TEXT_OPTIONAL = Scalar(STR, "ID", mandatory=False)
RATING_ACTIVATION = struct(*fields("ActivationTime RatingPlanId FallbackSubjects", STR))
SET_RATING_PROFILE = struct(
    *fields("Tenant Category Subject", STR),
    Field("Overwrite", BOOL),
    Field("RatingPlanActivations", ListOf(RATING_ACTIVATION)),
    mandatory=("Tenant", "Category", "Subject", "RatingPlanActivations"),
)
GET_RATING_PROFILE = struct(*fields("Tenant Category Subject", STR),
                            mandatory=("Tenant", "Category", "Subject"))

# -- loaders ----------------------------------------------------------------------------


def _need_folder_path(args: Args) -> None:
    # LoadTariffPlanFromFolder checks this itself, in its own format (no brackets).
    if not args["FolderPath"]:
        raise InvalidParams("MANDATORY_IE_MISSING:FolderPath")


LOAD_FROM_FOLDER = struct(
    Field("FolderPath", STR),
    *fields("DryRun Validate Recursive", BOOL),
    Field("Caching", STR),
    checks=(_need_folder_path,),
)
LOAD_FROM_STORDB = struct(Field("TPid", STR), *fields("DryRun Validate", BOOL),
                          Field("Caching", STR), mandatory=("TPid",))
IMPORT_FROM_FOLDER = struct(*fields("TPid FolderPath RunId CsvSeparator", STR),
                            mandatory=("TPid", "FolderPath"))

# -- CDRs -------------------------------------------------------------------------------

_PAGINATOR = (*fields("Limit Offset", INT), Field("SearchTerm", STR))

GET_CDRS_V1 = struct(
    *fields("CgrIds MediationRunIds TORs CdrHosts CdrSources ReqTypes Tenants", STR_LIST),
    *fields("Categories Accounts Subjects DestinationPrefixes", STR_LIST),
    *fields("OrderIdStart OrderIdEnd", INT),
    *fields("TimeStart TimeEnd", STR),
    *fields("SkipErrors SkipRated", BOOL),
    Field("OrderBy", STR),
    *_PAGINATOR,
)

_CDR_LIST_FILTERS = (
    "CGRIDs RunIDs OriginIDs OriginHosts Sources ToRs RequestTypes Tenants Categories "
    "Accounts Subjects DestinationPrefixes Costs"
)
GET_CDRS_V2 = struct(
    *fields(_CDR_LIST_FILTERS, STR_LIST),
    *fields(" ".join("Not" + name for name in _CDR_LIST_FILTERS.split()), STR_LIST),
    *fields("ExtraFields NotExtraFields", MapOf(TEXT)),
    *fields("OrderIDStart OrderIDEnd", INT),
    *fields("SetupTimeStart SetupTimeEnd AnswerTimeStart AnswerTimeEnd", STR),
    *fields("CreatedAtStart CreatedAtEnd UpdatedAtStart UpdatedAtEnd", STR),
    *fields("MinUsage MaxUsage", STR),
    *fields("MinCost MaxCost", NUM),
    Field("OrderBy", STR),
    *_PAGINATOR,
)
GET_EVENT_COST = struct(Field("CgrId", STR, aliases=("CGRID",)),
                        Field("RunId", STR, aliases=("RunID",)), mandatory=("CgrId",))
CDR = struct(
    *fields("CGRID RunID OriginHost Source OriginID ToR RequestType Tenant Category", STR),
    *fields("Account Subject Destination CostSource ExtraInfo", STR),
    Field("OrderID", INT),
    *fields("SetupTime AnswerTime", TIME),
    Field("Usage", DURATION),
    Field("ExtraFields", MapOf(TEXT)),
    *fields("Partial PreRated", BOOL),
    Field("Cost", NUM),
    Field("CostDetails", ANY),
)

# -- sessions, core, scheduler, cache ---------------------------------------------------

SESSION_FILTER = struct(Field("Limit", INT), Field("Filters", STR_LIST), Field("Tenant", STR))
STATUS = struct(Field("Tenant", STR))
AUTH = struct(Field("Token", STR), mandatory=("Token",))
EXECUTE_SCHEDULED_ACTIONS = struct(Field("ActionPlanID", STR), *fields("TimeStart TimeEnd", TIME),
                                   mandatory=("ActionPlanID",))
EXECUTE_ACTION_PLANS = struct(Field("ActionPlanIDs", STR_LIST), *fields("Tenant AccountID", STR),
                              mandatory=("ActionPlanIDs",))
CACHE_IDS = struct(Field("CacheIDs", STR_LIST))
