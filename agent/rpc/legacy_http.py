"""The 2012 HTTP GET endpoints (seed 004) on listen.http: /getcost, /debitbalance, ...

``curl "http://127.0.0.1:2080/getcost?cstmid=vdf&subj=rif&dest=0257"``. Each endpoint
runs the Responder method of the same name through the one dispatcher, so it is the same
call, with the same checks and errors, as over JSON-RPC. Query parameters: ``cstmid``
(tenant), ``subj`` (subject), ``dest`` (destination) and, where the call takes one,
``amount``; optional ``account``, ``tor``, ``ts``/``te`` (RFC3339 start/end, as
cgr-console's -ts/-te). The documents write ``dest=0257@amount=100``: ``@amount=`` is read
as ``&amount=``.

They move money, so they are off unless ``listen.legacy_http: true`` (any path then answers
404) and obey the access rules of POST /jsonrpc: ``listen.allow_from`` (403) and
``listen.auth_token`` as ``Authorization: Bearer`` (401). Replies are JSON: the result
(200), or ``{"Error": "<text>"}`` with 400 (bad parameters), 422 (refused, e.g.
INSUFFICIENT_CREDIT, ACCOUNT_NOT_FOUND), 500 (internal error), 501 (not available).
"""

from __future__ import annotations

import logging
import re
from decimal import Decimal
from typing import Any
from urllib.parse import unquote_plus

from agent.config import ListenConfig
from agent.web import WebApp

from . import envelope, jsonvalue
from .access import AccessPolicy
from .dispatcher import INTERNAL_ERROR, Dispatcher
from .errors import INVALID_PARAMS, NOT_IMPLEMENTED, RpcError

log = logging.getLogger(__name__)

Response = tuple[str, list[tuple[str, str]], bytes]

#: path → (JSON-RPC method, whether it takes an amount)
ENDPOINTS: dict[str, tuple[str, bool]] = {
    "/getcost": ("Responder.Get", False),
    "/debitbalance": ("Responder.DebitBalance", True),
    "/debitsms": ("Responder.DebitSMS", True),
    "/debitseconds": ("Responder.DebitSeconds", True),
    "/getmaxsessiontime": ("Responder.GetMaxSessionTime", True),
    "/addvolumediscountseconds": ("Responder.AddVolumeDiscountSeconds", True),
    "/resetvolumediscountseconds": ("Responder.ResetVolumeDiscountSeconds", False),
    "/addrecievedcallseconds": ("Responder.AddRecievedCallSeconds", True),
    "/resetuserbudget": ("Responder.ResetUserBudget", False),
}
#: query parameter → CallDescriptor field
REQUIRED = {"cstmid": "CstmId", "subj": "Subject", "dest": "DestinationPrefix"}
OPTIONAL = {"account": "Account", "tor": "Tor", "ts": "TimeStart", "te": "TimeEnd"}
_NUMBER = re.compile(r"-?\d{1,18}(\.\d{1,24})?")
MAX_QUERY = 4096


class BadQuery(ValueError):
    """The query string cannot be a call's parameters; the text says why."""


def query_pairs(query: str) -> list[tuple[str, str]]:
    """The (name, value) pairs of a query string, the documents' ``@amount=`` typo split."""
    pairs = []
    for piece in query.split("&"):
        if not piece:
            continue
        head, typo, tail = piece.partition("@amount=")
        for part in ([head, "amount=" + tail] if typo and "=" in head else [piece]):
            name, _, value = part.partition("=")
            pairs.append((unquote_plus(name), unquote_plus(value)))
    return pairs


def call_params(query: str, takes_amount: bool) -> dict[str, Any]:
    """The CallDescriptor of a query string; BadQuery when a parameter is missing or wrong."""
    if len(query) > MAX_QUERY:
        raise BadQuery(f"query longer than {MAX_QUERY} characters")
    given: dict[str, str] = {}
    allowed = {**REQUIRED, **OPTIONAL, **({"amount": "Amount"} if takes_amount else {})}
    for name, value in query_pairs(query):
        if name not in allowed:
            raise BadQuery(f"unknown parameter {name!r}; use {', '.join(sorted(allowed))}")
        if name in given:
            raise BadQuery(f"parameter {name!r} given twice")
        given[name] = value
    needed = [*REQUIRED, *(["amount"] if takes_amount else [])]
    missing = [name for name in needed if not given.get(name)]
    if missing:
        raise BadQuery(f"missing parameter {', '.join(missing)}")
    params: dict[str, Any] = {allowed[k]: v for k, v in given.items() if v}
    if "Amount" in params:
        if not _NUMBER.fullmatch(params["Amount"]):
            raise BadQuery(f"amount {params['Amount']!r} is not a number")
        params["Amount"] = Decimal(params["Amount"])
    return params


def _reply(status: str, doc: Any, *headers: tuple[str, str]) -> Response:
    body = (jsonvalue.dumps(doc) + "\n").encode()
    return status, [("Content-Type", "application/json"), *headers], body


def _status(error: RpcError) -> str:
    if error.code == INVALID_PARAMS:
        return "400 Bad Request"
    if error.text == INTERNAL_ERROR:
        return "500 Internal Server Error"
    if error.text == NOT_IMPLEMENTED:
        return "501 Not Implemented"
    return "422 Unprocessable Entity"


class LegacyGetHandler:
    """One GET endpoint: access checks, query → CallDescriptor, the Responder call."""

    def __init__(self, path: str, dispatcher: Dispatcher, access: AccessPolicy) -> None:
        self.path = path
        self.method, self.takes_amount = ENDPOINTS[path]
        self.dispatcher = dispatcher
        self.access = access

    def __call__(self, environ: dict[str, Any]) -> Response:
        peer = str(environ.get("REMOTE_ADDR", ""))
        if not self.access.allows(peer):
            log.warning("%s from %s refused: not in listen.allow_from", self.path, peer)
            return _reply("403 Forbidden", {"Error": "FORBIDDEN"})
        if not self.access.bearer_ok(environ.get("HTTP_AUTHORIZATION")):
            return _reply("401 Unauthorized", {"Error": "UNAUTHORIZED"},
                          ("WWW-Authenticate", 'Bearer realm="callmeter"'))
        try:
            params = call_params(str(environ.get("QUERY_STRING", "")), self.takes_amount)
        except BadQuery as exc:
            return _reply("400 Bad Request", {"Error": f"Incorrect parameters: {exc}"})
        request = envelope.Request(self.method, params)
        try:
            result = self.dispatcher.call(request)
        except RpcError as exc:
            return _reply(_status(exc), {"Error": exc.text})
        log.info("%s %s: %s", self.path, self.method, params)
        return _reply("200 OK", result)


def register_legacy_http(app: WebApp, dispatcher: Dispatcher, listen: ListenConfig) -> list[str]:
    """Route the GET endpoints when listen.legacy_http is on; the paths routed."""
    if not listen.legacy_http:
        return []
    access = AccessPolicy.from_config(listen)
    for path in ENDPOINTS:
        app.route("GET", path, LegacyGetHandler(path, dispatcher, access))
    if not listen.auth_token and not listen.allow_from:
        log.warning("listen.legacy_http is on without listen.auth_token or listen.allow_from: "
                    "anyone who reaches %s can move money", listen.http)
    log.info("legacy HTTP GET endpoints on: %s", " ".join(ENDPOINTS))
    return list(ENDPOINTS)
