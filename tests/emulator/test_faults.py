"""Faults on demand: drop, crash and restart, shutdown, slow or missing replies, reordered,
held back and duplicated events."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from agent.emulator import Emulator

from .esl import Esl
from .test_fidelity import FAST


@pytest.fixture
def fs() -> Iterator[Emulator]:
    with Emulator(**FAST, shutdown_linger=0.05) as emulator:
        yield emulator


def test_drop_cuts_the_connections_and_the_calls_go_on(fs: Emulator) -> None:
    call = fs.place_call(account="1001", talk_seconds=None)
    call.wait_parked()
    client = Esl(fs.port)
    fs.wait_connections(1)
    assert fs.drop_connections() == 1
    assert client.wait_eof()
    assert not any(m.content_type == "text/disconnect-notice" for m in client.messages)
    again = Esl(fs.port)
    assert again.api(f"uuid_exists {call.uuid}") == "true"
    again.close()


def test_crash_refuses_connections_then_comes_back_fresh(fs: Emulator) -> None:
    call = fs.place_call(account="1001", talk_seconds=None)
    call.wait_parked()
    client = Esl(fs.port)
    client.command("event plain ALL")
    fs.fast_forward()
    core_uuid = client.wait_event("HEARTBEAT").get("Core-UUID")
    status_before = client.api("status")
    fs.crash(down_for=60.0)
    assert client.wait_eof()
    assert client.messages[-1].content_type != "text/disconnect-notice"
    assert not client.events("CHANNEL_HANGUP")  # a crash hangs nothing up in anyone's view
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((fs.host, fs.port), timeout=2).close()
    fs.advance_clock(60.0)  # the emulated outage ends with the clock
    fs.wait_until(lambda: fs.server.running, what="the restart")
    fresh = Esl(fs.port)
    assert fresh.api("show calls") == "\n0 total.\n"
    assert fresh.api(f"uuid_exists {call.uuid}") == "false"
    assert fresh.api("status") != status_before
    fresh.command("event plain HEARTBEAT")
    fs.fast_forward()
    assert fresh.wait_event("HEARTBEAT").get("Core-UUID") != core_uuid
    fresh.close()


def test_shutdown_says_goodbye_then_restart(fs: Emulator) -> None:
    call = fs.place_call(account="1001", talk_seconds=None)
    call.wait_parked()
    client = Esl(fs.port)
    client.command("event plain CHANNEL_HANGUP SHUTDOWN")
    fs.shutdown()
    assert client.wait_eof()
    notice = client.messages[-1]
    assert notice.content_type == "text/disconnect-notice"
    assert notice.text() == "The system is being shut down.\n"
    assert call.wait_hangup() == "SYSTEM_SHUTDOWN"
    assert client.events("SHUTDOWN")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((fs.host, fs.port), timeout=2).close()
    fs.restart()
    Esl(fs.port).close()


def test_fsctl_shutdown_from_a_client(fs: Emulator) -> None:
    watcher = Esl(fs.port)
    sender = Esl(fs.port)
    assert sender.api("fsctl shutdown") == "+OK\n"
    assert watcher.wait_eof() and sender.wait_eof()
    assert watcher.messages[-1].text() == "The system is being shut down.\n"


def test_delayed_and_stalled_replies(fs: Emulator) -> None:
    client = Esl(fs.port)
    fs.delay_replies("api status", 0.3)
    started = time.monotonic()
    assert client.api("status").startswith("UP ")
    assert time.monotonic() - started >= 0.3
    release = fs.stall_replies("api version")
    client.send(b"api version\n\n")
    assert not client.wait(lambda: len(client.replies()) > 3, timeout=0.2)
    release()
    client.wait_until(lambda: len(client.replies()) > 3)
    assert client.replies()[3].text().startswith("FreeSWITCH Version")
    fs.clear_faults()
    started = time.monotonic()
    client.api("status")
    assert time.monotonic() - started < 0.3


def test_duplicated_and_held_events(fs: Emulator) -> None:
    client = Esl(fs.port)
    client.command("event plain CHANNEL_ANSWER CHANNEL_PARK CHANNEL_HANGUP_COMPLETE")
    fs.duplicate_events("CHANNEL_PARK")
    fs.hold_events("CHANNEL_ANSWER", until="CHANNEL_HANGUP_COMPLETE")
    call = fs.place_call(account="1001", reqtype="*postpaid", destination="2001",
                         context="default", talk_seconds=0.05)
    call.wait_complete()
    client.wait_event("CHANNEL_ANSWER", call.uuid)
    assert [e.name for e in client.events(uuid=call.uuid)].count("CHANNEL_PARK") == 2
    # Every CHANNEL_ANSWER (both legs) was held until the first HANGUP_COMPLETE went out.
    names = [e.name for e in client.events()]
    assert names.index("CHANNEL_ANSWER") > names.index("CHANNEL_HANGUP_COMPLETE")


def test_faults_aimed_at_one_call(fs: Emulator) -> None:
    client = Esl(fs.port)
    client.command("event plain CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE")
    other = fs.place_call(account="1002", reqtype="*postpaid", destination="2001",
                          context="default", talk_seconds=0.05)
    call = fs.place_call(account="1001", reqtype="*postpaid", destination="2001",
                         context="default", talk_seconds=0.05)
    fs.hold_events("CHANNEL_ANSWER", until="CHANNEL_HANGUP_COMPLETE", call=call)
    fs.duplicate_events("CHANNEL_HANGUP_COMPLETE", call=call)
    call.wait_complete()
    other.wait_complete()
    client.wait_event("CHANNEL_HANGUP_COMPLETE", call.uuid, count=2)
    client.wait_event("CHANNEL_ANSWER", call.uuid)
    mine = [e.name for e in client.events(uuid=call.uuid)]
    assert mine == ["CHANNEL_HANGUP_COMPLETE", "CHANNEL_HANGUP_COMPLETE", "CHANNEL_ANSWER"]
    theirs = [e.name for e in client.events(uuid=other.uuid)]
    assert theirs == ["CHANNEL_ANSWER", "CHANNEL_HANGUP_COMPLETE"]


def test_reordered_events_keep_each_channels_order(fs: Emulator) -> None:
    client = Esl(fs.port)
    client.command("event plain ALL")
    fs.reorder_events(max_shift=3, seed=7)
    calls = [fs.place_call(account="1001", reqtype="*postpaid", destination="2001",
                           context="default", talk_seconds=0.05) for _ in range(4)]
    for call in calls:
        call.wait_complete()
    fs.clear_faults()  # whatever is still delayed goes out now
    for call in calls:
        client.wait_event("CHANNEL_DESTROY", call.uuid)
    events = client.events()
    sequences = [int(e.get("Event-Sequence") or 0) for e in events]
    assert sequences != sorted(sequences)  # some arrived out of Event-Sequence order
    for call in calls:
        mine = [e.name for e in events if e.unique_id == call.uuid]
        order = [n for n in mine if n in ("CHANNEL_CREATE", "CHANNEL_ANSWER", "CHANNEL_HANGUP",
                                          "CHANNEL_HANGUP_COMPLETE", "CHANNEL_DESTROY")]
        assert order == ["CHANNEL_CREATE", "CHANNEL_ANSWER", "CHANNEL_HANGUP",
                         "CHANNEL_HANGUP_COMPLETE", "CHANNEL_DESTROY"]
