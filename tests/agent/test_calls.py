"""Prepaid calls end to end: emulated FreeSWITCH ⇄ agent ⇄ engine ⇄ SQLite, over real TCP."""

from __future__ import annotations

import math
from decimal import Decimal

from agent.emulator import Emulator
from rating.store.base import Store

from .support import balance, set_balance


def _charged_seconds(billmsec: int) -> int:
    return math.ceil(billmsec / 1000)


def test_a_call_that_ends_before_the_money_is_charged_exactly_and_refunded(
        fs: Emulator, store: Store, rig_factory) -> None:
    set_balance(store, "1001", "1.00")
    rig = rig_factory()
    call = fs.place_call("1001", "1002", talk_seconds=1.5)
    variables = call.wait_complete(timeout=10)
    rig.wait_settled(call.uuid)
    charged = Decimal(_charged_seconds(int(variables["billmsec"]))) * Decimal("0.01")
    assert balance(store, "1001") == Decimal("1.00") - charged
    cdr = rig.cdr(call.uuid)
    assert Decimal(cdr["Cost"]) == charged
    assert cdr["Usage"] == int(variables["billmsec"]) * 1_000_000
    assert call.caller_hangup_cause == "NORMAL_CLEARING"


def test_a_call_is_cut_when_the_money_runs_out_and_the_account_ends_at_zero(
        fs: Emulator, store: Store, rig_factory) -> None:
    set_balance(store, "1001", "0.03")  # 3 s at 1 cent per second
    rig = rig_factory()
    call = fs.place_call("1001", "1002", talk_seconds=30)
    answered = call.wait_answered(timeout=5)
    sent_at, line = call.wait_command("api uuid_kill", timeout=6)
    assert line.endswith("MANAGER_REQUEST")
    assert abs(sent_at - (answered.wall + 3.0)) < 0.2
    call.wait_complete(timeout=5)
    rig.wait_settled(call.uuid)
    assert call.hangup_cause == "MANAGER_REQUEST"
    assert balance(store, "1001") == Decimal("0")
    assert Decimal(rig.cdr(call.uuid)["Cost"]) == Decimal("0.03")


def test_a_call_without_money_is_rejected_at_park(fs: Emulator, store: Store,
                                                   rig_factory) -> None:
    set_balance(store, "1001", "0")
    rig = rig_factory()
    call = fs.place_call("1001", "1002", talk_seconds=5)
    assert call.wait_hangup(timeout=5) == "CALL_REJECTED"
    assert not call.seen("CHANNEL_ANSWER")
    assert any("cgr_notify INSUFFICIENT_CREDIT" in c for _, c in call.commands)
    assert not any("execute_on_answer" in c for _, c in call.commands)
    rig.idle()
    assert call.uuid not in rig.agent.sessions


def test_a_call_of_an_unknown_account_is_rejected_with_the_engine_error(
        fs: Emulator, store: Store, rig_factory) -> None:
    rig_factory()
    call = fs.place_call("9999", "1002", talk_seconds=5)
    assert call.wait_hangup(timeout=5) == "CALL_REJECTED"
    assert any(c.endswith("cgr_notify RALS_ERROR:ACCOUNT_NOT_FOUND") for _, c in call.commands)


def test_an_authorized_call_gets_a_backstop_that_never_fires_before_its_money_ends(
        fs: Emulator, store: Store, rig_factory) -> None:
    set_balance(store, "1001", "0.05")
    rig_factory()
    call = fs.place_call("1001", "1002", talk_seconds=1)
    call.wait_complete(timeout=5)
    setvar = [c for _, c in call.commands if "execute_on_answer" in c]
    # 5 s allowed: armed at answer as "+7" (whole seconds, can fire a second early, + margin)
    assert setvar == [f"api uuid_setvar {call.uuid} execute_on_answer "
                      "sched_hangup +7 ALLOTTED_TIMEOUT"]
    notify = [c for _, c in call.commands if "cgr_notify" in c]
    assert notify == [f"api uuid_setvar {call.uuid} cgr_notify AUTH_OK"]


def _sched_hangups(call) -> list[int]:
    return [int(c.split()[2]) for _, c in call.commands if c.startswith("api sched_hangup ")]


def test_after_answer_the_backstop_sits_where_the_account_runs_out_as_an_epoch(
        fs: Emulator, store: Store, rig_factory) -> None:
    set_balance(store, "1001", "1.00")  # 100 s
    rig_factory()
    call = fs.place_call("1001", "1002", talk_seconds=1.2)
    answered_us = int(call.wait_answered(timeout=5).get("Caller-Channel-Answered-Time"))
    call.wait_complete(timeout=5)
    lines = [c for _, c in call.commands if c.startswith(("api sched_del", "api sched_hangup"))]
    assert lines[0] == f"api sched_del {call.uuid}"
    [epoch] = _sched_hangups(call)  # the account alone: it never moves
    assert lines[1] == f"api sched_hangup {epoch} {call.uuid} ALLOTTED_TIMEOUT"
    # 100 s of money + 1 s margin, never earlier (sched_hangup <epoch> fires at or after it)
    assert answered_us + 101_000_000 <= epoch * 1_000_000 < answered_us + 102_000_000


def test_a_second_call_on_the_account_pulls_the_first_calls_backstop_earlier(
        fs: Emulator, store: Store, rig_factory) -> None:
    set_balance(store, "1001", "0.40")  # 40 s, then two calls share it
    rig_factory()
    first = fs.place_call("1001", "1002", talk_seconds=3)
    first.wait_answered(timeout=5)
    second = fs.place_call("1001", "1002", talk_seconds=2)
    second.wait_complete(timeout=5)
    first.wait_complete(timeout=5)
    epochs = _sched_hangups(first)
    assert len(epochs) >= 2 and epochs[-1] < epochs[0]


def test_one_agent_meters_several_switches_and_commands_go_to_the_right_one(
        fs: Emulator, store: Store) -> None:
    from agent.emulator import Emulator as Switch

    from .support import PARK_ALL, Rig, stop_emulator
    other = Switch(dialplan_files=[PARK_ALL]).start()
    set_balance(store, "1001", "0.02")
    set_balance(store, "1002", "1.00")
    rig = Rig([fs, other], store).start()
    try:
        cut = fs.place_call("1001", "1002", talk_seconds=10)
        done = other.place_call("1002", "1002", talk_seconds=1.2)
        assert cut.wait_hangup(timeout=6) == "MANAGER_REQUEST"
        done.wait_complete(timeout=6)
        rig.wait_settled(cut.uuid)
        rig.wait_settled(done.uuid)
        assert {rig.cdr(cut.uuid)["OriginHost"], rig.cdr(done.uuid)["OriginHost"]} == {"fs1",
                                                                                   "fs2"}
        assert any("uuid_kill" in c for _, c in cut.commands)
        assert any("uuid_transfer" in c for _, c in done.commands)
        assert balance(store, "1001") == Decimal("0")
    finally:
        rig.stop()
        stop_emulator(other)
