"""The engine's errors: a small hierarchy whose text is the CGRateS error string.

Transports turn a ``RatingError`` into an RPC error reply with ``str(err)`` as its text, so
every class here renders exactly what CGRateS v0.10 would send (SPEC.md E.2).
"""

from __future__ import annotations

from collections.abc import Iterable


class RatingError(Exception):
    """Base class; ``code`` is the CGRateS error string, ``detail`` optional context."""

    code = "SERVER_ERROR"

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail)
        self.detail = detail

    def __str__(self) -> str:
        return self.code


class NotFound(RatingError):
    """A requested object does not exist."""

    code = "NOT_FOUND"


class Exists(RatingError):
    """An object that must not exist yet already does."""

    code = "EXISTS"


class AccountNotFound(RatingError):
    """Rating on an account that does not exist."""

    code = "ACCOUNT_NOT_FOUND"


class AccountDisabled(RatingError):
    """Rating on a disabled account."""

    code = "ACCOUNT_DISABLED"


class RatingPlanNotFound(RatingError):
    """Neither the subject nor ``*any`` has a rating profile."""

    code = "RATING_PLAN_NOT_FOUND"


class UnauthorizedDestination(RatingError):
    """The rating profile gives no rates covering the whole call."""

    code = "UNAUTHORIZED_DESTINATION"


class InsufficientCredit(RatingError):
    """ForceDuration was asked and the account cannot pay the whole usage."""

    code = "INSUFFICIENT_CREDIT"


class InsufficientCreditBalanceBlocker(RatingError):
    """A blocker balance was reached before the usage was covered."""

    code = "INSUFFICIENT_CREDIT_BALANCE_BLOCKER"


class MaxUsageExceeded(RatingError):
    """The usage is negative or above ``rals.max_computed_usage`` for its ToR."""

    code = "MAX_USAGE_EXCEEDED"


class MaxRecursionDepth(RatingError):
    """Rating-profile fallbacks nest deeper than CGRateS allows."""

    code = "MAX_RECURSION_DEPTH"


class InvalidPath(RatingError):
    """A tariff-plan folder that does not exist or cannot be read."""

    code = "INVALID_PATH"


class MandatoryIEMissing(RatingError):
    """Required fields are missing; text ``MANDATORY_IE_MISSING: [A B]`` as Go's %v prints."""

    code = "MANDATORY_IE_MISSING"

    def __init__(self, fields: Iterable[str]) -> None:
        self.fields = list(fields)
        super().__init__(" ".join(self.fields))

    def __str__(self) -> str:
        return f"MANDATORY_IE_MISSING: [{' '.join(self.fields)}]"


class ServerError(RatingError):
    """Anything else; text ``SERVER_ERROR: <inner>``."""

    code = "SERVER_ERROR"

    def __str__(self) -> str:
        return f"SERVER_ERROR: {self.detail}" if self.detail else self.code


class BrokenReference(RatingError):
    """An object refers to one that does not exist; text ``BROKEN_REFERENCE:<id>``."""

    code = "BROKEN_REFERENCE"

    def __str__(self) -> str:
        return f"BROKEN_REFERENCE:{self.detail}"


class UnsupportedFormat(RatingError):
    """A value in a format CGRateS does not accept; text ``UNSUPPORTED_FORMAT:<x>``."""

    code = "UNSUPPORTED_FORMAT"

    def __str__(self) -> str:
        return f"UNSUPPORTED_FORMAT:{self.detail}"


class ParserError(RatingError):
    """A value (duration, time, number) that cannot be parsed."""

    code = "PARSER_ERROR"

    def __str__(self) -> str:
        return f"PARSER_ERROR: {self.detail}" if self.detail else self.code


#: code -> class, so a stored or transported error string can be raised again.
_BY_CODE: dict[str, type[RatingError]] = {
    cls.code: cls
    for cls in (NotFound, Exists, AccountNotFound, AccountDisabled, RatingPlanNotFound,
                UnauthorizedDestination, InsufficientCredit, InsufficientCreditBalanceBlocker,
                MaxUsageExceeded, MaxRecursionDepth, InvalidPath)
}


def error_from_text(text: str) -> RatingError:
    """The error a CGRateS error string names (unknown texts become ServerError)."""
    cls = _BY_CODE.get(text)
    if cls is not None:
        return cls()
    if text.startswith("SERVER_ERROR: "):
        return ServerError(text[len("SERVER_ERROR: "):])
    return ServerError(text)
