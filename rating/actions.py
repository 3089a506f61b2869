"""Action identifiers → account changes, and running an action set (SPEC.md D.1, D.3).

``run_action_set`` is what ExecuteAction, the scheduler and the balance APIs use: the
actions run in Weight order on one in-memory account, each one's ``Filter`` honoured and
its ExpiryTime resolved now; the first failing or unknown action stops the set with
``PARTIALLY_EXECUTED`` and the caller's transaction keeps nothing. ``run_triggered`` is
what a firing trigger uses: a failure stops the set but what ran is kept (CGRateS).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from . import balance_actions as bal
from . import notify_actions as out
from .accounts import Account
from .action_context import ActionContext, PartiallyExecuted
from .action_model import Action, resolve_expiry, sort_actions
from .errors import RatingError
from .structmatch import balance_fields, matches, parse_condition
from .trigger_eval import reset_action_triggers, reset_counters, set_recurrent
from .triggers import ActionTrigger

log = logging.getLogger(__name__)

ActionFn = Callable[[Account | None, Action, list[Action], ActionContext], None]


def _need(acc: Account | None, a: Action) -> Account:
    if acc is None:
        raise RatingError(f"{a.ActionType} needs an account")
    return acc


def _flag(name: str, value: bool) -> ActionFn:
    def action(acc: Account | None, a: Action, acs: list[Action], ctx: ActionContext) -> None:
        setattr(_need(acc, a), name, value)

    action.__doc__ = f"Set the account's {name} to {value}."
    return action


def _reset_triggers(acc: Account | None, a: Action, acs: list[Action],
                    ctx: ActionContext) -> None:
    reset_action_triggers(_need(acc, a), a, ctx)


def _recurrent(value: bool) -> ActionFn:
    def action(acc: Account | None, a: Action, acs: list[Action], ctx: ActionContext) -> None:
        set_recurrent(_need(acc, a), a, value)

    return action


def _reset_counters(acc: Account | None, a: Action, acs: list[Action],
                    ctx: ActionContext) -> None:
    reset_counters(_need(acc, a), a)


#: every v0.10 identifier (``getActionFunc``)
ACTION_FUNCS: dict[str, ActionFn] = {
    "*log": out.log_action,
    "*reset_triggers": _reset_triggers,
    "*set_recurrent": _recurrent(True),
    "*unset_recurrent": _recurrent(False),
    "*allow_negative": _flag("AllowNegative", True),
    "*deny_negative": _flag("AllowNegative", False),
    "*reset_account": bal.reset_account,
    "*topup_reset": bal.topup_reset,
    "*topup": bal.topup,
    "*debit_reset": bal.debit_reset,
    "*debit": bal.debit,
    "*topup_zero_negative": bal.topup_zero_negative,
    "*reset_counters": _reset_counters,
    "*enable_account": _flag("Disabled", False),
    "*disable_account": _flag("Disabled", True),
    "*set_balance": bal.set_balance,
    "*remove_balance": bal.remove_balance,
    "*remove_expired": bal.remove_expired,
    "*set_expiry": bal.set_expiry,
    "*transfer_monetary_default": bal.transfer_monetary_default,
    "*remove_account": out.remove_account,
    "*cdrlog": out.cdrlog,
    "*http_post": out.http_post,
    "*http_post_async": out.http_post_async,
    "*mail_async": out.mail_async,
    "*post_event": out.post_event,
    "*cdr_account": out.cdr_account,
    "*publish_account": out.no_subsystem,
    "*publish_balance": out.no_subsystem,
    "*remove_session_costs": out.no_subsystem,
    "*set_ddestinations": out.set_ddestinations,
    "*cgr_rpc": out.not_implemented,
    "*amqp_json_map": out.not_implemented,
    "*amqpv1_json_map": out.not_implemented,
    "*sqs_json_map": out.not_implemented,
    "*kafka_json_map": out.not_implemented,
    "*s3_json_map": out.not_implemented,
}


def prepare(actions: list[Action], ctx: ActionContext) -> list[Action]:
    """Copies in Weight order with ExpiryTime resolved into the balance filter."""
    prepared = []
    for a in sort_actions(actions):
        copy = a.clone()
        if copy.ExpirationString:
            expiry = resolve_expiry(copy.ExpirationString, ctx.now_ns, ctx.tz)
            if expiry is not None:
                copy.Balance.ExpirationDate = expiry
        prepared.append(copy)
    return prepared


def filter_allows(acc: Account | None, a: Action, ctx: ActionContext) -> bool:
    """An action with a Filter runs only if at least one balance satisfies it."""
    if not a.Filter:
        return True
    if acc is None:
        return False
    cond = parse_condition(a.Filter)
    return any(matches(cond, balance_fields(t, b), ctx.now_ns) for t, b in acc.balances())


def run_action_set(acc: Account | None, actions: list[Action], ctx: ActionContext) -> None:
    """Run a set all-or-nothing; PartiallyExecuted (detail: what failed) stops it."""
    acs = prepare(actions, ctx)
    for a in acs:
        fn = ACTION_FUNCS.get(a.ActionType)
        if fn is None:
            raise PartiallyExecuted(f"unknown action {a.ActionType!r}")
        try:
            if filter_allows(acc, a, ctx):
                fn(acc, a, acs, ctx)
        except PartiallyExecuted:
            raise
        except RatingError as exc:
            raise PartiallyExecuted(f"{a.ActionType}: {exc.detail or exc}") from exc


def run_triggered(acc: Account, actions: list[Action], ctx: ActionContext,
                  at: ActionTrigger) -> None:
    """A trigger's actions: a failure stops the set but keeps what ran (CGRateS)."""
    acs = prepare(actions, ctx)
    for a in acs:
        fn = ACTION_FUNCS.get(a.ActionType)
        try:
            if fn is None:
                raise RatingError(f"unknown action {a.ActionType!r}")
            if filter_allows(acc, a, ctx):
                fn(acc, a, acs, ctx)
        except RatingError as exc:
            ctx.effects.failures.append(f"trigger {at.UniqueID or at.ID}: {a.ActionType}: "
                                        f"{exc.detail or exc}")
            return
