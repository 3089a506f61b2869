"""From request bytes to reply bytes: decode, look up, validate, call, map errors, encode.

Both transports use one Dispatcher. It never raises: every failure becomes an error reply
(or, for a 2.0 notification, no reply). Handler errors are mapped the way CGRateS does:

- ``RpcError`` (ours: validation, NOT_FOUND, EXISTS, ...) → its text;
- a domain error (``domain_errors``, e.g. rating's RatingError) → its text, or
  ``SERVER_ERROR: <text>`` for methods that wrap errors (APIErrorHandler; NOT_FOUND and
  texts that already are a SERVER_ERROR are never wrapped);
- ``StoreError`` → ``SERVER_ERROR: <text>``;
- anything else → ``SERVER_ERROR: internal error`` and a logged traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from rating.store.base import StoreError

from . import envelope, jsonvalue
from .envelope import MISSING, ReplyTo, Request
from .errors import NOT_FOUND, ParseError, RpcError, server_error
from .table import Method, MethodTable

log = logging.getLogger(__name__)

SERVER_ERROR = "SERVER_ERROR"
INTERNAL_ERROR = "SERVER_ERROR: internal error"


class Dispatcher:
    """Runs requests against a method table with one shared context for handlers."""

    def __init__(self, table: MethodTable, ctx: Any,
                 domain_errors: tuple[type[Exception], ...] = ()) -> None:
        self.table = table
        self.ctx = ctx
        self.domain_errors = domain_errors

    # -- whole texts ------------------------------------------------------------------
    def handle_bytes(self, data: bytes, frame_error: str | None = None) -> bytes | None:
        """One request text → the encoded reply (None for a notification)."""
        reply = self.handle_text(data, frame_error)
        return None if reply is None else envelope.encode(reply)

    def handle_text(self, data: bytes, frame_error: str | None = None) -> dict[str, Any] | None:
        """One request text → the reply document (None for a notification)."""
        if frame_error is not None:
            return envelope.error_reply(envelope.reply_to_text(data), ParseError(frame_error))
        try:
            doc = jsonvalue.loads(data)
        except RpcError as exc:
            return envelope.error_reply(envelope.reply_to_text(data), exc)
        return self.handle_doc(doc)

    def handle_doc(self, doc: Any) -> dict[str, Any] | None:
        """One decoded request → the reply document (None for a notification)."""
        to = envelope.reply_to(doc)
        try:
            request = envelope.parse_request(doc)
        except RpcError as exc:
            return envelope.error_reply(to, exc)
        try:
            result = self.call(request)
        except RpcError as exc:
            return None if to.notification else envelope.error_reply(to, exc)
        return None if to.notification else envelope.result_reply(to, result)

    # -- one call ---------------------------------------------------------------------
    def call(self, request: Request) -> Any:
        """Run one request; return its result or raise RpcError with the reply text."""
        method = self.table.resolve(request.method)
        params = request.params
        if params is MISSING:
            if not request.v2:
                raise envelope.missing_params()
            params = {}
        args = method.validate(params)
        return self.invoke(method, args, request)

    def invoke(self, method: Method, args: Any, request: Request | None = None) -> Any:
        """Call a handler with validated arguments and map what it raises."""
        try:
            return method.handler(self.ctx, args)
        except RpcError:
            raise
        except self.domain_errors as exc:
            text = str(exc)
            if method.wrap_errors and text != NOT_FOUND and not text.startswith(SERVER_ERROR):
                raise server_error(text) from None
            raise RpcError(text) from None
        except StoreError as exc:
            log.warning("store error in %s: %s", method.name, exc)
            raise server_error(exc) from None
        except Exception:
            log.exception("unexpected error in %s", request.method if request else method.name)
            raise RpcError(INTERNAL_ERROR) from None


def reply_for_broken_stream(reason: str, to: ReplyTo | None = None) -> bytes:
    """The last words on a connection whose stream cannot be resynchronised."""
    return envelope.encode(envelope.error_reply(to or ReplyTo(), ParseError(reason)))
