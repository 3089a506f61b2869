"""The console's command names (as cgr-console and the seed documents' hints use them),
each mapped to one API method, and parsing of ``Key=Value`` arguments."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from agent.rpc import jsonvalue
from agent.rpc.errors import RpcError
from agent.rpc.methods import build_table
from agent.rpc.schema import Scalar, Str, Struct


@dataclass(frozen=True)
class Command:
    method: str
    help: str
    bare: bool = False  # the method takes one bare value (Value=...), not an object


COMMANDS: dict[str, Command] = {
    # accounts
    "accounts": Command("APIerSv2.GetAccounts", "list accounts (Tenant, AccountIDs)"),
    "account": Command("APIerSv2.GetAccount", "one account (Tenant, Account)"),
    "account_set": Command("APIerSv2.SetAccount", "create or update an account"),
    "account_remove": Command("APIerSv1.RemoveAccount", "remove an account"),
    "accounts_count": Command("APIerSv1.GetAccountsCount", "count the accounts of a tenant"),
    "account_actionplan_get": Command("APIerSv1.GetAccountActionPlan",
                                      "action plans of an account"),
    # balances
    "balance_set": Command("APIerSv1.SetBalance", "set a balance (BalanceID, Value, ...)"),
    "balance_add": Command("APIerSv1.AddBalance", "top up a balance"),
    "balance_debit": Command("APIerSv1.DebitBalance", "debit a balance"),
    "balance_remove": Command("APIerSv1.RemoveBalances", "remove balances"),
    # rating and charging
    "cost": Command("APIerSv1.GetCost", "cost of a call (Subject, Destination, Usage)"),
    "maxusage": Command("APIerSv1.GetMaxUsage", "how long an account can call"),
    "maxduration": Command("Responder.GetMaxSessionTime", "max session time of a CallDescriptor"),
    "debit": Command("Responder.Debit", "debit a CallDescriptor"),
    "debit_max": Command("Responder.MaxDebit", "debit at most what the account can pay"),
    "refund_increments": Command("Responder.RefundIncrements", "refund increments"),
    # actions, plans, triggers
    "actions": Command("APIerSv2.GetActions", "list actions (ActionIDs)"),
    "actions_set": Command("APIerSv1.SetActions", "define actions (ActionsId, Actions)"),
    "actions_remove": Command("APIerSv1.RemoveActions", "remove actions (ActionIDs)"),
    "action_execute": Command("APIerSv1.ExecuteAction", "run actions on an account now"),
    "action_plan_get": Command("APIerSv1.GetActionPlan", "action plans (ID)"),
    "action_plan_set": Command("APIerSv1.SetActionPlan", "define an action plan"),
    "action_plan_remove": Command("APIerSv1.RemoveActionPlan", "remove an action plan"),
    "triggers": Command("APIerSv1.GetActionTriggers", "stored trigger groups (GroupIDs)"),
    "trigger_set": Command("APIerSv1.SetActionTrigger", "define a stored trigger"),
    "trigger_remove": Command("APIerSv1.RemoveActionTrigger", "remove a stored trigger"),
    "account_triggers": Command("APIerSv1.GetAccountActionTriggers", "triggers of an account"),
    "account_trigger_add": Command("APIerSv1.AddAccountActionTriggers",
                                   "attach trigger groups to an account"),
    "account_trigger_set": Command("APIerSv1.SetAccountActionTriggers",
                                   "change or create an account's trigger"),
    "account_trigger_reset": Command("APIerSv1.ResetAccountActionTriggers",
                                     "re-arm an account's triggers"),
    "account_trigger_remove": Command("APIerSv1.RemoveAccountActionTriggers",
                                      "remove an account's triggers"),
    "scheduler_reload": Command("SchedulerSv1.Reload", "reload the scheduler", bare=True),
    # sessions
    "active_sessions": Command("SessionSv1.GetActiveSessions", "live calls (Filters, Limit)"),
    "active_sessions_count": Command("SessionSv1.GetActiveSessionsCount", "count live calls"),
    "session_force_disconnect": Command("SessionSv1.ForceDisconnect", "hang up live calls"),
    # tariff plans and data
    "load_tp_from_folder": Command("APIerSv1.LoadTariffPlanFromFolder",
                                   "load CSV tariff plans (FolderPath)"),
    "load_tp_from_stordb": Command("APIerSv1.LoadTariffPlanFromStorDb",
                                   "load a staged tariff plan (TPid)"),
    "tpids": Command("APIerSv1.GetTPIds", "staged tariff plan ids"),
    "destination": Command("APIerSv1.GetDestination", "one destination (Value=ID)", bare=True),
    "destination_set": Command("APIerSv1.SetDestination", "define a destination"),
    "ratingplan": Command("APIerSv1.GetRatingPlan", "one rating plan (Value=ID)", bare=True),
    "ratingprofile": Command("APIerSv1.GetRatingProfile", "one rating profile"),
    "ratingprofile_set": Command("APIerSv1.SetRatingProfile", "define a rating profile"),
    "cdrs": Command("APIerSv2.GetCDRs", "query CDRs"),
    # the node
    "status": Command("CoreSv1.Status", "node status"),
    "ping": Command("APIerSv1.Ping", "Pong"),
}

_TOKEN = re.compile(r'''(?:[^\s"'\[{]|"(?:[^"\\]|\\.)*"|'[^']*'|\[[^\]]*\]|\{[^}]*\})+''')
_TABLE = build_table()


class UsageError(Exception):
    """The command line cannot be turned into a request; the text says why."""


def split_line(line: str) -> tuple[str, list[str]]:
    """The command name and its ``Key=Value`` tokens (quotes and brackets keep spaces)."""
    tokens = _TOKEN.findall(line.strip())
    if not tokens:
        raise UsageError("empty command")
    return tokens[0], tokens[1:]


def parse_value(text: str) -> Any:
    """A JSON value (exact numbers), else the text itself; ``"\\*out"`` (rst escaping) → *out."""
    try:
        return jsonvalue.loads(text)
    except RpcError:
        pass
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    return text


def parse_args(tokens: list[str]) -> dict[str, Any]:
    args: dict[str, Any] = {}
    for token in tokens:
        key, sep, value = token.partition("=")
        if not sep or not key:
            raise UsageError(f"{token!r}: write arguments as Key=Value")
        args[key] = parse_value(value)
    return args


def build_request(command: str, tokens: list[str]) -> tuple[str, Any]:
    """The API method and its argument for a command line."""
    if command == "call":
        if not tokens:
            raise UsageError("call needs a method name: call APIerSv1.Ping")
        method, tokens = tokens[0], tokens[1:]
    elif command in COMMANDS:
        method = COMMANDS[command].method
    else:
        raise UsageError(f"unknown command {command!r} (try help)")
    args = parse_args(tokens)
    schema = _schema(method)
    if isinstance(schema, Scalar) or (command in COMMANDS and COMMANDS[command].bare):
        value = args.get("Value", "")
        return method, _typed_value(schema, value)
    return method, _typed(schema, args)


def _typed_value(schema: Any, value: Any) -> Any:
    if isinstance(schema, Scalar) and isinstance(schema.type, Str) and not isinstance(value, str):
        return json.dumps(value) if isinstance(value, bool) else str(value)
    return value


def _schema(method: str) -> Any:
    try:
        return _TABLE.resolve(method).schema
    except RpcError:
        return None  # unknown to us: the server answers for it


def _typed(schema: Any, args: dict[str, Any]) -> dict[str, Any]:
    """Numbers typed for string fields (Account=1003) are sent as strings, as cgr-console does."""
    if not isinstance(schema, Struct):
        return args
    typed = {}
    for key, value in args.items():
        found = schema._lookup(key)
        if found and isinstance(found[0].type, Str) and isinstance(value, int | Decimal | bool):
            value = json.dumps(value) if isinstance(value, bool) else str(value)
        typed[key] = value
    return typed


def field_names(command: str) -> list[str]:
    """Argument names of a command, for tab completion."""
    method = COMMANDS.get(command)
    schema = _schema(method.method) if method else None
    return [f.name for f in schema.fields if not f.legacy] if isinstance(schema, Struct) else []
