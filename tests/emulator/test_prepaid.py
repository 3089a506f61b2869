"""The callmeter_prepaid context as the emulator runs it, driven the way the agent drives it:
park, uuid_setvar cgr_notify (+ execute_on_answer sched_hangup), uuid_transfer back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.emulator import CallTimeout, Emulator

from .esl import Esl
from .test_fidelity import FAST

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fs() -> Iterator[Emulator]:
    with Emulator(**FAST) as emulator:
        yield emulator


@pytest.fixture
def esl(fs: Emulator) -> Iterator[Esl]:
    client = Esl(fs.port)
    yield client
    client.close()


def authorize(esl: Esl, uuid: str, notify: str, seconds: int | None = None,
              cause: str = "ALLOTTED_TIMEOUT") -> None:
    assert esl.api(f"uuid_setvar {uuid} cgr_notify {notify}") == "+OK\n"
    if seconds is not None:
        reply = esl.api(f"uuid_setvar {uuid} execute_on_answer sched_hangup +{seconds} {cause}")
        assert reply == "+OK\n"
    assert esl.api(f"uuid_transfer {uuid} 1002 XML callmeter_prepaid") == "+OK\n"


def test_the_shipped_dialplan_is_the_builtin_one() -> None:
    shipped = ROOT / "conf" / "freeswitch" / "dialplan" / "callmeter_prepaid.xml"
    builtin = ROOT / "agent" / "emulator" / "dialplan" / "callmeter_prepaid.xml"
    assert shipped.read_text() == builtin.read_text()


def test_a_prepaid_call_parks_until_authorized(fs: Emulator, esl: Esl) -> None:
    call = fs.place_call(account="1001", talk_seconds=None)
    parked = call.wait_parked()
    assert call.uuid is not None and not call.seen("CHANNEL_ANSWER")
    assert esl.api(f"uuid_getvar {call.uuid} cgr_account") == "1001"
    assert esl.api(f"uuid_getvar {call.uuid} cgr_notify") == "_undef_"
    authorize(esl, call.uuid, "AUTH_OK")
    answered = call.wait_answered()
    assert answered.wall >= parked.wall
    transferred_at, line = call.wait_command("api uuid_transfer")
    assert line == f"api uuid_transfer {call.uuid} 1002 XML callmeter_prepaid"
    assert parked.wall <= transferred_at <= answered.wall
    assert {c["uuid"] for c in fs.channels()} == {call.a_uuid, call.uuid}
    assert call.seen("CHANNEL_UNPARK")
    fs.hangup(call.a_uuid)
    assert call.wait_hangup() == "NORMAL_CLEARING"


@pytest.mark.parametrize("notify", ["AUTH_OK", "+AUTH_OK"])
def test_authorized_spellings_reach_the_callee(fs: Emulator, esl: Esl, notify: str) -> None:
    call = fs.place_call(account="1001", talk_seconds=0.1)
    call.wait_parked()
    assert call.uuid is not None
    authorize(esl, call.uuid, notify)
    call.wait_answered()
    assert call.wait_hangup() == "NORMAL_CLEARING"


def test_a_refused_call_is_rejected(fs: Emulator, esl: Esl) -> None:
    call = fs.place_call(account="1001", talk_seconds=10)
    call.wait_parked()
    assert call.uuid is not None
    authorize(esl, call.uuid, "INSUFFICIENT_CREDIT")
    assert call.wait_hangup() == "CALL_REJECTED"
    assert not call.seen("CHANNEL_ANSWER")
    assert call.wait_complete()["hangup_cause"] == "CALL_REJECTED"


def test_a_postpaid_call_is_answered_without_parking(fs: Emulator) -> None:
    call = fs.place_call(account="1001", reqtype="*postpaid", talk_seconds=2)
    call.wait_answered()
    assert not call.seen("CHANNEL_PARK")
    fs.advance_clock(2.0)
    assert call.wait_hangup() == "NORMAL_CLEARING"
    variables = call.wait_complete()
    assert int(variables["billsec"]) in (1, 2, 3)  # whole-second differences (fixtures README)
    assert call.caller_hangup_cause == "NORMAL_CLEARING"


def test_the_callee_rings_for_ring_seconds(fs: Emulator, esl: Esl) -> None:
    call = fs.place_call(account="1001", ring_seconds=30)
    call.wait_parked()
    assert call.uuid is not None
    authorize(esl, call.uuid, "AUTH_OK")
    with pytest.raises(CallTimeout):
        call.wait_answered(timeout=0.3)
    fs.advance_clock(30.0)
    call.wait_answered()


@pytest.mark.parametrize(("cause", "expected"), [
    ("ALLOTTED_TIMEOUT", "ALLOTTED_TIMEOUT"),
    # "alloted_timeout" (one L, as CGRateS writes it) is no cause name: switch_channel_str2cause
    # gives NONE and the hangup turns that into NORMAL_CLEARING (fixtures README).
    ("alloted_timeout", "NORMAL_CLEARING"),
])
def test_execute_on_answer_arms_the_cut_off(fs: Emulator, esl: Esl, cause: str,
                                            expected: str) -> None:
    call = fs.place_call(account="1001", talk_seconds=600)
    call.wait_parked()
    assert call.uuid is not None
    esl.command("event plain ADD_SCHEDULE DEL_SCHEDULE")
    authorize(esl, call.uuid, "AUTH_OK", seconds=5, cause=cause)
    answered = call.wait_answered()
    added = esl.wait_event("ADD_SCHEDULE")
    assert added.get("Task-Desc") == "switch_ivr_schedule_hangup"
    assert added.get("Task-Group") == call.uuid
    # "+5" is the answer's whole second plus 5 (switch_scheduler.c).
    assert int(added.get("Task-Runtime") or 0) == int(answered.wall) + 5
    fs.fast_forward(periodic=False)
    assert call.wait_hangup() == expected
    esl.wait_event("DEL_SCHEDULE")
