"""POST /jsonrpc on the HTTP listener (listen.http): one request per body, same dispatcher.

Register with the web app: ``app.route("POST", "/jsonrpc", JsonRpcHttpHandler(...))``.
Replies are 200 with the JSON-RPC reply (errors included, as CGRateS does), 204 for a
2.0 notification; transport refusals use HTTP statuses: 403 (not in listen.allow_from),
401 (missing or wrong ``Authorization: Bearer``), 413 (body over listen.max_request_bytes).
"""

from __future__ import annotations

import logging
from typing import Any

from . import envelope
from .access import AccessPolicy, Limits
from .dispatcher import Dispatcher
from .errors import UNAUTHORIZED, InvalidRequest, ParseError, RpcError, Unauthorized
from .framing import JsonSplitter, StreamBroken

log = logging.getLogger(__name__)

Response = tuple[str, list[tuple[str, str]], bytes]
JSON_TYPE = ("Content-Type", "application/json")


def _reply(status: str, body: bytes, *headers: tuple[str, str]) -> Response:
    return status, [JSON_TYPE, *headers], body


def _error(status: str, error: RpcError, *headers: tuple[str, str]) -> Response:
    return _reply(status, envelope.encode(envelope.error_reply(envelope.ReplyTo(), error)),
                  *headers)


class JsonRpcHttpHandler:
    """The WSGI route handler: (environ) -> (status, headers, body)."""

    def __init__(self, dispatcher: Dispatcher, limits: Limits | None = None,
                 access: AccessPolicy | None = None) -> None:
        self.dispatcher = dispatcher
        self.limits = limits or Limits()
        self.access = access or AccessPolicy()

    def __call__(self, environ: dict[str, Any]) -> Response:
        peer = str(environ.get("REMOTE_ADDR", ""))
        if not self.access.allows(peer):
            log.warning("JSON-RPC over HTTP from %s refused: not in listen.allow_from", peer)
            return _error("403 Forbidden", RpcError("FORBIDDEN"))
        if not self.access.bearer_ok(environ.get("HTTP_AUTHORIZATION")):
            return _error("401 Unauthorized", Unauthorized(UNAUTHORIZED),
                          ("WWW-Authenticate", 'Bearer realm="callmeter"'))
        body = self._read_body(environ)
        if body is None:
            limit = self.limits.max_request_bytes
            return _error("413 Payload Too Large",
                          InvalidRequest(f"request larger than {limit} bytes"))
        reply = self._dispatch(body)
        if reply is None:
            return "204 No Content", [], b""
        return _reply("200 OK", reply)

    def _read_body(self, environ: dict[str, Any]) -> bytes | None:
        """The body, or None when it is over the limit (read no further than that)."""
        limit = self.limits.max_request_bytes
        try:
            declared = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            return None
        stream = environ["wsgi.input"]
        body: bytes = stream.read(declared) if declared else stream.read(limit + 1)
        return None if len(body) > limit else body

    def _dispatch(self, body: bytes) -> bytes | None:
        splitter = JsonSplitter(self.limits.max_request_bytes, self.limits.max_depth)
        try:
            frames = splitter.feed(body)
            splitter.finish()
        except StreamBroken as exc:
            return envelope.encode(envelope.error_reply(envelope.reply_to_text(body),
                                                        ParseError(str(exc))))
        if len(frames) != 1:
            error = InvalidRequest("one request per HTTP body") if frames else ParseError(
                "empty body")
            return envelope.encode(envelope.error_reply(envelope.reply_to_text(body), error))
        return self.dispatcher.handle_bytes(frames[0].data, frames[0].error)
