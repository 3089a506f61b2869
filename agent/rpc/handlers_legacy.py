"""Handlers of the 2012 Responder calls and the 2013 management calls.

Each turns validated arguments into one ``rating.legacy_ops.LegacyOps`` operation (which
runs on the one rating Engine) or one EngineApi call, and shapes the reply as the old
documents do: old CallCost, numbers of seconds, the budget left. Methods shared with v0.10
answer in the dialect of the request (``schemas_legacy.Dialects``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from decimal import Decimal
from typing import Any

from rating import legacy
from rating.balances import MONETARY, SMS, VOICE
from rating.errors import ServerError
from rating.legacy_ops import LegacyOps, supports
from rating.timeutil import to_ns

from .context import CallContext
from .errors import NOT_IMPLEMENTED, InvalidParams, RpcError
from .schema import Args
from .schemas_legacy import OldArgs

Handler = Callable[[CallContext, Any], Any]
#: What the 2012 methods without a result answered (their reply was a float64 left at 0).
NOTHING = 0


def _engine(ctx: CallContext) -> Any:
    """The rating Engine behind the API (the EngineAdapter's, or the engine itself)."""
    api = ctx.require_engine()
    return getattr(api, "engine", api)


def _ops(ctx: CallContext, budgets: bool = False) -> LegacyOps:
    engine = _engine(ctx)
    if budgets and not supports(engine):
        raise RpcError(NOT_IMPLEMENTED)  # the engine has no action side yet
    return LegacyOps(engine)


def valid(convert: Callable[[str], Any], text: str) -> Any:
    """An old name mapped (direction, balance id, type); a bad one is a parameter error."""
    try:
        return convert(text)
    except ServerError as exc:
        raise InvalidParams(str(exc)) from None


def old_call(a: Args) -> legacy.OldCall:
    """The typed 2012 CallDescriptor of validated arguments (v0.10 names win)."""
    start, end = a["TimeStart"], a["TimeEnd"]
    valid(legacy.normal_direction, a["Direction"] or "")
    return legacy.OldCall(
        tor=a["Tor"] or "", tenant=a["Tenant"] or a["CstmId"] or "",
        subject=a["Subject"] or "", account=a["Account"] or "",
        destination=a["Destination"] or a["DestinationPrefix"] or "",
        direction=a["Direction"] or "", category=a["Category"] or "",
        time_start=None if start is None else to_ns(start),
        time_end=None if end is None else to_ns(end), amount=a["Amount"],
        tz=(start.tzinfo if start is not None else None) or UTC)


def dialect(old: Handler, new: Handler) -> Handler:
    """A handler answering old-dialect arguments with `old`, the others with `new`."""
    def handler(ctx: CallContext, args: Any) -> Any:
        return old(ctx, args) if isinstance(args, OldArgs) else new(ctx, args)

    handler.__doc__ = f"{new.__name__} (v0.10) or {old.__name__} (2012)"
    return handler


# -- Responder: calls ---------------------------------------------------------------------

def get_cost(ctx: CallContext, a: Args) -> dict[str, Any]:
    """Responder.Get / GetCost: the old CallCost of the call."""
    return _ops(ctx).get_cost(old_call(a))


def debit(ctx: CallContext, a: Args) -> dict[str, Any]:
    return _ops(ctx).debit(old_call(a))


def max_debit(ctx: CallContext, a: Args) -> dict[str, Any]:
    return _ops(ctx).max_debit(old_call(a))


def max_session_time(ctx: CallContext, a: Args) -> Decimal:
    """Seconds (2012 answered seconds; -1 = unlimited)."""
    return _ops(ctx).max_session_seconds(old_call(a))


# -- Responder: budgets --------------------------------------------------------------------

def debit_balance(ctx: CallContext, a: Args) -> Decimal:
    """DebitBalance: cents (the money unit of the tariffs) from the money budget; money left."""
    return _ops(ctx, budgets=True).debit_budget(old_call(a), MONETARY)


def debit_sms(ctx: CallContext, a: Args) -> Decimal:
    return _ops(ctx, budgets=True).debit_budget(old_call(a), SMS)


def debit_seconds(ctx: CallContext, a: Args) -> Decimal:
    return _ops(ctx, budgets=True).debit_budget(old_call(a), VOICE)


def add_volume_discount_seconds(ctx: CallContext, a: Args) -> int:
    _ops(ctx, budgets=True).add_volume_seconds(old_call(a))
    return NOTHING


def reset_volume_discount_seconds(ctx: CallContext, a: Args) -> int:
    _ops(ctx, budgets=True).reset_volume_seconds(old_call(a))
    return NOTHING


def add_received_call_seconds(ctx: CallContext, a: Args) -> int:
    _ops(ctx, budgets=True).add_received_seconds(old_call(a))
    return NOTHING


def reset_user_budget(ctx: CallContext, a: Args) -> int:
    _ops(ctx, budgets=True).reset_budget(old_call(a))
    return NOTHING


def flush_cache(ctx: CallContext, a: Any) -> int:
    """FlushCache: recompile the tariffs from the store (callmeter's only cache)."""
    _ops(ctx).flush_cache()
    return NOTHING


# -- 2013 management ------------------------------------------------------------------------

def get_balance(ctx: CallContext, a: Args) -> Decimal:
    """GetBalance: the total of a balance type (MINUTES in seconds)."""
    ops = _ops(ctx)
    return ops.balance(a["Tenant"] or "", a["Account"], valid(legacy.balance_type, a["BalanceId"]),
                       valid(legacy.normal_direction, a["Direction"] or ""))


def add_balance(ctx: CallContext, a: OldArgs) -> Decimal:
    """AddBalance (2013): to the type's ``*default`` balance; the type's new total."""
    engine = ctx.require_engine()
    btype = valid(legacy.balance_type, a["BalanceId"])
    if valid(legacy.normal_direction, a["Direction"] or "") != legacy.OUT:
        raise InvalidParams("SERVER_ERROR: Direction IN: v0.10 balances have no direction, "
                            "use OUT")
    value: Decimal = a["Value"]
    tenant = a["Tenant"] or ctx.default_tenant
    engine.balance_action(
        "*topup" if value > 0 else "*debit", tenant, a["Account"], btype,
        legacy.to_stored_units(btype, abs(value)), {"ID": "*default"})
    return _ops(ctx).balance(tenant, a["Account"], btype, legacy.OUT)


def add_triggered_action(ctx: CallContext, a: OldArgs) -> str:
    """AddTriggeredAction (2013): a counter trigger unless a ThresholdType says otherwise."""
    engine = ctx.require_engine()
    btype = valid(legacy.balance_type, a["BalanceId"])
    inbound = valid(legacy.normal_direction, a["Direction"] or "") == legacy.IN
    value = a["ThresholdValue"] if a["ThresholdValue"] is not None else Decimal(0)
    engine.add_triggered_action({
        "Tenant": a["Tenant"], "Account": a["Account"],
        "ThresholdType": legacy.threshold_type(a["ThresholdType"] or ""),
        "ThresholdValue": legacy.to_stored_units(btype, value),
        "Recurrent": a["Recurrent"], "BalanceType": btype,
        "BalanceDestinationIds": [a["DestinationId"]] if a["DestinationId"] else None,
        "BalanceCategories": ["*in"] if inbound else None,
        "ActionsId": a["ActionsId"], "Weight": a["Weight"]})
    return "OK"


def set_account(ctx: CallContext, a: OldArgs) -> str:
    """AddAccount / SetAccount (2013): Type → AllowNegative, ActionTimingsId → plan."""
    ops = _ops(ctx, budgets=True)
    valid(legacy.normal_direction, a["Direction"] or "")
    allow = valid(legacy.allows_negative, a["Type"]) if a["Type"] else None
    ops.add_account(a["Tenant"], a["Account"], allow_negative=allow,
                    plan_id=a["ActionTimingsId"] or "")
    return "OK"


def get_destination(ctx: CallContext, a: OldArgs) -> Any:
    """GetDestination (2013): AttrDestination ``{Id, Prefixes}``, the v0.10 shape too."""
    return ctx.require_engine().get_destination(a["Id"])
