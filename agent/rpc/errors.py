"""Errors the JSON-RPC layer answers with; their text is what CGRateS would send.

Each error also carries the JSON-RPC 2.0 code used when the request came in the 2.0
dialect, so one value serves both reply shapes.
"""

from __future__ import annotations

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
SERVER_ERROR = -32000

MISSING_PARAMS_TEXT = "jsonrpc: request body missing params"


class RpcError(Exception):
    """An error reply: ``text`` is the CGRateS string, ``code`` the JSON-RPC 2.0 code."""

    code = SERVER_ERROR

    def __init__(self, text: str, code: int | None = None) -> None:
        super().__init__(text)
        self.text = text
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.text


class ParseError(RpcError):
    """The bytes are not one well-formed JSON value."""

    code = PARSE_ERROR


class InvalidRequest(RpcError):
    """Well-formed JSON that is not a request object (no method, wrong types)."""

    code = INVALID_REQUEST


class MethodNotFound(RpcError):
    """No such service or method; the text is Go net/rpc's."""

    code = METHOD_NOT_FOUND


class InvalidParams(RpcError):
    """Parameters missing, of the wrong type, or failing a method's own check."""

    code = INVALID_PARAMS


class Unauthorized(RpcError):
    """The connection has not authenticated (listen.auth_token is set)."""

    code = SERVER_ERROR


def service_not_found(method: str) -> MethodNotFound:
    return MethodNotFound(f"rpc: can't find service {method}")


def method_not_found(method: str) -> MethodNotFound:
    return MethodNotFound(f"rpc: can't find method {method}")


def ill_formed(method: str) -> MethodNotFound:
    return MethodNotFound(f"rpc: service/method request ill-formed: {method}")


def mandatory_missing(fields: list[str] | tuple[str, ...]) -> InvalidParams:
    """CGRateS's `MANDATORY_IE_MISSING: [A B]` (Go %v of a string slice)."""
    return InvalidParams(f"MANDATORY_IE_MISSING: [{' '.join(fields)}]")


def server_error(inner: object) -> RpcError:
    """CGRateS's `SERVER_ERROR: <inner>` (utils.NewErrServerError)."""
    return RpcError(f"SERVER_ERROR: {inner}")


NOT_FOUND = "NOT_FOUND"
EXISTS = "EXISTS"
DUPLICATE = "DUPLICATE"
NOT_IMPLEMENTED = "NOT_IMPLEMENTED"
UNAUTHORIZED = "UNAUTHORIZED"
