"""sched_hangup / sched_transfer / sched_broadcast / sched_del with switch_scheduler.c's
whole-second semantics, on the emulator's clock."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest

from agent.emulator import Emulator

from .esl import Esl
from .test_fidelity import FAST


@pytest.fixture
def fs() -> Iterator[Emulator]:
    with Emulator(**FAST) as emulator:
        yield emulator


@pytest.fixture
def esl(fs: Emulator) -> Iterator[Esl]:
    client = Esl(fs.port)
    client.command("event plain ADD_SCHEDULE DEL_SCHEDULE CHANNEL_HANGUP CHANNEL_EXECUTE "
                   "CHANNEL_UNPARK PRIVATE_COMMAND")
    yield client
    client.close()


def parked_call(fs: Emulator) -> str:
    call = fs.place_call(account="1001", talk_seconds=None)
    call.wait_parked()
    assert call.uuid is not None
    return call.uuid


def to_fraction(fs: Emulator, fraction: float) -> float:
    """Move the emulator's clock to the next moment whose fractional second is `fraction`."""
    now = fs.now()
    target = math.floor(now) + fraction
    if target <= now:
        target += 1
    fs.advance_clock(target - now)
    return fs.now()


@pytest.mark.parametrize("fraction", [0.05, 0.95])
def test_plus_n_is_the_current_whole_second_plus_n(fs: Emulator, esl: Esl,
                                                   fraction: float) -> None:
    uuid = parked_call(fs)
    armed = to_fraction(fs, fraction)
    assert esl.api(f"sched_hangup +3 {uuid}") == "+OK\n"
    added = esl.wait_event("ADD_SCHEDULE")
    runtime = int(added.get("Task-Runtime") or 0)
    assert runtime == math.floor(armed) + 3
    assert added.get("Task-Desc") == "switch_ivr_schedule_hangup"
    # Nothing happens before the runtime; the next 0.5 s pass after it hangs up.
    fs.advance_clock(runtime - fs.now() - 0.2)
    assert not esl.events("CHANNEL_HANGUP", uuid)
    skipped = fs.fast_forward(periodic=False)
    assert skipped < 0.5
    hangup = esl.wait_event("CHANNEL_HANGUP", uuid)
    assert hangup.get("Hangup-Cause") == "ALLOTTED_TIMEOUT"  # the default cause
    assert fs.now() - armed == pytest.approx(3 - fraction, abs=0.3)
    deleted = esl.wait_event("DEL_SCHEDULE")
    assert deleted.get("Task-ID") == added.get("Task-ID")


def test_an_absolute_epoch_and_a_cause(fs: Emulator, esl: Esl) -> None:
    uuid = parked_call(fs)
    when = int(fs.now()) + 7
    assert esl.api(f"sched_hangup {when} {uuid} NORMAL_UNSPECIFIED") == "+OK\n"
    assert int(esl.wait_event("ADD_SCHEDULE").get("Task-Runtime") or 0) == when
    fs.fast_forward(periodic=False)
    assert esl.wait_event("CHANNEL_HANGUP", uuid).get("Hangup-Cause") == "NORMAL_UNSPECIFIED"


def test_sched_del_by_uuid_and_by_task_id(fs: Emulator, esl: Esl) -> None:
    uuid = parked_call(fs)
    esl.api(f"sched_hangup +30 {uuid}")
    esl.api(f"sched_hangup +40 {uuid}")
    first = esl.wait_event("ADD_SCHEDULE", count=1).get("Task-ID")
    assert esl.api(f"sched_del {first}") == "+OK Deleted: 1\n"
    assert esl.api(f"sched_del {first}") == "+OK Deleted: 0\n"
    assert esl.api(f"sched_del {uuid}") == "+OK Deleted: 1\n"
    assert esl.api(f"sched_del {uuid}") == "+OK Deleted: 0\n"
    # sched_del answers at once; the DEL_SCHEDULE events come with the next pass.
    esl.wait_event("DEL_SCHEDULE", count=2)
    fs.advance_clock(60)
    assert esl.api(f"uuid_exists {uuid}") == "true"
    assert not esl.events("CHANNEL_HANGUP", uuid)


def test_the_core_tasks_cannot_be_deleted(esl: Esl) -> None:
    assert esl.api("sched_del 1") == "+OK Deleted: 0\n"  # heartbeat (group core)


def test_sched_hangup_of_an_unknown_channel(esl: Esl) -> None:
    reply = esl.api("sched_hangup +5 00000000-0000-4000-8000-000000000000")
    assert reply == "-ERR No such channel!\n"


def test_sched_transfer_runs_the_dialplan_again(fs: Emulator, esl: Esl) -> None:
    call = fs.place_call(account="1001", talk_seconds=None)
    call.wait_parked()
    assert call.uuid is not None
    esl.api(f"uuid_setvar {call.uuid} cgr_notify AUTH_OK")
    assert esl.api(f"sched_transfer +2 {call.uuid} 1002 XML callmeter_prepaid") == "+OK\n"
    assert esl.wait_event("ADD_SCHEDULE").get("Task-Desc") == "switch_ivr_schedule_transfer"
    fs.fast_forward(periodic=False)
    call.wait_answered()


def test_sched_broadcast_plays_on_the_channel(fs: Emulator, esl: Esl) -> None:
    uuid = parked_call(fs)
    reply = esl.api(f"sched_broadcast +1 {uuid} silence_stream://100")
    assert reply == "+OK Message Scheduled\n"
    assert esl.wait_event("ADD_SCHEDULE").get("Task-Desc") == "switch_ivr_schedule_broadcast"
    fs.fast_forward(periodic=False)
    played = esl.wait_event("CHANNEL_EXECUTE", uuid, count=2)  # park, then the broadcast
    assert played.get("Application") == "playback"
    assert played.get("Application-Data") == "silence_stream://100"
    esl.wait_event("PRIVATE_COMMAND", uuid)
