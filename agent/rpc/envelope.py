"""Request and reply envelopes of both dialects.

Go net/rpc (what CGRateS speaks): ``{"method": "X.Y", "params": [ARG], "id": ID}`` answered
by ``{"id": ID, "result": R, "error": null}`` or ``{"id": ID, "result": null, "error": "TEXT"}``.
JSON-RPC 2.0 (``"jsonrpc": "2.0"``): answered by ``{"jsonrpc": "2.0", "id": ID, "result": R}``
or ``{"jsonrpc": "2.0", "id": ID, "error": {"code": C, "message": "TEXT"}}``; a 2.0
request without an ``id`` member is a notification and gets no reply.

The id is echoed verbatim: strings, numbers (as written), objects, null; absent → null.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from . import jsonvalue
from .errors import MISSING_PARAMS_TEXT, InvalidParams, InvalidRequest, RpcError

_ID_IN_TEXT = re.compile(
    rb'"id"\s*:\s*(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|"(?:[^"\\]|\\.){0,200}"|null)')
_JSONRPC2_IN_TEXT = re.compile(rb'"jsonrpc"\s*:\s*"2\.0"')

#: Marker for "params member absent or null" (Go: request body missing params).
MISSING = object()


@dataclass(frozen=True)
class Request:
    """A decoded request: ``params`` is the argument, or MISSING.

    The argument is the first element of a params array (Go ignores the others; an empty
    array means "all fields zero"); a params value that is not an array (2.0's by-name
    object, a bare string) is the argument itself, and the method's schema judges it.
    """

    method: str
    params: Any
    id: Any = None
    has_id: bool = True
    v2: bool = False

    @property
    def is_notification(self) -> bool:
        return self.v2 and not self.has_id


@dataclass(frozen=True)
class ReplyTo:
    """What a reply needs to know about its request (also for requests that failed to parse)."""

    id: Any = None
    v2: bool = False
    notification: bool = False


def echo_id(value: Any) -> Any:
    """The id as it will be written back: numbers keep the digits they were sent with."""
    if isinstance(value, Decimal):
        return jsonvalue.RawJson(str(value))
    return value


def parse_request(doc: Any) -> Request:
    """Check the envelope of a decoded JSON value; raise InvalidRequest with a reason."""
    if not isinstance(doc, dict):
        raise InvalidRequest(f"a request must be a JSON object, got {type_name(doc)}")
    v2 = doc.get("jsonrpc") == "2.0"
    method = doc.get("method")
    if not isinstance(method, str):
        raise InvalidRequest("the request has no method name (a string)")
    params = doc.get("params")
    if params is None:
        params = MISSING
    elif isinstance(params, list):
        params = params[0] if params else None
    return Request(method=method, params=params, id=echo_id(doc.get("id")),
                   has_id="id" in doc, v2=v2)


def reply_to(doc: Any) -> ReplyTo:
    """Reply addressing for a decoded value that may not be a valid request."""
    if not isinstance(doc, dict):
        return ReplyTo()
    v2 = doc.get("jsonrpc") == "2.0"
    return ReplyTo(id=echo_id(doc.get("id")), v2=v2, notification=v2 and "id" not in doc)


def reply_to_text(data: bytes) -> ReplyTo:
    """Best-effort addressing for bytes that did not parse: find an id and the dialect."""
    v2 = _JSONRPC2_IN_TEXT.search(data) is not None
    match = _ID_IN_TEXT.search(data)
    if match is None:
        return ReplyTo(v2=v2)
    try:
        return ReplyTo(id=echo_id(jsonvalue.loads(match.group(1))), v2=v2)
    except RpcError:
        return ReplyTo(v2=v2)


def missing_params() -> InvalidParams:
    return InvalidParams(MISSING_PARAMS_TEXT)


def result_reply(to: ReplyTo, result: Any) -> dict[str, Any]:
    if to.v2:
        return {"jsonrpc": "2.0", "id": to.id, "result": result}
    return {"id": to.id, "result": result, "error": None}


def error_reply(to: ReplyTo, error: RpcError) -> dict[str, Any]:
    if to.v2:
        return {"jsonrpc": "2.0", "id": to.id, "error": {"code": error.code, "message": error.text}}
    return {"id": to.id, "result": None, "error": error.text}


def encode(reply: Any) -> bytes:
    """The reply as sent on the wire: compact JSON and a newline (Go's Encoder adds it)."""
    return jsonvalue.dumps(reply).encode("ascii") + b"\n"


def type_name(value: Any) -> str:
    """JSON's name for a decoded value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | Decimal):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__
