"""Captures 11-13 against the emulator: calls made and killed from outside the replayed
connection (filters, myevents, linger), several clients at once, shutdown and crash.

The calls the capture harness made from a separate connection are made here through the
emulator's Python API (Emulator.api), with the uuids the harness chose (its NOTE lines), at the
points of the transcript where the harness made them. What is normalised and compared is
documented in fidelity.py. Capture 10 (a SIP call through mod_sofia) is not replayed: the
emulator has no SIP endpoint; its ESL side (sched_hangup on a parked, answered leg, the events
and the CDR variables) is what captures 08 and 09 cover with loopback legs.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest

from agent.emulator import Emulator
from agent.freeswitch import wire

from . import captures
from .fidelity import Client, expectations, satisfied
from .replay import Replay
from .test_fidelity import FAST, assert_same

CGR = ("cgr_account=1001,cgr_tenant=cgrates.org,cgr_destination=1002,cgr_reqtype=*prepaid,"
       "cgr_category=call,cgr_subject=1001")
SHUTDOWN_FAST = {**FAST, "shutdown_linger": 0.05}


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(**SHUTDOWN_FAST) as fs:
        yield fs


def originate(fs: Emulator, uuid: str, extension: str = "2001") -> None:
    """What the harness did on its other connection: a loopback call that answers and parks."""
    reply = fs.api(f"originate {{origination_uuid={uuid},{CGR}}}loopback/{extension}/default "
                   "&park()")
    assert reply == f"+OK {uuid}\n"
    fs.wait_until(lambda: fs.server.switch.locate(uuid) is not None
                  and fs.server.switch.locate(uuid).last_app == "park", what="a parked call")


def replies(client: Client) -> int:
    return sum(1 for m in client.messages if not m.is_event)


def after_reply(replay: Replay, count: int, action: Callable[[], None]) -> Callable[[], None]:
    """An after_sent hook: once the client has `count` replies (auth/request included), act.

    After the command sent k-th (from 0) a client has k + 2 of them.
    """
    def hook() -> None:
        assert replay.client is not None
        assert replay.client.wait(lambda: replies(replay.client) >= count)
        action()
    return hook


def test_filter_nixevent_noevents(emulator: Emulator) -> None:
    name = "11_filter_nixevent_noevents_linger_plain"
    uuids = captures.noted_uuids(name)
    replay = Replay(emulator, name)

    def make_calls() -> None:
        originate(emulator, uuids["A"])
        originate(emulator, uuids["C"])
    # sends: 0 auth, 1 linger, 2 nolinger, 3 event, 4 filter Unique-ID A, ... 9 nixevent,
    # 10 noevents: the harness made A and C after the filter, killed C after the bare
    # "nixevent" and A after "noevents".
    replay.after_sent = {
        4: after_reply(replay, 6, make_calls),
        9: after_reply(replay, 11, lambda: emulator.api(f"uuid_kill {uuids['C']}")),
        10: after_reply(replay, 12, lambda: emulator.api(f"uuid_kill {uuids['A']}")),
    }
    client = replay.run()
    try:
        assert client.wait_eof()
        assert_same(client, name)
    finally:
        client.close()


@pytest.mark.parametrize("name", [
    "12_myevents_json_forms", "12_myevents_linger5_plain", "12_myevents_nolinger_json",
    "12_myevents_linger_default_plain",
])
def test_myevents_and_linger(emulator: Emulator, name: str) -> None:
    a = captures.noted_uuids(name)["A"]
    originate(emulator, a)
    replay = Replay(emulator, name)

    def on_note(text: str) -> None:
        assert replay.client is not None
        if text.startswith("killing A"):
            emulator.api(f"uuid_kill {a}")
        elif text.startswith("connection still open after"):
            # "linger" without a time lingers until the client goes: nothing is due.
            assert emulator.fast_forward(periodic=False) == 0.0
            assert not replay.client.eof
        elif text.startswith("client closes TCP socket"):
            replay.client.sock.shutdown(socket.SHUT_RDWR)
            emulator.wait_until(lambda: not emulator.server.listeners, what="the close")
    replay.on_note = on_note
    client = replay.run()
    try:
        assert client.wait_eof()
        assert_same(client, name)
    finally:
        client.close()


def _before_shutdown(name: str) -> list[wire.Message]:
    """What a client had received before FreeSWITCH began shutting down."""
    out = []
    for message in captures.messages(name):
        if message.content_type == wire.DISCONNECT_NOTICE or (
                message.is_event and wire.parse_event(message).name == "SHUTDOWN"):
            break
        out.append(message)
    return out


@pytest.mark.parametrize("how", ["fsctl", "sigterm"])
def test_shutdown_with_several_clients(emulator: Emulator, how: str) -> None:
    names = [f"13_shutdown_{how}_{kind}" for kind in ("plain_ALL", "json_ALL", "noevents")]
    replays = [Replay(emulator, name) for name in names]
    for replay in replays:  # the noevents client originates the call (bgapi)
        replay.run(finish=False)
    for replay, name in zip(replays, names, strict=True):
        assert replay.client is not None
        want = expectations(_before_shutdown(name))
        assert replay.client.wait(lambda c=replay.client, w=want: satisfied(c, w))
    if how == "fsctl":
        sender = Replay(emulator, "13_shutdown_fsctl_sender")
        sender.run(finish=False)
        replays.append(sender)
        names.append("13_shutdown_fsctl_sender")
    else:
        emulator.shutdown()
    try:
        for replay, name in zip(replays, names, strict=True):
            assert replay.client is not None
            assert replay.client.wait_eof(), name
            assert_same(replay.client, name, unloads_from=names[0])
    finally:
        for replay in replays:
            if replay.client is not None:
                replay.client.close()


def test_crash(emulator: Emulator) -> None:
    name = "13_crash_sigkill_plain_ALL"
    replay = Replay(emulator, name)
    replay.on_note = lambda text: (emulator.crash(down_for=-1)
                                   if text.startswith("sending SIGKILL") else None)
    client = replay.run()
    try:
        assert client.wait_eof()
        assert_same(client, name)
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((emulator.host, emulator.port), timeout=2).close()
    finally:
        client.close()
