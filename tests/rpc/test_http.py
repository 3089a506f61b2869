"""POST /jsonrpc over real HTTP (gevent's WSGI server with agent.web's router)."""

from __future__ import annotations

from typing import Any

from agent.rpc import jsonvalue
from agent.rpc.access import AccessPolicy, Limits, tls_context
from agent.rpc.dispatcher import Dispatcher

from .seeds import exchanges
from .support import snapshot
from .transport import client_context, http_server, post, post_json, self_signed_cert

PING = {"method": "APIerSv1.Ping", "params": [{}], "id": 1}


def test_a_request_body_gets_the_reply_as_json(dispatcher: Dispatcher) -> None:
    with http_server(dispatcher) as url:
        status, headers, body = post(url, jsonvalue.dumps(PING).encode())
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert body == b'{"id":1,"result":"Pong","error":null}\n'


def test_seed_002_exchange_over_http(dispatcher: Dispatcher) -> None:
    with http_server(dispatcher) as url:
        for request, documented in exchanges("002"):
            assert post_json(url, request) == (200, documented)


def test_seed_000_requests_without_an_id_are_answered_with_a_null_id(
        dispatcher: Dispatcher) -> None:
    # seed 000 prints this request (as a Python dict) before its reply with 'id': None
    get_account = {"method": "ApierV2.GetAccount",
                   "params": [{"Tenant": "cgrates.org", "Account": "Nick_Test_123"}]}
    with http_server(dispatcher) as url:
        status, reply = post_json(url, get_account)
    assert status == 200 and reply["id"] is None and reply["error"] == "NOT_IMPLEMENTED"


def test_a_2_0_notification_gets_204(dispatcher: Dispatcher) -> None:
    with http_server(dispatcher) as url:
        status, _, body = post(url, b'{"jsonrpc":"2.0","method":"APIerSv1.Ping","params":[{}]}')
    assert (status, body) == (204, b"")


def test_a_body_over_the_limit_is_refused_with_413_and_nothing_changes(
        dispatcher: Dispatcher, store: Any) -> None:
    before = snapshot(store)
    big = {"method": "APIerSv1.SetTPDestination", "id": 1,
           "params": [{"TPid": "T", "ID": "D", "Prefixes": ["1" * 2000]}]}
    with http_server(dispatcher, Limits(max_request_bytes=1000)) as url:
        status, reply = post_json(url, big)
    assert status == 413 and reply["error"] == "request larger than 1000 bytes"
    assert snapshot(store) == before


def test_malformed_or_several_requests_in_one_body_are_errors(dispatcher: Dispatcher) -> None:
    with http_server(dispatcher) as url:
        status, _, body = post(url, b'{"id": 3, "method": "APIerSv1.Ping", "params": [{]}')
        assert status == 200 and jsonvalue.loads(body)["id"] == 3
        two = jsonvalue.dumps(PING).encode() * 2
        assert jsonvalue.loads(post(url, two)[2])["error"] == "one request per HTTP body"
        assert jsonvalue.loads(post(url, b"  ")[2])["error"] == "empty body"
        assert jsonvalue.loads(post(url, b"\xff\xfe")[2])["error"].startswith("expected a JSON")


def test_a_bearer_token_is_required_when_configured(
        dispatcher: Dispatcher) -> None:
    with http_server(dispatcher, access=AccessPolicy(auth_token="s3cret")) as url:
        body = jsonvalue.dumps(PING).encode()
        status, headers, _ = post(url, body)
        assert status == 401 and headers["WWW-Authenticate"].startswith("Bearer")
        assert post(url, body, {"Authorization": "Bearer guess"})[0] == 401
        assert post(url, body, {"Authorization": "Bearer s3cret"})[0] == 200


def test_peers_outside_allow_from_get_403(dispatcher: Dispatcher) -> None:
    with http_server(dispatcher, access=AccessPolicy(("192.0.2.0/24",))) as url:
        assert post(url, jsonvalue.dumps(PING).encode())[0] == 403


def test_https_when_tls_is_configured(dispatcher: Dispatcher, tmp_path: Any) -> None:
    cert, key = self_signed_cert(tmp_path)
    with http_server(dispatcher, ssl_context=tls_context(cert, key)) as url:
        status, reply = post_json(url, PING, context=client_context(cert))
    assert url.startswith("https://") and status == 200 and reply["result"] == "Pong"
