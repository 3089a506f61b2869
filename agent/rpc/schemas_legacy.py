"""Parameter schemas of the 2012 Responder calls and the 2013 management calls.

Where an old call shares its name with a v0.10 method (``Responder.GetCost``,
``APIerSv1.AddBalance``, ...), ``Dialects`` reads a request with the old schema when it
uses a name only the old dialect has, else with the v0.10 schema; its fields are the
v0.10 ones, so everything generated from the v0.10 schema (console, docs) is unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from rating import legacy

from .errors import mandatory_missing
from .schema import (
    BOOL,
    NUM,
    STR,
    TEXT,
    TIME,
    Args,
    Field,
    Scalar,
    Struct,
    fields,
    struct,
    value_error,
)


class OldArgs(Args):
    """Arguments read with the old schema: the handler answers in the old shape."""


@dataclass(frozen=True)
class Dialects(Struct):
    """A v0.10 schema that reads requests of the older dialect with ``old`` instead."""

    old: Struct | None = None
    is_old: Callable[[Any], bool] = lambda raw: False

    @classmethod
    def of(cls, new: Struct, old: Struct, is_old: Callable[[Any], bool]) -> Dialects:
        return cls(new.fields, new.mandatory, new.checks, old=old, is_old=is_old)

    def convert(self, value: Any, path: str = "") -> Args:
        if self.old is not None and self.is_old(value):
            return OldArgs(self.old.convert(value, path))
        return super().convert(value, path)

    def check(self, args: Args) -> None:
        if isinstance(args, OldArgs) and self.old is not None:
            self.old.check(args)
        else:
            super().check(args)


# -- the 2012 CallDescriptor ------------------------------------------------------------------

def _need_subject(args: Args) -> None:
    """Calls on an account name it: Subject (or Account)."""
    if not args["Subject"] and not args["Account"]:
        raise mandatory_missing(["Subject"])


def _need_positive_amount(args: Args) -> None:
    if args["Amount"] is not None and args["Amount"] <= 0:
        raise value_error("Amount", f"{args['Amount']} must be positive")


_OLD_CALL_FIELDS = (
    Field("Tor", TEXT),  # 2012: a number selecting the rating profile (v0.10's Category)
    Field("CstmId", STR),
    Field("Tenant", STR),
    Field("Category", STR),
    *fields("Subject Account", STR),
    Field("DestinationPrefix", STR),
    Field("Destination", STR),
    Field("Direction", STR),
    *fields("TimeStart TimeEnd", TIME),
    Field("Amount", NUM),
)

#: Get/GetCost, Debit, MaxDebit, GetMaxSessionTime (Amount = requested seconds, optional).
OLD_CALL = struct(*_OLD_CALL_FIELDS)
#: Calls on a budget: the account, and an Amount > 0 (cents, SMS, seconds).
OLD_CALL_AMOUNT = struct(*_OLD_CALL_FIELDS, mandatory=("Amount",),
                         checks=(_need_subject, _need_positive_amount))
#: DebitBalance: money may be given back with a negative Amount ("add/substract").
OLD_CALL_MONEY = struct(*_OLD_CALL_FIELDS, mandatory=("Amount",), checks=(_need_subject,))
#: Resets: the account only.
OLD_CALL_ACCOUNT = struct(*_OLD_CALL_FIELDS, checks=(_need_subject,))


def old_call_dialect(new: Struct) -> Dialects:
    """A Responder call schema that also reads the 2012 CallDescriptor."""
    return Dialects.of(new, OLD_CALL, legacy.is_old_call)


# -- 2013 management calls ---------------------------------------------------------------------

def balance_id_old(raw: Any) -> bool:
    """BalanceId names a 2013 balance type (MONETARY, ...) and no v0.10 BalanceType is given."""
    if not isinstance(raw, Mapping):
        return False
    keys = {str(k).casefold(): v for k, v in raw.items() if v is not None}
    return "balancetype" not in keys and legacy.is_old_balance_id(keys.get("balanceid"))


def _need_nonzero_value(args: Args) -> None:
    if args["Value"] == 0:
        raise value_error("Value", "must not be 0")


GET_BALANCE = struct(
    *fields("Tenant Account BalanceId Direction", STR),
    mandatory=("Account", "BalanceId"),
)
OLD_ADD_BALANCE = struct(
    *fields("Tenant Account BalanceId Direction", STR),
    Field("Value", NUM),
    mandatory=("Account", "BalanceId", "Value"),
    checks=(_need_nonzero_value,),
)


def trigger_old(raw: Any) -> bool:
    """A 2013 AddTriggeredAction: a balance type as BalanceId, or DestinationId/Direction."""
    if not isinstance(raw, Mapping):
        return False
    keys = {str(k).casefold() for k, v in raw.items() if v is not None}
    return balance_id_old(raw) or bool(keys & {"destinationid", "direction"})


OLD_ADD_TRIGGER = struct(
    *fields("Tenant Account Direction BalanceId ThresholdType", STR),
    Field("ThresholdValue", NUM),
    Field("DestinationId", STR, aliases=("DestinationIds",)),
    Field("Weight", NUM),
    Field("Recurrent", BOOL),
    Field("ActionsId", STR, aliases=("ActionsID",)),
    mandatory=("Tenant", "Account", "BalanceId", "ActionsId"),
)


def account_old(raw: Any) -> bool:
    """A 2013 AddAccount/SetAccount: it says the account Type (or a Direction)."""
    if not isinstance(raw, Mapping):
        return False
    keys = {str(k).casefold() for k, v in raw.items() if v is not None}
    return bool(keys & {"type", "direction"})


OLD_SET_ACCOUNT = struct(
    *fields("Tenant Direction Account Type", STR),
    Field("ActionTimingsId", STR, aliases=("ActionPlanId", "ActionPlanID")),
    mandatory=("Tenant", "Account"),
)


@dataclass(frozen=True)
class DestinationId(Scalar):
    """GetDestination: v0.10 sends the bare id, 2013 an AttrDestination ``{"Id": ...}``."""

    def convert(self, value: Any, path: str = "") -> Any:
        if isinstance(value, Mapping):
            found = {str(k).casefold(): v for k, v in value.items()}.get("id")
            if isinstance(found, str):
                return OldArgs({"Id": found})
            raise value_error(path, "expected a string or an object with a text Id")
        return super().convert(value, path)

    def check(self, value: Any) -> None:
        super().check(value["Id"] if isinstance(value, OldArgs) else value)


GET_DESTINATION = DestinationId(STR, "ID", mandatory=False)
