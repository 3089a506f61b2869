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
from .framing import NOT_PARSED
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
        return self.prepare(data, frame_error).run()

    def handle_text(self, data: bytes, frame_error: str | None = None) -> dict[str, Any] | None:
        """One request text → the reply document (None for a notification)."""
        return self.prepare(data, frame_error).reply()

    def handle_doc(self, doc: Any) -> dict[str, Any] | None:
        """One decoded request → the reply document (None for a notification)."""
        return self.prepare_doc(doc).reply()

    # -- the two phases: prepare (no I/O), then run ------------------------------------
    def prepare(self, data: bytes, frame_error: str | None = None,
                doc: Any = NOT_PARSED) -> Call:
        """Decode and check a request text: the call to run, or its error reply.

        doc: the text already parsed (by the stream splitter), when it was.
        """
        if frame_error is not None:
            return Call(self, envelope.reply_to_text(data), error=ParseError(frame_error))
        if doc is NOT_PARSED:
            try:
                doc = jsonvalue.loads(data)
            except RpcError as exc:
                return Call(self, envelope.reply_to_text(data), error=exc)
        return self.prepare_doc(doc)

    def prepare_doc(self, doc: Any) -> Call:
        """Check the envelope, find the method, validate the arguments."""
        to = envelope.reply_to(doc)
        try:
            request = envelope.parse_request(doc)
        except RpcError as exc:  # not a request: answered even without an id
            return Call(self, ReplyTo(to.id, to.v2), error=exc)
        try:
            method = self.table.resolve(request.method)
            args = self.validate(method, request)
        except RpcError as exc:
            return Call(self, to, error=exc)
        return Call(self, to, method, args, request)

    # -- one call ---------------------------------------------------------------------
    def call(self, request: Request) -> Any:
        """Run one request; return its result or raise RpcError with the reply text."""
        method = self.table.resolve(request.method)
        return self.invoke(method, self.validate(method, request), request)

    @staticmethod
    def validate(method: Method, request: Request) -> Any:
        params = request.params
        if params is MISSING:
            if not request.v2:
                raise envelope.missing_params()
            params = {}
        return method.validate(params)

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


class Call:
    """A prepared request: the method and its validated arguments, or the error to answer.

    Preparing never blocks, so a transport may prepare in its reader and decide where to
    run the call: ``quick`` calls (errors, and methods not marked slow) can run right
    there, the others in a greenlet of their own.
    """

    __slots__ = ("args", "dispatcher", "error", "method", "request", "to")

    def __init__(self, dispatcher: Dispatcher, to: ReplyTo, method: Method | None = None,
                 args: Any = None, request: Request | None = None,
                 error: RpcError | None = None) -> None:
        self.dispatcher = dispatcher
        self.to = to
        self.method = method
        self.args = args
        self.request = request
        self.error = error

    @property
    def quick(self) -> bool:
        return self.method is None or not self.method.slow

    def reply(self) -> dict[str, Any] | None:
        """Run the call: the reply document (None for a notification)."""
        if self.error is None:
            assert self.method is not None
            try:
                result = self.dispatcher.invoke(self.method, self.args, self.request)
            except RpcError as exc:
                self.error = exc
            else:
                return None if self.to.notification else envelope.result_reply(self.to, result)
        return None if self.to.notification else envelope.error_reply(self.to, self.error)

    def run(self) -> bytes | None:
        """Run the call: the encoded reply (None for a notification)."""
        reply = self.reply()
        return None if reply is None else envelope.encode(reply)


def reply_for_broken_stream(reason: str, to: ReplyTo | None = None) -> bytes:
    """The last words on a connection whose stream cannot be resynchronised."""
    return envelope.encode(envelope.error_reply(to or ReplyTo(), ParseError(reason)))
