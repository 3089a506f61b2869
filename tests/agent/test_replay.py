"""The agent's own read path replays every capture: FreeSWITCH's bytes, over TCP, in and out.

tests/emulator/test_wire_replay.py checks that wire.py parses each capture. Here the
captured bytes are served by a socket server that answers each command the client sends
with what FreeSWITCH sent back, and the agent's EslLink (greenswitch underneath) is the
client: every reply must reach the command that asked for it, every event must be
delivered whole and in order, in plain and JSON captures alike, whatever the TCP chunking.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import gevent
import pytest
from gevent.server import StreamServer

from agent.freeswitch import wire
from agent.freeswitch.fields import Defaults, call_event
from agent.freeswitch.link import AuthFailed, EslLink, LinkDown
from tests.emulator.captures import NAMES, commands, messages

REPLIES = (wire.COMMAND_REPLY, wire.API_RESPONSE)


def _session_captures() -> list[str]:
    out = []
    for name in NAMES:
        cmds = commands(name)
        if cmds and cmds[0].line == "auth ClueCon" and not name.startswith("13_"):
            out.append(name)
    return out


CAPTURES = _session_captures()


class ReplayServer:
    """Serves one capture: after each command, FreeSWITCH's bytes up to its reply."""

    def __init__(self, name: str, chunk: int) -> None:
        self.messages = list(messages(name))
        self.chunk = chunk
        self.server = StreamServer(("127.0.0.1", 0), self._serve)
        self.server.start()
        self.port = self.server.server_port
        self.received: list[str] = []

    def _send(self, sock: socket.socket, message: wire.Message) -> None:
        data = wire.frame(list(message.headers), message.body)
        for start in range(0, len(data), self.chunk):
            sock.sendall(data[start:start + self.chunk])

    def _serve(self, sock: socket.socket, _address: object) -> None:
        queue = list(self.messages)
        while queue and queue[0].content_type != wire.AUTH_REQUEST:
            self._send(sock, queue.pop(0))
        self._send(sock, queue.pop(0))
        parser = wire.CommandParser()
        while any(m.content_type in REPLIES for m in queue):
            data = sock.recv(65536)
            if not data:
                return
            for command in parser.feed(data):
                self.received.append(command.line)
                while queue:
                    message = queue.pop(0)
                    self._send(sock, message)
                    if message.content_type in REPLIES:
                        break
        for message in queue:  # what FreeSWITCH sent after the last reply, then it closed
            self._send(sock, message)
        sock.close()

    def stop(self) -> None:
        self.server.stop(timeout=1)


@pytest.fixture(params=[61, 65536], ids=["chunks61", "whole"])
def chunk(request: pytest.FixtureRequest) -> int:
    return int(request.param)


@pytest.mark.parametrize("name", CAPTURES)
def test_every_capture_reaches_the_agent_as_its_replies_and_events(name: str, chunk: int) -> None:
    server = ReplayServer(name, chunk)
    events: list[wire.Event] = []
    link = EslLink("127.0.0.1", server.port, "ClueCon", timeout=5, name=name,
                   on_event=events.append)
    try:
        link.connect()
        reader = gevent.spawn(link.read_forever)
        expected_replies = [m for m in messages(name) if m.content_type in REPLIES][1:]
        for command, expected in zip(commands(name)[1:], expected_replies, strict=False):
            reply = link.request(command.line, command.headers)
            assert reply == expected, command.line
        reader.join(timeout=5)
    finally:
        link.close("test over")
        server.stop()
    assert events == [wire.parse_event(m) for m in messages(name) if m.is_event]


def test_captured_channel_events_map_to_the_cgr_fields() -> None:
    events = [wire.parse_event(m) for m in messages("08_prepaid_sched_hangup_json")
              if m.is_event]
    complete = [e for e in events if e.name == "CHANNEL_HANGUP_COMPLETE" and
                e.get("Hangup-Cause") == "ALLOTTED_TIMEOUT"]
    assert len(complete) == 1
    call = call_event(complete[0], "fs1", Defaults(), 0)
    assert (call.request_type, call.tenant, call.account, call.subject, call.destination,
            call.category) == ("*prepaid", "cgrates.org", "1001", "1001", "1002", "call")
    assert call.usage == int(complete[0]["variable_billmsec"]) * 1_000_000
    assert call.answered and call.answer_ns == int(
        complete[0]["Caller-Channel-Answered-Time"]) * 1000
    assert call.cause == "ALLOTTED_TIMEOUT"


@pytest.fixture
def refusing_server() -> Iterator[int]:
    data = list(messages("02_auth_bad"))

    def serve(sock: socket.socket, _address: object) -> None:
        sock.sendall(wire.frame(list(data[0].headers), data[0].body))
        sock.recv(1024)
        for message in data[1:]:
            sock.sendall(wire.frame(list(message.headers), message.body))
        sock.close()

    server = StreamServer(("127.0.0.1", 0), serve)
    server.start()
    yield server.server_port
    server.stop(timeout=1)


def test_a_refused_password_is_an_auth_failure_not_a_retryable_link_error(
        refusing_server: int) -> None:
    link = EslLink("127.0.0.1", refusing_server, "wrong", timeout=2)
    with pytest.raises(AuthFailed):
        link.connect()
    with pytest.raises(LinkDown):
        link.api("status")
