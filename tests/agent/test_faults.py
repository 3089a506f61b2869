"""What goes wrong around a live call, and what the agent does about it."""

from __future__ import annotations

import math
from decimal import Decimal

from agent.emulator import Emulator
from agent.freeswitch import metrics
from rating.store.base import Store
from tests.support.net import wait_for

from .support import Rig, balance, cdrs, record_commands, set_balance, sleep


def _cost(billmsec: str | int) -> Decimal:
    return Decimal(math.ceil(int(billmsec) / 1000)) * Decimal("0.01")


def _commands(call, prefix: str) -> list[str]:
    return [c for _, c in call.commands if c.startswith(prefix)]


def test_a_dropped_event_socket_kills_no_call_and_debits_resume_without_doubling(
        fs: Emulator, store: Store, rig_factory) -> None:
    set_balance(store, "1001", "1.00")
    rig = rig_factory()
    call = fs.place_call("1001", "1002", talk_seconds=3)
    call.wait_answered(timeout=5)
    sleep(0.8)
    connects = rig.agent.switches["fs1"].connects
    assert fs.drop_connections() >= 4
    wait_for(lambda: rig.agent.switches["fs1"].connects > connects, timeout=5,
             what="reconnection")
    variables = call.wait_complete(timeout=10)
    rig.wait_settled(call.uuid)
    assert call.caller_hangup_cause == "NORMAL_CLEARING" and not _commands(call, "api uuid_kill")
    assert balance(store, "1001") == Decimal("1.00") - _cost(variables["billmsec"])
    assert rig.cdr(call.uuid)["Usage"] == int(variables["billmsec"]) * 1_000_000


def test_calls_that_vanish_with_a_restarted_switch_are_settled_for_what_was_reserved(
        fs: Emulator, store: Store, rig_factory) -> None:
    set_balance(store, "1001", "1.00")
    rig = rig_factory(debit_interval="1s")
    call = fs.place_call("1001", "1002", talk_seconds=60)
    call.wait_answered(timeout=5)
    sleep(0.5)
    fs.crash(down_for=0.3)  # kill -9 and a fresh FreeSWITCH: no calls, no events
    rig.wait_settled(call.uuid, timeout=15)
    cdr = rig.cdr(call.uuid)
    assert cdr["ExtraFields"]["DisconnectCause"] == "SYNC_ENDED"
    # Debits went on while the switch was away, paused once the call looked absent, and the
    # call is billed for what was reserved: whole seconds, about the time until the resync.
    seconds = cdr["Usage"] // 1_000_000_000
    assert cdr["Usage"] == seconds * 1_000_000_000 and 1 <= seconds <= 5
    assert balance(store, "1001") == Decimal("1.00") - seconds * Decimal("0.01")


def test_a_sync_that_times_out_kills_nothing_and_never_delays_a_cut_off(
        fs: Emulator, store: Store, rig_factory) -> None:
    set_balance(store, "1001", "0.03")
    release = fs.stall_replies("api show channels")
    failed = metrics.SYNCS.labels("fs1", "failed")._value.get()
    try:
        rig = rig_factory(channel_sync_interval="500ms")
        call = fs.place_call("1001", "1002", talk_seconds=30)
        answered = call.wait_answered(timeout=5)
        sent_at, _ = call.wait_command("api uuid_kill", timeout=6)
        assert abs(sent_at - (answered.wall + 3.0)) < 0.2
        call.wait_complete(timeout=5)
        rig.wait_settled(call.uuid)
    finally:
        release()
    assert metrics.SYNCS.labels("fs1", "failed")._value.get() > failed
    assert balance(store, "1001") == Decimal("0")


def test_an_unstable_sync_never_ends_a_call_that_is_still_up(
        fs: Emulator, store: Store, rig_factory) -> None:
    set_balance(store, "1001", "1.00")
    fs.delay_replies("api show channels", 2.5)  # beyond the 2 s command timeout
    rig = rig_factory(channel_sync_interval="300ms")
    call = fs.place_call("1001", "1002", talk_seconds=4)
    variables = call.wait_complete(timeout=10)
    rig.wait_settled(call.uuid)
    fs.clear_faults()
    assert call.caller_hangup_cause == "NORMAL_CLEARING"
    assert balance(store, "1001") == Decimal("1.00") - _cost(variables["billmsec"])


def test_a_hangup_answered_with_no_such_channel_counts_as_done(
        fs: Emulator, store: Store, rig_factory) -> None:
    set_balance(store, "1001", "0.03")
    rig = rig_factory()
    fs.hold_events("CHANNEL_HANGUP_COMPLETE", until="NEVER")
    seen = record_commands(fs)
    call = fs.place_call("1001", "1002", talk_seconds=2.0)  # gone before its 3 s are over
    call.wait_hangup(timeout=5)
    wait_for(lambda: any(c.startswith("api uuid_kill") for c in seen), timeout=3,
             what="the cut-off")
    sleep(1.2)  # past the moment the agent would check the hangup and try again
    rig.idle()
    fs.clear_faults()
    rig.wait_settled(call.uuid)
    assert len([c for c in seen if c.startswith(f"api uuid_kill {call.uuid}")]) == 1
    assert not [c for c in seen if c.startswith("api uuid_exists")]
    assert balance(store, "1001") == Decimal("0.03") - _cost(call.variables["billmsec"])


def test_an_answer_that_arrives_after_the_hangup_starts_no_debit_loop(
        fs: Emulator, store: Store, rig_factory) -> None:
    set_balance(store, "1001", "1.00")
    rig = rig_factory()
    fs.hold_events("CHANNEL_ANSWER", until="CHANNEL_HANGUP_COMPLETE")
    call = fs.place_call("1001", "1002", talk_seconds=0.5)
    variables = call.wait_complete(timeout=5)
    rig.wait_settled(call.uuid)
    sleep(0.6)  # a debit loop, had one started, would debit within this
    rig.idle()
    assert call.uuid not in rig.agent.sessions
    assert not _commands(call, "api sched_hangup")
    assert balance(store, "1001") == Decimal("1.00") - _cost(variables["billmsec"])


def test_a_hangup_event_delivered_twice_is_settled_once(
        fs: Emulator, store: Store, rig_factory) -> None:
    set_balance(store, "1001", "1.00")
    rig = rig_factory()
    fs.duplicate_events("CHANNEL_HANGUP_COMPLETE", times=2)
    call = fs.place_call("1001", "1002", talk_seconds=1.2)
    variables = call.wait_complete(timeout=5)
    rig.wait_settled(call.uuid)
    rig.idle()
    assert balance(store, "1001") == Decimal("1.00") - _cost(variables["billmsec"])
    assert len(cdrs(store, "1001")) == 1


def test_two_agents_on_one_switch_and_store_charge_a_call_once(
        fs: Emulator, store: Store) -> None:
    set_balance(store, "1001", "1.00")
    rigs = [Rig([fs], store).start(), Rig([fs], store).start()]
    try:
        call = fs.place_call("1001", "1002", talk_seconds=1.5)
        variables = call.wait_complete(timeout=5)
        for rig in rigs:
            rig.wait_settled(call.uuid)
            rig.idle()
    finally:
        for rig in rigs:
            rig.stop()
    assert balance(store, "1001") == Decimal("1.00") - _cost(variables["billmsec"])
    assert len(cdrs(store, "1001")) == 1
