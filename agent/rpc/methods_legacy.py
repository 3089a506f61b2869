"""The older API's rows of the method table, installed into the v0.10 table.

The 2012 documents call the call API's service ``Responder`` (its methods are added there,
``AddRecievedCallSeconds`` spelled as documented); the 2013 management calls lived in the
``ApierV1`` service, an alias of ``APIerSv1`` (so ``APIerSv2`` inherits them too). Methods
whose names v0.10 also has keep their v0.10 behaviour for v0.10 requests: ``install``
wraps them so a request in the old dialect gets the old behaviour and reply shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import handlers_legacy as old
from . import schemas_legacy as sch
from .schema import ANY, Struct, Type
from .table import Handler, Method, MethodTable, Service

#: These handlers use the rating Engine through rating.legacy_ops, not EngineApi.
LEGACY = "legacy"
#: (method, schema, handler): methods v0.10 does not have.
RESPONDER: list[tuple[str, Type, Handler]] = [
    ("Get", sch.OLD_CALL, old.get_cost),
    ("DebitBalance", sch.OLD_CALL_MONEY, old.debit_balance),
    ("DebitSMS", sch.OLD_CALL_AMOUNT, old.debit_sms),
    ("DebitSeconds", sch.OLD_CALL_AMOUNT, old.debit_seconds),
    ("AddVolumeDiscountSeconds", sch.OLD_CALL_AMOUNT, old.add_volume_discount_seconds),
    ("ResetVolumeDiscountSeconds", sch.OLD_CALL_ACCOUNT, old.reset_volume_discount_seconds),
    ("AddRecievedCallSeconds", sch.OLD_CALL_AMOUNT, old.add_received_call_seconds),
    ("AddReceivedCallSeconds", sch.OLD_CALL_AMOUNT, old.add_received_call_seconds),
    ("ResetUserBudget", sch.OLD_CALL_ACCOUNT, old.reset_user_budget),
    ("FlushCache", ANY, old.flush_cache),
]
APIER_V1: list[tuple[str, Type, Handler]] = [
    ("GetBalance", sch.GET_BALANCE, old.get_balance),
    ("AddAccount", sch.OLD_SET_ACCOUNT, old.set_account),
]

#: v0.10 methods that also read the old dialect: (method, old schema or maker, old handler).
Wrap = Callable[[Struct], Type]
RESPONDER_DIALECTS: list[tuple[str, Wrap, Handler]] = [
    ("GetCost", sch.old_call_dialect, old.get_cost),
    ("Debit", sch.old_call_dialect, old.debit),
    ("MaxDebit", sch.old_call_dialect, old.max_debit),
    ("GetMaxSessionTime", sch.old_call_dialect, old.max_session_time),
]
APIER_V1_DIALECTS: list[tuple[str, Wrap, Handler]] = [
    ("AddBalance", lambda new: sch.Dialects.of(new, sch.OLD_ADD_BALANCE, sch.balance_id_old),
     old.add_balance),
    ("AddTriggeredAction",
     lambda new: sch.Dialects.of(new, sch.OLD_ADD_TRIGGER, sch.trigger_old),
     old.add_triggered_action),
    ("SetAccount", lambda new: sch.Dialects.of(new, sch.OLD_SET_ACCOUNT, sch.account_old),
     old.set_account),
    ("GetDestination", lambda new: sch.GET_DESTINATION, old.get_destination),
]


def _service(table: MethodTable, name: str) -> Service:
    return next(s for s in table.services() if s.name == name)


def _add(service: Service, rows: list[tuple[str, Type, Handler]]) -> None:
    for name, schema, handler in rows:
        service.add(Method(name, schema, handler, wrap_errors=False, needs=LEGACY))


def _wrap(service: Service, rows: list[tuple[str, Wrap, Handler]]) -> None:
    for name, make_schema, old_handler in rows:
        current = service.methods[name]
        schema: Any = current.schema
        service.methods[name] = Method(
            name, make_schema(schema), old.dialect(old_handler, current.handler),
            wrap_errors=current.wrap_errors, needs=current.needs)


def install(table: MethodTable) -> MethodTable:
    """Add the older API to a v0.10 method table (in place) and return it."""
    responder, apier_v1 = _service(table, "Responder"), _service(table, "APIerSv1")
    _add(responder, RESPONDER)
    _add(apier_v1, APIER_V1)
    _wrap(responder, RESPONDER_DIALECTS)
    _wrap(apier_v1, APIER_V1_DIALECTS)
    return table
