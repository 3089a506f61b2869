"""The TCP transport over real sockets: framing, pipelining, both dialects, limits,
access control and TLS."""

from __future__ import annotations

import logging
import time
from typing import Any

import gevent
import pytest

from agent.rpc.access import AccessPolicy, Limits, tls_context
from agent.rpc.context import CallContext
from agent.rpc.dispatcher import Dispatcher
from agent.rpc.methods import build_table
from agent.rpc.schema import ANY
from agent.rpc.table import Method, MethodTable, Service
from tests.support.net import wait_for

from .seeds import exchanges
from .support import snapshot
from .transport import LineClient, client_context, self_signed_cert, tcp_server

PING = {"method": "APIerSv1.Ping", "params": [{}], "id": 1}


def _sleep(ctx: Any, args: Any) -> Any:
    gevent.sleep(args["ms"] / 1000)
    return args["ms"]


@pytest.fixture
def slow_dispatcher(ctx: CallContext) -> Dispatcher:
    """The real table plus Test.Sleep, a method that takes as long as it is told."""
    test = Service("Test")
    test.add(Method("Sleep", ANY, _sleep))
    return Dispatcher(MethodTable([*build_table().services(), test]), ctx)


def test_a_request_is_answered_with_a_newline_terminated_reply(dispatcher: Dispatcher) -> None:
    with tcp_server(dispatcher) as port:
        client = LineClient(port)
        client.send(PING)
        assert client.reply() == {"id": 1, "result": "Pong", "error": None}
        assert client.buffer == b""


def test_the_seed_python_snippet_single_object_without_newline_gets_a_reply(
        dispatcher: Dispatcher) -> None:
    with tcp_server(dispatcher) as port:
        client = LineClient(port)
        client.sock.sendall(b'{"id": 1, "method": "Responder.Ping", "params": [{}]}')
        assert client.sock.recv(4096) == b'{"id":1,"result":"Pong","error":null}\n'


def test_requests_split_across_writes_and_merged_in_one_write(dispatcher: Dispatcher) -> None:
    with tcp_server(dispatcher) as port:
        client = LineClient(port)
        text = b'{"method":"APIerSv1.Ping","params":[{}],"id":"split"}'
        for index in range(0, len(text), 7):
            client.send(text[index:index + 7])
            gevent.sleep(0.001)
        assert client.reply()["id"] == "split"
        client.send(b'{"method":"APIerSv1.Ping","params":[{}],"id":2}'
                    b'{"method":"APIerSv1.Ping","params":[{}],"id":3}\n  '
                    b'{"method":"APIerSv1.Ping","params":[{}],"id":4}')
        assert sorted(client.reply()["id"] for _ in range(3)) == [2, 3, 4]


def test_100_requests_in_flight_on_one_connection_are_answered_by_id_in_any_order(
        slow_dispatcher: Dispatcher) -> None:
    with tcp_server(slow_dispatcher) as port:
        client = LineClient(port, timeout=10)
        started = time.monotonic()
        client.send(b"".join(
            f'{{"method":"Test.Sleep","params":[{{"ms":{100 - n}}}],"id":{n}}}'.encode()
            for n in range(100)))
        replies = [client.reply() for _ in range(100)]
        elapsed = time.monotonic() - started
    assert sorted(r["id"] for r in replies) == list(range(100))
    assert all(r["result"] == 100 - r["id"] and r["error"] is None for r in replies)
    assert [r["id"] for r in replies] != list(range(100))  # the quick ones overtook
    assert elapsed < 2.0  # concurrently: one by one would take over 5 s


def test_2_0_and_go_requests_share_a_connection(dispatcher: Dispatcher) -> None:
    with tcp_server(dispatcher) as port:
        client = LineClient(port)
        client.send({"jsonrpc": "2.0", "method": "APIerSv1.Ping", "params": {}, "id": "a"})
        assert client.reply() == {"jsonrpc": "2.0", "id": "a", "result": "Pong"}
        client.send(PING)
        assert client.reply() == {"id": 1, "result": "Pong", "error": None}


def test_seed_002_exchange_over_tcp(dispatcher: Dispatcher) -> None:
    with tcp_server(dispatcher) as port:
        client = LineClient(port)
        for request, documented in exchanges("002"):
            client.send(request)
            assert client.reply() == documented


# -- bad input -------------------------------------------------------------------------

def test_a_malformed_request_gets_an_error_and_the_stream_goes_on(dispatcher: Dispatcher) -> None:
    with tcp_server(dispatcher) as port:
        client = LineClient(port)
        client.send(b'{"id": 7, "method": APIerSv1.Ping, "params": [{}]}')
        reply = client.reply()
        assert reply["id"] == 7 and reply["error"].startswith("Expecting value")
        client.send(PING)
        assert client.reply()["result"] == "Pong"


def test_non_utf8_bytes_get_an_error_and_the_stream_goes_on(dispatcher: Dispatcher) -> None:
    with tcp_server(dispatcher) as port:
        client = LineClient(port)
        client.send(b'{"id": 8, "method": "APIerSv1.Ping\xff\xfe", "params": [{}]}')
        assert client.reply() == {"id": 8, "result": None, "error": "invalid UTF-8 at byte 34"}
        client.send(PING)
        assert client.reply()["result"] == "Pong"


def test_deep_nesting_gets_an_error_and_the_stream_goes_on(dispatcher: Dispatcher) -> None:
    with tcp_server(dispatcher) as port:
        client = LineClient(port)
        deep = b"[" * 5000 + b"]" * 5000
        client.send(b'{"id":9,"method":"APIerSv1.Ping","params":' + deep + b"}")
        assert client.reply() == {"id": 9, "result": None, "error": "nesting deeper than 64 levels"}
        client.send(PING)
        assert client.reply()["result"] == "Pong"


def test_bytes_that_cannot_start_a_request_get_a_last_error_and_a_close(
        dispatcher: Dispatcher) -> None:
    with tcp_server(dispatcher) as port:
        client = LineClient(port)
        client.send(b"GET / HTTP/1.1\r\n\r\n")
        assert client.reply() == {"id": None, "result": None,
                                  "error": "expected a JSON object, got 'G'"}
        assert client.closed_by_server()


def test_a_request_over_the_size_limit_gets_a_last_error_and_a_close(
        dispatcher: Dispatcher) -> None:
    with tcp_server(dispatcher, Limits(max_request_bytes=1000)) as port:
        client = LineClient(port)
        client.send(b'{"id":1,"method":"APIerSv1.Ping","params":["' + b"x" * 5000)
        assert client.reply()["error"] == "request larger than 1000 bytes"
        assert client.closed_by_server()


def test_an_idle_connection_is_closed_after_the_idle_timeout(dispatcher: Dispatcher) -> None:
    with tcp_server(dispatcher, Limits(idle_timeout=0.3)) as port:
        client = LineClient(port)
        client.send(PING)
        assert client.reply()["result"] == "Pong"
        started = time.monotonic()
        assert client.closed_by_server()
        assert 0.2 < time.monotonic() - started < 3


def test_a_request_trickled_slowly_is_dropped_after_the_idle_timeout(
        dispatcher: Dispatcher) -> None:
    with tcp_server(dispatcher, Limits(idle_timeout=0.5)) as port:
        client = LineClient(port)
        started = time.monotonic()
        for char in b'{"id":1,"method":"APIerSv1.Ping","params":[{"padding":"' + b"x" * 100:
            try:
                client.send(bytes([char]))
            except OSError:
                break
            gevent.sleep(0.02)
        assert client.closed_by_server()
        assert time.monotonic() - started < 3


def test_a_connection_over_the_limit_is_refused_with_a_log_line(
        dispatcher: Dispatcher, caplog: pytest.LogCaptureFixture) -> None:
    with tcp_server(dispatcher, Limits(max_connections=2)) as port:
        first, second = LineClient(port), LineClient(port)
        for client in (first, second):
            assert client.call("APIerSv1.Ping", {})["result"] == "Pong"
        with caplog.at_level(logging.WARNING, logger="agent.rpc.access"):
            third = LineClient(port)
            assert third.closed_by_server()
        assert "listen.max_connections (2) reached" in caplog.text
        first.close()
        wait_for(lambda: LineClient(port).call("APIerSv1.Ping", {})["result"] == "Pong",
                 timeout=5, what="a free connection slot")


def test_one_stuck_connection_does_not_delay_another(dispatcher: Dispatcher) -> None:
    with tcp_server(dispatcher) as port:
        stuck = LineClient(port)
        stuck.send(b'{"id":1,"method":"APIerSv1.Ping","params":[{"half":')
        other = LineClient(port)
        assert other.call("APIerSv1.Ping", {}, id=2) == {"id": 2, "result": "Pong", "error": None}
        stuck.close()


# -- access control -------------------------------------------------------------------------

def test_peers_outside_allow_from_are_refused_at_accept(dispatcher: Dispatcher) -> None:
    with tcp_server(dispatcher, access=AccessPolicy(("10.0.0.0/8",))) as port:
        assert LineClient(port).closed_by_server()
    with tcp_server(dispatcher, access=AccessPolicy(("127.0.0.0/8",))) as port:
        assert LineClient(port).call("APIerSv1.Ping", {})["result"] == "Pong"


def test_with_a_token_the_first_request_must_authenticate(
        table: MethodTable, ctx: CallContext) -> None:
    ctx.auth_token = "s3cret"
    dispatcher = Dispatcher(table, ctx)
    with tcp_server(dispatcher, access=AccessPolicy(auth_token="s3cret")) as port:
        unauthenticated = LineClient(port)
        assert unauthenticated.call("APIerSv1.Ping", {}, id=1)["error"] == "UNAUTHORIZED"
        assert unauthenticated.closed_by_server()
        wrong = LineClient(port)
        assert wrong.call("CoreSv1.Auth", {"Token": "guess"})["error"] == "UNAUTHORIZED"
        assert wrong.closed_by_server()
        right = LineClient(port)
        assert right.call("CoreSv1.Auth", {"Token": "s3cret"})["result"] == "OK"
        assert right.call("APIerSv1.Ping", {}, id=2)["result"] == "Pong"


def test_tls_serves_the_same_protocol(dispatcher: Dispatcher, tmp_path: Any) -> None:
    cert, key = self_signed_cert(tmp_path)
    with tcp_server(dispatcher, ssl_context=tls_context(cert, key)) as port:
        client = LineClient(port, context=client_context(cert))
        assert client.call("APIerSv1.Ping", {})["result"] == "Pong"
        plain = LineClient(port)  # no handshake: dropped without disturbing the server
        plain.send(PING)
        assert plain.closed_by_server()
        again = LineClient(port, context=client_context(cert))
        assert again.call("APIerSv1.Ping", {})["error"] is None


BAD_INPUTS = [
    b'{"id":1,"method":"APIerSv1.SetTPDestination","params":[{"TPid":"T","ID":"D"}]}',
    b'{"id":2,"method":"APIerSv1.SetTPDestination","params":[{"TPid":5,"ID":"D","Prefixes":["1"]}]}',
    b'{"id":3,"method":"APIerSv1.SetTPDestination","params":"TPid"}',
    b'{"id":4,"method":"APIerSv1.SetTPDestination","params":[{"TPid":"T","ID":"D",'
    b'"Prefixes":[' + b"[" * 100 + b"]" * 100 + b"]}]}",
    b'{"id":5,"method":"APIerSv1.SetTPDestination","params":[{"TPid":"T\xff","ID":"D"}]}',
    b'{"id":6,"method":"APIerSv1.SetTPDestination","params":[{"TPid":"T","ID":"D",'
    b'"Prefixes":["1"],}]}',
    b'{"id":7,"method":"APIerSv1.SetTPDestination"}',
    b"\x00\x01\x02",
    b'{"id":8,"method":"APIerSv1.SetTPDestination","params":[{"TPid":"T","ID":"D","Prefixes":["'
    + b"9" * 3000 + b'"]}]}',
]


def test_every_bad_input_is_refused_without_changing_the_store_or_other_connections(
        dispatcher: Dispatcher, store: Any) -> None:
    with tcp_server(dispatcher, Limits(max_request_bytes=2000, idle_timeout=2)) as port:
        watcher = LineClient(port)
        for data in BAD_INPUTS:
            before = snapshot(store)
            client = LineClient(port)
            client.send(data)
            reply = client.reply()
            assert reply["result"] is None and reply["error"], data
            assert snapshot(store) == before, data
            assert watcher.call("APIerSv1.Ping", {})["result"] == "Pong"
            client.close()
