"""The HTTP GET endpoints: query strings as the documents write them, replies, statuses,
access control and the switch, through the WebApp routing (no network: see
test_documents.py for the same over a real `callmeter run`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from agent.config import ListenConfig, Network
from agent.rpc.legacy_http import (
    ENDPOINTS,
    BadQuery,
    call_params,
    query_pairs,
    register_legacy_http,
)
from agent.web import Health, WebApp
from rating.store.memory import MemoryStore

from .support import Rpc, make_engine

Q = "cstmid=vdf&subj=rif&dest=0257"


@pytest.mark.parametrize(("query", "pairs"), [
    (Q, [("cstmid", "vdf"), ("subj", "rif"), ("dest", "0257")]),
    (Q + "@amount=100", [("cstmid", "vdf"), ("subj", "rif"), ("dest", "0257"),
                         ("amount", "100")]),  # the documents' typo
    (Q + "&amount=100", [("cstmid", "vdf"), ("subj", "rif"), ("dest", "0257"),
                         ("amount", "100")]),
    ("dest=a%40amount%3D1", [("dest", "a@amount=1")]),  # an encoded @ is data
    ("subj=r+i", [("subj", "r i")]),
    ("&&cstmid=vdf&", [("cstmid", "vdf")]),
])
def test_query_strings_read_as_the_documents_write_them(query: str,
                                                        pairs: list[tuple[str, str]]) -> None:
    assert query_pairs(query) == pairs


def test_a_query_becomes_a_2012_call_descriptor() -> None:
    assert call_params(Q + "@amount=1.5&ts=2012-02-02T17:30:00Z&tor=0", True) == {
        "CstmId": "vdf", "Subject": "rif", "DestinationPrefix": "0257",
        "Amount": Decimal("1.5"), "TimeStart": "2012-02-02T17:30:00Z", "Tor": "0"}


@pytest.mark.parametrize(("query", "takes_amount", "message"), [
    ("cstmid=vdf&subj=rif", False, "missing parameter dest"),
    (Q, True, "missing parameter amount"),
    (Q + "&amount=", True, "missing parameter amount"),
    (Q + "&amount=1e3", True, "amount '1e3' is not a number"),
    (Q + "&amount=NaN", True, "amount 'NaN' is not a number"),
    (Q + "&amount=1", False, "unknown parameter 'amount'"),
    (Q + "&cstmid=x", False, "parameter 'cstmid' given twice"),
    (Q + "&subject=rif", False, "unknown parameter 'subject'"),
    ("x" * 5000, False, "query longer than 4096 characters"),
])
def test_bad_queries_are_refused_with_the_reason(query: str, takes_amount: bool,
                                                 message: str) -> None:
    with pytest.raises(BadQuery) as info:
        call_params(query, takes_amount)
    assert str(info.value).startswith(message)


# -- through the web app --------------------------------------------------------------------

@pytest.fixture
def rpc() -> Iterator[Rpc]:
    client = Rpc(make_engine(MemoryStore()))
    client.load_plan()
    yield client


def app_for(rpc: Rpc, **listen: Any) -> WebApp:
    app = WebApp(Health(status="ok"))
    register_legacy_http(app, rpc.dispatcher, ListenConfig(**listen))
    return app


def get(app: WebApp, path: str, query: str = "", peer: str = "127.0.0.1",
        token: str | None = None, method: str = "GET") -> tuple[int, Any]:
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query,
               "REMOTE_ADDR": peer}
    if token is not None:
        environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    seen: list[str] = []
    body = b"".join(app(environ, lambda status, headers: seen.append(status)))
    return int(seen[0].split()[0]), json.loads(body, parse_float=Decimal)


def test_the_endpoints_are_off_unless_legacy_http_is_on(rpc: Rpc) -> None:
    app = app_for(rpc)
    for path in ENDPOINTS:
        assert get(app, path, Q)[0] == 404


def test_getcost_answers_the_old_call_cost(rpc: Rpc) -> None:
    status, cost = get(app_for(rpc, legacy_http=True), "/getcost", Q)
    assert status == 200
    assert (cost["CstmId"], cost["Subject"], cost["DestinationPrefix"], cost["Cost"]) == (
        "vdf", "rif", "0257", 0)


@pytest.mark.parametrize(("path", "result", "balance_id", "left"), [
    ("/debitbalance", 100, "*default", 100),
    ("/debitsms", 0, "free_sms", 0),
    ("/debitseconds", 200, "free_0257", 200 * 10**9),
])
def test_debits_over_http_answer_what_is_left(rpc: Rpc, path: str, result: Any,
                                              balance_id: str, left: Any) -> None:
    status, reply = get(app_for(rpc, legacy_http=True), path, Q + "@amount=100")
    assert (status, reply) == (200, result)
    assert rpc.balances()[balance_id] == left


@pytest.mark.parametrize(("query", "status", "error"), [
    ("cstmid=vdf&dest=0257@amount=1", 400, "Incorrect parameters: missing parameter subj"),
    (Q + "@amount=-1", 400, "SERVER_ERROR: field Amount: -1 must be positive"),
    (Q + "@amount=1000", 422, "INSUFFICIENT_CREDIT"),
    ("cstmid=vdf&subj=nobody&dest=0257@amount=1", 422, "ACCOUNT_NOT_FOUND"),
])
def test_refusals_have_a_status_and_an_error_and_change_nothing(rpc: Rpc, query: str,
                                                                status: int, error: str) -> None:
    before = rpc.balances()
    assert get(app_for(rpc, legacy_http=True), "/debitsms", query) == (status, {"Error": error})
    assert rpc.balances() == before


def test_the_token_is_required_as_for_jsonrpc(rpc: Rpc) -> None:
    app = app_for(rpc, legacy_http=True, auth_token="s3cret")
    before = rpc.balances()
    assert get(app, "/debitsms", Q + "@amount=1") == (401, {"Error": "UNAUTHORIZED"})
    assert get(app, "/debitsms", Q + "@amount=1", token="wrong")[0] == 401
    assert rpc.balances() == before
    assert get(app, "/debitsms", Q + "@amount=1", token="s3cret") == (200, 99)


def test_peers_outside_allow_from_are_forbidden(rpc: Rpc) -> None:
    app = app_for(rpc, legacy_http=True, allow_from=(Network.parse("10.0.0.0/8"),))
    assert get(app, "/getcost", Q) == (403, {"Error": "FORBIDDEN"})
    assert get(app, "/getcost", Q, peer="10.1.2.3")[0] == 200


def test_only_get_is_routed(rpc: Rpc) -> None:
    assert get(app_for(rpc, legacy_http=True), "/debitsms", Q, method="POST")[0] == 405
