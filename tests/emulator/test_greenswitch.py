"""greenswitch's own InboundESL client against the emulator: it connects, authenticates,
subscribes and gets its replies and events as it does from FreeSWITCH."""

from __future__ import annotations

from collections.abc import Iterator

import gevent
import gevent.event
import greenswitch
import pytest

from agent.emulator import Emulator

from .test_fidelity import FAST


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(**FAST) as fs:
        yield fs


@pytest.fixture
def esl(emulator: Emulator) -> Iterator[greenswitch.InboundESL]:
    client = greenswitch.InboundESL(emulator.host, emulator.port, emulator.password)
    client.connect()
    yield client
    client.stop()


def test_connects_and_runs_commands(esl: greenswitch.InboundESL) -> None:
    assert esl.connected
    assert esl.send("api version").data.startswith("FreeSWITCH Version 1.11")
    assert esl.send("api uuid_exists 00000000-0000-0000-0000-000000000000").data == "false"
    reply = esl.send("event plain CHANNEL_PARK")
    assert reply.headers["Reply-Text"] == "+OK event listener enabled plain"
    job = esl.send("bgapi status")
    assert job.headers["Reply-Text"].startswith("+OK Job-UUID: ")


def test_receives_call_events(emulator: Emulator, esl: greenswitch.InboundESL) -> None:
    seen: dict[str, list[greenswitch.esl.ESLEvent]] = {}
    hung_up = gevent.event.Event()
    b_leg: list[str] = []  # the call's -b leg, known once place_call's handle has it

    def record(event: greenswitch.esl.ESLEvent) -> None:
        seen.setdefault(event.headers["Event-Name"], []).append(event)
        if (event.headers["Event-Name"] == "CHANNEL_HANGUP_COMPLETE"
                and event.headers["Unique-ID"] in b_leg):
            hung_up.set()
    for name in ("CHANNEL_CREATE", "CHANNEL_ANSWER", "CHANNEL_PARK", "CHANNEL_HANGUP_COMPLETE"):
        esl.register_handle(name, record)
    esl.send("event plain CHANNEL_CREATE CHANNEL_ANSWER CHANNEL_PARK CHANNEL_HANGUP_COMPLETE")

    call = emulator.place_call(account="1001", destination="2001", context="default",
                               talk_seconds=0.2)
    call.wait_hangup(timeout=10)
    assert call.uuid is not None
    b_leg.append(call.uuid)
    assert hung_up.wait(timeout=10)  # greenswitch's greenlets run (in order) while this waits
    parked = [e for e in seen["CHANNEL_PARK"] if e.headers["Unique-ID"] == call.uuid]
    assert parked and parked[0].headers["variable_cgr_account"] == "1001"
    assert parked[0].headers["Call-Direction"] == "inbound"
    completes = [e.headers for e in seen["CHANNEL_HANGUP_COMPLETE"]]
    complete = next(h for h in completes if h["Unique-ID"] == call.uuid)
    assert complete["Hangup-Cause"] == "NORMAL_CLEARING"
    assert complete["variable_billsec"].isdigit()
    # greenswitch URL-decodes the plain event: the values arrive as FreeSWITCH meant them.
    assert complete["variable_cgr_reqtype"] == "*prepaid"


def test_wrong_password_is_refused(emulator: Emulator) -> None:
    client = greenswitch.InboundESL(emulator.host, emulator.port, "wrong")
    with pytest.raises(ValueError, match="Invalid password"):
        client.connect()
