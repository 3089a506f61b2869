"""Every action identifier of SPEC.md D.3 on an in-memory account, one case at a time."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from rating.action_context import ActionNotImplemented, PartiallyExecuted
from rating.action_model import resolve_expiry
from rating.actions import ACTION_FUNCS, run_action_set
from rating.balances import Balance
from rating.tpactions import ACTION_TYPES
from rating.triggers import ActionTrigger, BalanceFilter

from .support import NOW_NS, account, action, context, money_balance

M, V = "*monetary", "*voice"
D = Decimal


def values(acc: object, btype: str = M) -> list[Decimal]:
    return [b.Value for b in acc.BalanceMap.get(btype, [])]  # type: ignore[attr-defined]


def test_every_v010_identifier_has_a_function() -> None:
    assert set(ACTION_FUNCS) == set(ACTION_TYPES)


def test_unknown_identifier_stops_the_set_and_changes_nothing_kept() -> None:
    acc = account((M, money_balance("a", "1")))
    with pytest.raises(PartiallyExecuted) as info:
        run_action_set(acc, [action("*call_url", weight="1")], context())
    assert str(info.value) == "PARTIALLY_EXECUTED"


# -- top-ups and debits (D.2 consequences) -------------------------------------------------

def test_topup_without_id_adds_to_every_matching_balance() -> None:
    acc = account((M, money_balance("a", "1")), (M, money_balance("b", "2")))
    run_action_set(acc, [action("*topup", Type=M, Value=5)], context())
    assert values(acc) == [D(6), D(7)]


def test_topup_with_id_adds_only_to_that_balance_and_creates_it_when_missing() -> None:
    acc = account((M, Balance("a", "bonus", D(1))), (M, money_balance("b", "2")))
    run_action_set(acc, [action("*topup", Type=M, ID="bonus", Value=5),
                         action("*topup", Type=M, ID="fresh", Value=3)], context())
    assert values(acc) == [D(6), D(2), D(3)]
    assert acc.BalanceMap[M][2].ID == "fresh" and acc.BalanceMap[M][2].Uuid == "uuid-1"


def test_topup_adds_the_absolute_value() -> None:
    acc = account((M, money_balance("a", "1")))
    run_action_set(acc, [action("*topup", Type=M, Value=-5)], context())
    assert values(acc) == [D(6)]


def test_topup_reset_sets_each_matching_balance_to_the_units() -> None:
    acc = account((M, money_balance("a", "1")), (M, money_balance("b", "-2")))
    run_action_set(acc, [action("*topup_reset", Type=M, Value=5)], context())
    assert values(acc) == [D(5), D(5)]


def test_topup_with_relative_expiry_never_matches_an_older_balance() -> None:
    acc = account((M, Balance("a", "", D(1), ExpirationDate=NOW_NS + 10**12)))
    run_action_set(acc, [action("*topup", Type=M, Value=5, expiry="*monthly")], context())
    assert values(acc) == [D(1), D(5)]
    from datetime import UTC

    assert acc.BalanceMap[M][1].ExpirationDate == resolve_expiry("*monthly", NOW_NS, UTC)


def test_topups_never_match_expired_balances() -> None:
    acc = account((M, Balance("a", "x", D(1), ExpirationDate=NOW_NS - 1)))
    run_action_set(acc, [action("*topup", Type=M, ID="x", Value=5)], context())
    # a new balance was made; the expired one was then cleaned up by trigger evaluation
    assert [(b.ID, b.Value) for b in acc.BalanceMap[M]] == [("x", D(5))]


def test_debit_may_go_negative_and_creates_with_minus_units() -> None:
    acc = account((M, money_balance("a", "1")))
    run_action_set(acc, [action("*debit", Type=M, Value=3),
                         action("*debit", Type=V, ID="v", Value=10)], context())
    assert values(acc) == [D(-2)] and values(acc, V) == [D(-10)]


def test_debit_reset_sets_matching_balances_to_minus_units() -> None:
    acc = account((M, money_balance("a", "8")))
    run_action_set(acc, [action("*debit_reset", Type=M, Value=3)], context())
    assert values(acc) == [D(-3)]


def test_topup_zero_negative_zeroes_negatives_then_subtracts_units() -> None:
    acc = account((M, money_balance("a", "-4")), (M, money_balance("b", "2")))
    run_action_set(acc, [action("*topup_zero_negative", Type=M)], context())
    assert values(acc) == [D(0), D(2)]


def test_default_balance_topup_creates_only_id_and_value() -> None:
    acc = account()
    run_action_set(acc, [action("*topup", Type=M, ID="*default", Value=5, Weight=D(9))],
                   context())
    b = acc.BalanceMap[M][0]
    assert (b.ID, b.Value, b.Weight) == ("*default", D(5), D(0))


def test_topup_takes_a_unit_factor_from_extra_parameters() -> None:
    acc = account()
    run_action_set(acc, [action("*topup", Type="*generic", Value=100, extra='{"*voice": 60}')],
                   context())
    assert acc.BalanceMap["*generic"][0].Factor == {V: D(60)}


def test_topup_without_balance_type_is_refused() -> None:
    with pytest.raises(PartiallyExecuted):
        run_action_set(account(), [action("*topup", Value=5)], context())


def test_action_filter_runs_the_action_only_when_a_balance_matches() -> None:
    negative = '{"*and":[{"Value":{"*lt":0}},{"Id":{"*eq":"*default"}}]}'
    acc = account((M, Balance("d", "*default", D(-3))))
    run_action_set(acc, [action("*topup_reset", Type=M, ID="*default", Value=0, flt=negative),
                         action("*topup", Type=M, ID="bonus", Value=1, flt=negative)],
                   context())
    assert values(acc) == [D(0)]  # the second action's filter no longer matched


def test_actions_run_in_weight_order() -> None:
    acc = account((M, money_balance("a", "0")))
    run_action_set(acc, [action("*topup", "1", Type=M, Value=5),
                         action("*topup_reset", "9", Type=M, Value=1)], context())
    assert values(acc) == [D(6)]  # reset to 1 first (weight 9), then +5


# -- set, remove, expiry, transfer, reset ------------------------------------------------------

def test_set_balance_by_id_creates_then_overwrites_given_fields() -> None:
    acc = account()
    run_action_set(acc, [action("*set_balance", Type=V, ID="free", Value=120, Weight=D(20),
                                DestinationIDs={"DST_1003": True})], context())
    b = acc.BalanceMap[V][0]
    assert (b.ID, b.Value, b.Weight, b.DestinationIDs, b.Categories) == (
        "free", D(120), D(20), {"DST_1003": True}, None)
    run_action_set(acc, [action("*set_balance", Type=V, ID="free", Value=60)], context())
    assert (b.Value, b.Weight) == (D(60), D(20))


def test_set_balance_by_unknown_uuid_fails() -> None:
    with pytest.raises(PartiallyExecuted):
        run_action_set(account(), [action("*set_balance", Type=M, Uuid="nope", Value=1)],
                       context())


def test_set_balance_of_default_only_sets_value() -> None:
    acc = account((M, Balance("d", "*default", D(1), Weight=D(3))))
    run_action_set(acc, [action("*set_balance", Type=M, ID="*default", Value=9,
                                Weight=D(7))], context())
    assert (acc.BalanceMap[M][0].Value, acc.BalanceMap[M][0].Weight) == (D(9), D(3))


def test_remove_balance_deletes_matches_and_reports_none() -> None:
    acc = account((M, Balance("a", "x", D(1))), (M, Balance("b", "y", D(2))))
    run_action_set(acc, [action("*remove_balance", Type=M, ID="x")], context())
    assert [b.ID for b in acc.BalanceMap[M]] == ["y"]
    with pytest.raises(PartiallyExecuted):
        run_action_set(acc, [action("*remove_balance", Type=M, ID="x")], context())


def test_remove_expired_deletes_expired_balances_of_the_type() -> None:
    acc = account((M, Balance("a", "old", D(1), ExpirationDate=NOW_NS - 1)),
                  (M, Balance("b", "new", D(2))))
    run_action_set(acc, [action("*remove_expired", Type=M)], context())
    assert [b.ID for b in acc.BalanceMap[M]] == ["new"]
    with pytest.raises(PartiallyExecuted):
        run_action_set(acc, [action("*remove_expired", Type=M)], context())


def test_set_expiry_ignores_expiry_when_matching() -> None:
    acc = account((M, Balance("a", "x", D(1), ExpirationDate=NOW_NS + 5)))
    run_action_set(acc, [action("*set_expiry", Type=M, ID="x", expiry="*month_end")], context())
    from datetime import UTC

    assert acc.BalanceMap[M][0].ExpirationDate == resolve_expiry("*month_end", NOW_NS, UTC)


def test_transfer_monetary_default_moves_positive_values() -> None:
    acc = account((M, Balance("d", "*default", D(1))), (M, Balance("a", "x", D(4))),
                  (M, Balance("b", "y", D(-2))))
    run_action_set(acc, [action("*transfer_monetary_default", Type=M)], context())
    assert values(acc) == [D(5), D(0), D(-2)]


def test_reset_account_leaves_one_empty_balance_per_type_and_resets_triggers() -> None:
    trigger = ActionTrigger("G", "t1", "*min_balance", D(-100), Executed=True,
                            Balance=BalanceFilter(Type=M), ActionsID="NONE")
    acc = account((M, money_balance("a", "4")), (M, money_balance("b", "5")),
                  (V, money_balance("c", "9")), ActionTriggers=[trigger])
    run_action_set(acc, [action("*reset_account")], context())
    assert values(acc) == [D(0)] and values(acc, V) == [D(0)]
    assert not trigger.Executed


# -- flags and triggers ------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("kind", "field", "before", "after"),
    [("*allow_negative", "AllowNegative", False, True),
     ("*deny_negative", "AllowNegative", True, False),
     ("*enable_account", "Disabled", True, False),
     ("*disable_account", "Disabled", False, True)],
)
def test_flag_actions(kind: str, field: str, before: bool, after: bool) -> None:
    acc = account(**{field: before})
    run_action_set(acc, [action(kind)], context())
    assert getattr(acc, field) is after


def _trigger(uid: str, group: str = "G", **kw: object) -> ActionTrigger:
    return ActionTrigger(group, uid, "*max_balance", D(1000), Executed=True,
                         Balance=BalanceFilter(Type=M), ActionsID="NONE", **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("extra", "reset"),
    [("", {"t1", "t2", "t3"}), ('{"GroupID":"G"}', {"t1", "t2"}), ('{"UniqueID":"t3"}', {"t3"}),
     ('{"ThresholdType":"*min_balance"}', set())],
)
def test_reset_triggers_clears_executed_on_matching_triggers(extra: str, reset: set[str]) -> None:
    acc = account(ActionTriggers=[_trigger("t1"), _trigger("t2"), _trigger("t3", "H")])
    run_action_set(acc, [action("*reset_triggers", extra=extra)], context())
    assert {t.UniqueID for t in acc.ActionTriggers or [] if not t.Executed} == reset


def test_set_and_unset_recurrent() -> None:
    acc = account(ActionTriggers=[_trigger("t1")])
    run_action_set(acc, [action("*set_recurrent")], context())
    assert acc.ActionTriggers and acc.ActionTriggers[0].Recurrent
    run_action_set(acc, [action("*unset_recurrent")], context())
    assert not acc.ActionTriggers[0].Recurrent


def test_reset_counters_zeroes_counters() -> None:
    from rating.trigger_eval import init_counters

    trigger = ActionTrigger("G", "c1", "*max_event_counter", D(5),
                            Balance=BalanceFilter(Type=M), ActionsID="NONE")
    acc = account(ActionTriggers=[trigger])
    init_counters(acc)
    assert acc.UnitCounters is not None
    acc.UnitCounters[M][0].Counters[0].Value = D(3)
    run_action_set(acc, [action("*reset_counters", Type=M)], context())
    assert acc.UnitCounters[M][0].Counters[0].Value == 0


# -- effects that leave the account ---------------------------------------------------------

def test_log_records_the_account_json_for_after_the_commit() -> None:
    ctx = context()
    run_action_set(account((M, money_balance("a", "1"))), [action("*log")], ctx)
    assert ctx.effects.logs[0].startswith('LOG Account: {"ID":"cgrates.org:1001"')


def test_http_posts_carry_the_account_json() -> None:
    ctx = context()
    acc = account((M, money_balance("a", "1")))
    run_action_set(acc, [action("*http_post", extra="http://127.0.0.1:9/x"),
                         action("*http_post_async", extra="https://example.invalid/y")], ctx)
    (sync,), (queued,) = ctx.effects.sync_jobs, ctx.effects.jobs
    assert sync["url"] == "http://127.0.0.1:9/x" and queued["url"] == "https://example.invalid/y"
    assert json.loads(queued["body"])["BalanceMap"]["*monetary"][0]["Value"] == 1


def test_http_post_without_a_url_is_refused() -> None:
    with pytest.raises(PartiallyExecuted):
        run_action_set(account(), [action("*http_post_async", extra="not a url")], context())


def test_post_event_posts_the_extra_data() -> None:
    ctx = context(extra_data={"Event": "x"})
    run_action_set(None, [action("*post_event", extra="http://127.0.0.1:9/e")], ctx)
    assert ctx.effects.sync_jobs[0]["body"] == '{"Event":"x"}'


def test_mail_async_queues_a_mail_to_every_address() -> None:
    ctx = context()
    run_action_set(account(), [action("*mail_async", extra="a@x.org;b@x.org,ignored")], ctx)
    job = ctx.effects.jobs[0]
    assert job["to"] == ["a@x.org", "b@x.org"]
    assert job["subject"] == "[CGR Notification] Threshold hit on Balance: cgrates.org:1001"
    assert "CGR Balance Monitor" in job["body"]


def test_cdrlog_writes_one_cdr_per_logged_action_of_the_set() -> None:
    ctx = context()
    acc = account()
    run_action_set(acc, [
        action("*topup", "90", Type=M, ID="Balance_Signup_Bonus", Value=99, Weight=D(1200)),
        action("*debit", "85", Type=M, ID="Balance_Signup_Bonus", Value=1),
        action("*cdrlog", "80", extra='{"Category":"^activation","Destination":"Your sign up Bonus"}'),
        action("*log", "70")], ctx)
    topup, debit = ctx.effects.cdrs
    assert (topup.RunID, topup.Cost, topup.Category, topup.Destination, topup.ToR) == (
        "*topup", D(99), "activation", "Your sign up Bonus", M)
    assert (debit.RunID, debit.Cost, debit.Account, debit.Tenant) == (
        "*debit", D(1), "1001", "cgrates.org")


def test_remove_account_marks_this_account_or_names_another() -> None:
    ctx = context()
    run_action_set(account(), [action("*remove_account")], ctx)
    assert ctx.effects.removed_self
    ctx = context()
    run_action_set(None, [action("*remove_account",
                                 extra='{"Tenant":"cgrates.org","Account":"9"}')], ctx)
    assert ctx.effects.remove_accounts == ["cgrates.org:9"]


@pytest.mark.parametrize("kind", ["*publish_account", "*publish_balance",
                                  "*remove_session_costs"])
def test_publishing_without_thresholds_or_stats_does_nothing(kind: str) -> None:
    acc = account((M, money_balance("a", "1")))
    run_action_set(acc, [action(kind)], context())
    assert values(acc) == [D(1)]


@pytest.mark.parametrize("kind", ["*cgr_rpc", "*amqp_json_map", "*amqpv1_json_map",
                                  "*sqs_json_map", "*kafka_json_map", "*s3_json_map"])
def test_queue_posters_are_not_available(kind: str) -> None:
    with pytest.raises(PartiallyExecuted) as info:
        run_action_set(account(), [action(kind)], context())
    assert isinstance(info.value.__cause__, ActionNotImplemented)


def test_set_ddestinations_needs_a_ddc_destination() -> None:
    with pytest.raises(PartiallyExecuted) as info:
        run_action_set(account(), [action("*set_ddestinations")], context())
    assert str(info.value.__cause__) == "NOT_FOUND"


def test_cdr_account_restores_balances_from_the_last_cdr() -> None:
    from rating.cdrs import Cdr

    acc = account((M, Balance("u1", "main", D(1))))
    cdr = Cdr("x", CostDetails={"AccountSummary": {"BalanceSummaries": [
        {"UUID": "u1", "ID": "main", "Type": M, "Value": D(7), "Disabled": False}]}})
    ctx = context()
    ctx.last_cdr = lambda key: cdr
    run_action_set(acc, [action("*cdr_account")], ctx)
    assert values(acc) == [D(7)]
