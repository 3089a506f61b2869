"""Inbound event-socket behaviour beyond the captures' single connection: several clients with
their own subscriptions and filters, bgapi with a client-chosen Job-UUID, sendmsg hangup,
originate from any client (what `callmeter emulator` offers), and the reply texts around them."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from agent.emulator import Emulator
from agent.freeswitch import wire

from .esl import Esl
from .test_fidelity import FAST

ORIGINATE = ("originate {{origination_uuid={uuid},cgr_account=1001,cgr_reqtype=*postpaid,"
             "cgr_destination=1002}}loopback/1002/callmeter_prepaid &park()")
A = "11111111-2222-4333-8444-555555555555"


@pytest.fixture
def fs() -> Iterator[Emulator]:
    with Emulator(**FAST) as emulator:
        yield emulator


def test_each_client_has_its_own_subscription_and_filters(fs: Emulator) -> None:
    parks = Esl(fs.port)
    parks.command("event plain CHANNEL_PARK")
    everything = Esl(fs.port)
    assert everything.command("event json ALL").reply_text == "+OK event listener enabled json"
    filtered = Esl(fs.port)
    filtered.command("event plain ALL")
    reply = filtered.command("filter variable_cgr_account 1001")
    assert reply.reply_text == "+OK filter added. [variable_cgr_account]=[1001]"
    quiet = Esl(fs.port)

    assert everything.api(ORIGINATE.format(uuid=A)) == f"+OK {A}\n"
    everything.wait_event("CHANNEL_PARK", A)
    parks.wait_event("CHANNEL_PARK", A)
    assert {e.name for e in parks.events()} == {"CHANNEL_PARK"}
    assert any(m.content_type == wire.EVENT_JSON for m in everything.messages)
    filtered.wait_event("CHANNEL_PARK", A)
    assert all(e.get("variable_cgr_account") == "1001" for e in filtered.events())
    assert not quiet.events()
    for client in (parks, everything, filtered, quiet):
        client.close()


def test_bgapi_with_a_client_chosen_job_uuid(fs: Emulator) -> None:
    client = Esl(fs.port)
    client.command("event plain BACKGROUND_JOB")
    job = "0b0b0b0b-1111-4222-8333-444444444444"
    reply = client.command(f"bgapi uuid_exists {A}\nJob-UUID: {job}")
    assert reply.reply_text == f"+OK Job-UUID: {job}"
    assert reply.get("Job-UUID") == job
    done = client.wait_event("BACKGROUND_JOB")
    assert done.get("Job-UUID") == job
    assert done.get("Job-Command") == "uuid_exists"
    assert done.get("Job-Command-Arg") == A
    assert done.body == "false"


def test_bgapi_originate_and_sendmsg_hangup(fs: Emulator) -> None:
    client = Esl(fs.port)
    client.command("event plain BACKGROUND_JOB CHANNEL_HANGUP CHANNEL_PARK")
    client.command(f"bgapi {ORIGINATE.format(uuid=A)}")
    assert client.wait_event("BACKGROUND_JOB").body == f"+OK {A}\n"
    client.wait_event("CHANNEL_PARK", A)
    reply = client.command(f"sendmsg {A}\ncall-command: hangup\nhangup-cause: USER_BUSY")
    assert reply.reply_text == "+OK"
    assert client.wait_event("CHANNEL_HANGUP", A).get("Hangup-Cause") == "USER_BUSY"
    missing = client.command("sendmsg 00000000-0000-4000-8000-000000000000\n"
                             "call-command: hangup")
    assert missing.reply_text == \
        "-ERR invalid session id [00000000-0000-4000-8000-000000000000]"


def test_originate_failures(fs: Emulator) -> None:
    client = Esl(fs.port)
    assert client.api("originate sofia/gateway/x/1002 &park()") == "-ERR CHAN_NOT_IMPLEMENTED\n"
    assert client.api("originate {origination_uuid=x}loopback/9999/nowhere &park()") \
        == "-ERR NO_ROUTE_DESTINATION\n"
    assert client.api("originate").startswith("-USAGE: ")
    assert client.api("no_such_command") == "-ERR no_such_command Command not found!\n"


def test_uuid_commands(fs: Emulator) -> None:
    client = Esl(fs.port)
    client.api(ORIGINATE.format(uuid=A))
    assert client.api(f"uuid_exists {A}") == "true"
    assert client.api(f"uuid_setvar {A} my_var hello world") == "+OK\n"
    assert client.api(f"uuid_getvar {A} my_var") == "hello world"
    assert client.api(f"uuid_setvar {A} my_var") == "+OK\n"  # no value: unset
    assert client.api(f"uuid_getvar {A} my_var") == "_undef_"
    assert client.api(f"uuid_kill {A} USER_BUSY") == "+OK\n"
    client.wait_until(lambda: client.api(f"uuid_exists {A}") == "false")
    assert client.api(f"uuid_kill {A}") == "-ERR No such channel!\n"


def test_hupall_and_show_calls(fs: Emulator) -> None:
    client = Esl(fs.port)
    client.api(ORIGINATE.format(uuid=A))
    fs.advance_clock(1.0)  # past FreeSWITCH's SQL write lag
    # Two loopback legs that are not bridged are two "calls" (capture 07 lists them so).
    assert client.api("show calls as json").startswith('{"row_count":2,"rows":[')
    assert client.api("hupall NORMAL_CLEARING") == "+OK hangup all channels with cause " \
        "NORMAL_CLEARING\n"
    client.wait_until(lambda: client.api(f"uuid_exists {A}") == "false")
    fs.advance_clock(1.0)
    assert client.api("show calls as json") == '{"row_count": 0}\n'  # with a space (README)


def test_a_listener_that_falls_too_far_behind_is_dropped() -> None:
    # mod_event_socket: a full event queue loses events; more than MAX_MISSED lost kills the
    # listener. Here the queue holds 2 events and 3 may be lost: one call's burst is enough.
    with Emulator(**FAST, listener_queue_len=2, listener_max_missed=3) as fs:
        slow = Esl(fs.port)
        slow.command("event plain ALL")
        fine = Esl(fs.port)
        call = fs.place_call(account="1001", reqtype="*postpaid", destination="2001",
                             context="default", talk_seconds=0.05)
        call.wait_complete()
        assert slow.wait_eof()
        assert fine.api("status").startswith("UP ")  # the others are not affected


def test_accepted_sockets_send_without_nagle_delay(fs: Emulator) -> None:
    client = Esl(fs.port)
    client.command("event plain CHANNEL_PARK")
    flags = fs.call(lambda: [lst.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
                             for lst in fs.server.listeners])
    assert flags and all(flags)
