"""The ``*cdrlog`` action's CDRs: one per top-up/debit/set-balance action of the set.

CGRateS v0.10 (engine/action.go ``cdrLogAction``) fills each CDR from a template of RSR
rules, field name → rule: ``~Name`` reads a value of the action (``BalanceType``,
``ActionValue``, ``Account``...), ``^text`` is the constant ``text``, anything else is
taken as written; rules joined with ``;`` are concatenated. The default template is
overridden field by field by the action's ExtraParameters JSON and then by the API's
extra data. Fields that are strings of the CDR are set, ``Cost`` if it parses as a
number, ``OrderID``/``Usage`` if they parse as integers; other CDR fields (times, flags)
are left alone and unknown names go to ``ExtraFields``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from . import money
from .cdrs import Cdr, cgr_id

SOURCE_CDRLOG = "*cdrlog"
#: The actions a ``*cdrlog`` reports (each gets its own CDR).
LOGGED_ACTIONS = ("*debit", "*debit_reset", "*set_balance", "*topup", "*topup_reset")

DEFAULT_TEMPLATE: dict[str, str] = {
    "ToR": "~BalanceType", "OriginHost": "127.0.0.1", "RequestType": "*none",
    "Tenant": "~Tenant", "Account": "~Account", "Subject": "~Account", "Cost": "~ActionValue",
}

_STRING_FIELDS = frozenset((
    "CGRID", "RunID", "OriginHost", "Source", "OriginID", "ToR", "RequestType", "Tenant",
    "Category", "Account", "Subject", "Destination", "ExtraInfo", "CostSource"))
_INT_FIELDS = frozenset(("OrderID", "Usage"))
#: CDR fields a template cannot set (Go kinds the reflection code skips).
_FIXED_FIELDS = frozenset(("SetupTime", "AnswerTime", "Partial", "PreRated", "CostDetails",
                           "ExtraFields", "Cost"))


def parse_template(extra_parameters: str) -> dict[str, str]:
    """The ExtraParameters JSON object of string rules; ValueError when it is not one."""
    if not extra_parameters.strip():
        return {}
    try:
        data = json.loads(extra_parameters)
    except json.JSONDecodeError as exc:
        raise ValueError(f"*cdrlog ExtraParameters is not JSON: {exc.msg}") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ValueError("*cdrlog ExtraParameters must be a JSON object of strings")
    return {str(k): v for k, v in data.items()}


def build_template(extra_parameters: str, extra_data: Any = None) -> dict[str, str]:
    """Default template, overridden by ExtraParameters, then by the API's extra data map."""
    template = dict(DEFAULT_TEMPLATE)
    template.update(parse_template(extra_parameters))
    if isinstance(extra_data, Mapping):
        template.update({str(k): _text(v) for k, v in extra_data.items()})
    return template


def _text(value: Any) -> str:
    if isinstance(value, Decimal):
        return money.to_str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def render(rule: str, values: Mapping[str, str]) -> str:
    """The value of one RSR rule list (``~Name``, ``^const``, plain text; ``;``-joined)."""
    out = []
    for part in rule.split(";"):
        if part.startswith("~"):
            name = part[1:]
            out.append(values.get(name, name))  # CGRateS: unknown names read as themselves
        elif part.startswith("^"):
            out.append(part[1:])
        else:
            out.append(part)
    return "".join(out)


def cdrlog_cdr(*, values: Mapping[str, str], template: Mapping[str, str], run_id: str,
               origin_id: str, now_ns: int) -> Cdr:
    """One ``*cdrlog`` CDR for an action; `values` are what ``~Name`` rules read."""
    cdr = Cdr(CGRID=cgr_id(origin_id, ""), RunID=run_id, OrderID=now_ns,
              Source=SOURCE_CDRLOG, OriginID=origin_id, SetupTime=now_ns, AnswerTime=now_ns,
              Usage=1, PreRated=True, OrderTime=now_ns)
    for name, rule in template.items():
        value = render(rule, values)
        if name in _STRING_FIELDS:
            setattr(cdr, name, value)
        elif name == "Cost":
            try:
                cdr.Cost = money.to_decimal(value)
            except ValueError:
                continue
        elif name in _INT_FIELDS:
            try:
                setattr(cdr, name, int(value))
            except ValueError:
                continue
        elif name not in _FIXED_FIELDS:
            cdr.ExtraFields[name] = value
    return cdr
