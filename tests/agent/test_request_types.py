"""*postpaid, *pseudoprepaid, *rated and *none behave as SPEC.md G.3 says."""

from __future__ import annotations

import math
from decimal import Decimal

from agent.emulator import Emulator
from rating.store.base import Store

from .support import balance, cdrs, set_balance


def _cost(billmsec: str) -> Decimal:
    return Decimal(math.ceil(int(billmsec) / 1000)) * Decimal("0.01")


def test_a_postpaid_call_is_not_checked_and_is_charged_at_hangup_even_into_debt(
        fs: Emulator, store: Store, rig_factory) -> None:
    set_balance(store, "1001", "0")
    rig = rig_factory()
    call = fs.place_call("1001", "1002", talk_seconds=1.2, reqtype="*postpaid")
    variables = call.wait_complete(timeout=5)
    rig.wait_settled(call.uuid)
    assert not any("uuid_kill" in c for _, c in call.commands)
    assert balance(store, "1001") == -_cost(variables["billmsec"])
    cdr = rig.cdr(call.uuid)
    assert (cdr["RequestType"], cdr["CostSource"]) == ("*postpaid", "*cdrs")


def test_a_pseudoprepaid_call_is_checked_at_park_but_charged_only_at_hangup(
        fs: Emulator, store: Store, rig_factory) -> None:
    set_balance(store, "1001", "1.00")
    rig = rig_factory()
    call = fs.place_call("1001", "1002", talk_seconds=1.2, reqtype="*pseudoprepaid",
                         context="callmeter_all")
    call.wait_answered(timeout=5)
    rig.idle()
    assert balance(store, "1001") == Decimal("1.00")  # nothing debited while it runs
    variables = call.wait_complete(timeout=5)
    rig.wait_settled(call.uuid)
    assert balance(store, "1001") == Decimal("1.00") - _cost(variables["billmsec"])


def test_a_pseudoprepaid_call_without_credit_is_rejected_at_park(
        fs: Emulator, store: Store, rig_factory) -> None:
    set_balance(store, "1001", "0")
    rig_factory()
    call = fs.place_call("1001", "1002", talk_seconds=1, reqtype="*pseudoprepaid",
                         context="callmeter_all")
    assert call.wait_hangup(timeout=5) == "CALL_REJECTED"


def test_a_rated_call_gets_a_priced_cdr_and_leaves_the_account_alone(
        fs: Emulator, store: Store, rig_factory) -> None:
    set_balance(store, "1001", "0.50")
    rig = rig_factory()
    call = fs.place_call("1001", "1002", talk_seconds=1.2, reqtype="*rated",
                         context="callmeter_all")
    variables = call.wait_complete(timeout=5)
    rig.wait_settled(call.uuid)
    assert any(c.endswith("cgr_notify AUTH_OK") for _, c in call.commands)  # no credit check
    assert balance(store, "1001") == Decimal("0.50")
    assert Decimal(rig.cdr(call.uuid)["Cost"]) == _cost(variables["billmsec"])


def test_a_none_call_is_ignored_entirely(fs: Emulator, store: Store, rig_factory) -> None:
    set_balance(store, "1001", "0.50")
    rig = rig_factory()
    call = fs.place_call("1001", "1002", talk_seconds=0.5, reqtype="*none")
    call.wait_complete(timeout=5)
    rig.idle()
    assert call.commands == []
    assert cdrs(store) == []
