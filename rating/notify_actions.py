"""Actions whose effects leave the account: logs, CDRs, HTTP posts, mails, removals.

Nothing here performs I/O: each action records what must happen in the context's
``Effects`` (CDRs and outbox jobs are written with the account change; log lines,
synchronous posts and removals of other accounts happen after the commit).
Bodies are the account JSON CGRateS sends (or the API's extra data when there is no
account).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from . import money
from .accounts import Account
from .action_context import JOB_HTTP, JOB_MAIL, ActionContext, ActionNotImplemented
from .action_model import Action
from .balance_actions import set_balance
from .balance_match import filter_value
from .cdrlog import LOGGED_ACTIONS, build_template, cdrlog_cdr
from .cdrs import json_text
from .errors import NotFound, ServerError
from .timeutil import format_time
from .triggers import BalanceFilter

log = logging.getLogger(__name__)


def _body(acc: Account | None, ctx: ActionContext) -> str:
    """CGRateS ``getOneData``: the account JSON, else the extra data, else nothing."""
    if acc is not None:
        return json_text(acc.to_json())
    if ctx.extra_data is not None:
        return json_text(ctx.extra_data)
    return ""


def log_action(acc: Account | None, a: Action, acs: list[Action], ctx: ActionContext) -> None:
    """``*log``: the account JSON (or the extra data) goes to the log after the commit."""
    if acc is not None:
        ctx.effects.logs.append(f"LOG Account: {json_text(acc.to_json())}")
    elif ctx.extra_data is not None:
        ctx.effects.logs.append(f"LOG ExtraData: {json_text(ctx.extra_data)}")


def http_job(a: Action, body: str, acc: Account | None) -> dict[str, Any]:
    """An HTTP POST job for the URL in ExtraParameters."""
    url = a.ExtraParameters.strip()
    if not url.startswith(("http://", "https://")):
        raise ServerError(f"{a.ActionType}: ExtraParameters must be an http(s) URL, "
                          f"not {url!r}")
    return {"kind": JOB_HTTP, "url": url, "body": body, "content_type": "application/json",
            "action": a.ActionType, "account": acc.ID if acc else ""}


def http_post(acc: Account | None, a: Action, acs: list[Action], ctx: ActionContext) -> None:
    """``*http_post``: POST the account JSON right after the commit (with a timeout)."""
    ctx.effects.sync_jobs.append(http_job(a, _body(acc, ctx), acc))


def http_post_async(acc: Account | None, a: Action, acs: list[Action],
                    ctx: ActionContext) -> None:
    """``*http_post_async``: queue the POST in the outbox (retried, survives restarts)."""
    ctx.effects.jobs.append(http_job(a, _body(acc, ctx), acc))


def post_event(acc: Account | None, a: Action, acs: list[Action], ctx: ActionContext) -> None:
    """``*post_event``: POST the API's extra data right after the commit."""
    ctx.effects.sync_jobs.append(http_job(a, json_text(ctx.extra_data), acc))


def mail_async(acc: Account | None, a: Action, acs: list[Action], ctx: ActionContext) -> None:
    """``*mail_async``: queue a mail to the ``a;b`` addresses of ExtraParameters."""
    first = a.ExtraParameters.split(",")[0]
    to = [addr.strip() for addr in first.split(";") if addr.strip()]
    if not to or not all("@" in addr for addr in to):
        raise ServerError(f"*mail_async: ExtraParameters must list mail addresses (a;b), "
                          f"not {a.ExtraParameters!r}")
    subject = f"[CGR Notification] Threshold hit on Balance: {acc.ID if acc else ''}"
    body = ""
    if acc is not None:
        body = (f"Time: \r\n\t{format_time(ctx.now_ns, ctx.tz)}\r\n\r\nBalance:\r\n\t"
                f"{json_text(acc.to_json())}\r\n\r\nYours faithfully,\r\nCGR Balance Monitor\r\n")
    ctx.effects.jobs.append({"kind": JOB_MAIL, "to": to, "subject": subject, "body": body,
                             "action": a.ActionType, "account": acc.ID if acc else ""})


def _joined(m: dict[str, bool] | None) -> str:
    return ";".join(sorted(k for k, v in (m or {}).items() if v))


def cdrlog_values(acc: Account | None, action: Action, ctx: ActionContext) -> dict[str, str]:
    """What ``~Name`` rules of a ``*cdrlog`` template read for one logged action."""
    f = action.Balance
    tenant, _, name = (acc.ID if acc else ":").partition(":")
    return {
        "AccountID": acc.ID if acc else "", "Tenant": tenant, "Account": name,
        "ActionID": action.Id, "ActionType": action.ActionType,
        "ActionValue": money.to_str(filter_value(f, ctx.now_ns, ctx.tz)),
        "BalanceType": f.Type or "", "BalanceUUID": f.Uuid or "", "BalanceID": f.ID or "",
        "BalanceValue": money.to_str(ctx.balance_values.get(id(action), money.ZERO)),
        "DestinationIDs": _joined(f.DestinationIDs), "ExtraParameters": action.ExtraParameters,
        "RatingSubject": f.RatingSubject or "", "Category": _joined(f.Categories),
        "SharedGroups": _joined(f.SharedGroups),
    }


def cdrlog(acc: Account | None, a: Action, acs: list[Action], ctx: ActionContext) -> None:
    """``*cdrlog``: one CDR per top-up/debit/set-balance action of the set."""
    try:
        template = build_template(a.ExtraParameters, ctx.extra_data)
    except ValueError as exc:
        raise ServerError(str(exc)) from None
    for action in acs:
        if action.ActionType not in LOGGED_ACTIONS:
            continue
        ctx.effects.cdrs.append(cdrlog_cdr(
            values=cdrlog_values(acc, action, ctx), template=template,
            run_id=action.ActionType, origin_id=ctx.new_id(), now_ns=ctx.now_ns))


def remove_account(acc: Account | None, a: Action, acs: list[Action],
                   ctx: ActionContext) -> None:
    """``*remove_account``: this account, or the ``{"Tenant","Account"}`` of ExtraParameters
    when run without one; it is also unlinked from its action plans."""
    if acc is not None:
        ctx.effects.removed_self = True
        return
    try:
        info = json.loads(a.ExtraParameters or "{}")
        key = f"{info.get('Tenant', '')}:{info.get('Account', '')}"
    except (json.JSONDecodeError, AttributeError):
        raise ServerError("*remove_account: ExtraParameters must be "
                          '{"Tenant": ..., "Account": ...}') from None
    if key == ":":
        raise ServerError("*remove_account without an account needs Tenant and Account")
    ctx.effects.remove_accounts.append(key)


def cdr_account(acc: Account | None, a: Action, acs: list[Action], ctx: ActionContext) -> None:
    """``*cdr_account``: restore balances from the AccountSummary of the last rated CDR."""
    if acc is None:
        raise ServerError("*cdr_account needs an account")
    cdr = ctx.last_cdr(acc.ID) if ctx.last_cdr else None
    summary = (cdr.CostDetails or {}).get("AccountSummary") if cdr else None
    if not summary:
        raise NotFound(f"no rated CDR with an AccountSummary for {acc.ID}")
    for bsum in summary.get("BalanceSummaries") or ():
        restore = Action(a.Id, "*set_balance", Balance=BalanceFilter(
            Uuid=bsum.get("UUID"), ID=bsum.get("ID"), Type=bsum.get("Type"),
            Value={"Method": "", "Params": None, "Static": str(bsum.get("Value", 0))},
            Disabled=bool(bsum.get("Disabled"))))
        try:
            set_balance(acc, restore, acs, ctx)
        except ServerError as exc:
            log.warning("*cdr_account on %s: %s", acc.ID, exc)


def no_subsystem(acc: Account | None, a: Action, acs: list[Action], ctx: ActionContext) -> None:
    """Publishing to ThresholdS/StatS or removing stored session costs: callmeter has
    neither, which is CGRateS's behaviour without those connections (nothing happens)."""
    log.debug("%s: no such subsystem configured, nothing to do", a.ActionType)


def set_ddestinations(acc: Account | None, a: Action, acs: list[Action],
                      ctx: ActionContext) -> None:
    """``*set_ddestinations``: needs StatS metrics, which callmeter does not keep."""
    if acc is None or not any(d.startswith("*ddc") for _, b in acc.balances()
                              for d in b.DestinationIDs or {}):
        raise NotFound("no *ddc destination on the account")
    raise ActionNotImplemented("*set_ddestinations needs StatS")


def not_implemented(acc: Account | None, a: Action, acs: list[Action],
                    ctx: ActionContext) -> None:
    """Queue posters (AMQP, SQS, Kafka, S3) and ``*cgr_rpc``: not available in callmeter."""
    raise ActionNotImplemented(f"{a.ActionType} is not available in callmeter")
