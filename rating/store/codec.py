"""How values cross the store boundary: JSON text without floats, checked ids, CDR identity.

Every backend uses these helpers, so a document that one backend accepts, all accept, and
a bad one gets the same clear StoreError everywhere (before anything is written).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any, NoReturn

from .base import JSON, CdrQuery, StoreError

_DUMPS = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode
#: Ids, kinds and CDR keys end up inside keys, index members and SQL; control characters are
#: our separators there, so they are refused everywhere.
_BAD_ID = re.compile(r"[\x00-\x1f\x7f]")
#: OrderTime is padded to this many digits so that text order equals numeric order.
ORDER_DIGITS = 20
MAX_QUERY_LIMIT = 10_000
MAX_QUERY_VALUES = 500


def _refuse_float(text: str) -> NoReturn:
    raise StoreError(
        f"document contains the float {text}; write money and other fractions as Decimal strings"
    )


_FLOAT_CHECK = json.JSONDecoder(parse_float=_refuse_float).decode


def encode(doc: JSON) -> str:
    """JSON text of a document; floats, NaN and non-JSON values are refused (StoreError)."""
    try:
        text = _DUMPS(doc)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"document is not storable as JSON: {exc}") from None
    # The C scanner calls parse_float only for float tokens, so this check is cheap.
    _FLOAT_CHECK(text)
    return text


_DECODE = json.JSONDecoder().decode


def decode(text: str) -> JSON:
    """The document stored as text."""
    return _DECODE(text)


def clone(doc: JSON) -> JSON:
    """An independent copy of a storable document (and the proof that it is storable)."""
    return decode(encode(doc))


def check_id(value: Any, what: str = "id") -> str:
    """A non-empty string without control characters, or StoreError."""
    if not isinstance(value, str) or not value or _BAD_ID.search(value):
        raise StoreError(f"invalid {what} {value!r}: a non-empty string without control characters")
    return value


def check_account_id(account_id: Any) -> str:
    """An account id "tenant:account"."""
    check_id(account_id, "account id")
    if ":" not in account_id:
        raise StoreError(f"invalid account id {account_id!r}: write it as tenant:account")
    return str(account_id)


@dataclass(frozen=True)
class CdrKey:
    """What the store indexes a CDR by; (cgr_id, run_id) is its identity."""

    cgr_id: str
    run_id: str
    order_time: int
    account: str  # "tenant:account", as CdrQuery.accounts
    origin_id: str

    @property
    def sort_key(self) -> tuple[int, str, str]:
        return (self.order_time, self.cgr_id, self.run_id)

    @property
    def padded_time(self) -> str:
        return pad_time(self.order_time)


def pad_time(ns: int) -> str:
    return str(ns).zfill(ORDER_DIGITS)


def cdr_key(cdr: JSON) -> CdrKey:
    """The indexed fields of a CDR document, checked (StoreError names the bad field)."""
    if not isinstance(cdr, dict):
        raise StoreError(f"a CDR must be a JSON object, not {type(cdr).__name__}")
    order = cdr.get("OrderTime", 0)
    if isinstance(order, bool) or not isinstance(order, int) or not 0 <= order < 10**ORDER_DIGITS:
        raise StoreError(f"CDR OrderTime must be unix nanoseconds (an integer), not {order!r}")
    tenant, account, origin = (cdr.get(k, "") for k in ("Tenant", "Account", "OriginID"))
    for name, value in (("Tenant", tenant), ("Account", account), ("OriginID", origin)):
        if not isinstance(value, str) or _BAD_ID.search(value):
            raise StoreError(f"CDR {name} must be a string without control characters")
    return CdrKey(
        cgr_id=check_id(cdr.get("CGRID"), "CDR CGRID"),
        run_id=check_id(cdr.get("RunID"), "CDR RunID"),
        order_time=order,
        account=f"{tenant}:{account}",
        origin_id=origin,
    )


def check_query(query: CdrQuery) -> None:
    """Refuse queries no backend should run (StoreError)."""
    if isinstance(query.limit, bool) or not isinstance(query.limit, int):
        raise StoreError(f"CDR query limit must be an integer, not {query.limit!r}")
    if not 1 <= query.limit <= MAX_QUERY_LIMIT:
        raise StoreError(f"CDR query limit must be between 1 and {MAX_QUERY_LIMIT}")
    for name in ("accounts", "origin_ids", "cgr_ids", "run_ids"):
        values = getattr(query, name)
        if len(values) > MAX_QUERY_VALUES:
            raise StoreError(f"CDR query {name}: at most {MAX_QUERY_VALUES} values")
        for value in values:
            if not isinstance(value, str):
                raise StoreError(f"CDR query {name} must hold strings, not {value!r}")
    for name in ("since_ns", "until_ns"):
        value = getattr(query, name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise StoreError(f"CDR query {name} must be integer nanoseconds, not {value!r}")


def encode_cursor(position: JSON) -> str:
    """An opaque cursor for a position (any JSON value) in a query's order."""
    return base64.urlsafe_b64encode(encode(position).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> JSON:
    """The position a cursor names; StoreError if it was not made by encode_cursor."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return decode(raw.decode())
    except (binascii.Error, ValueError, TypeError):
        raise StoreError(f"invalid CDR cursor {cursor!r}") from None


def decode_sort_cursor(cursor: str) -> tuple[int, str, str]:
    """A cursor holding (OrderTime, CGRID, RunID) of the last row of the previous page."""
    pos = decode_cursor(cursor)
    if (
        not isinstance(pos, list)
        or len(pos) != 3
        or not isinstance(pos[0], int)
        or not all(isinstance(p, str) for p in pos[1:])
    ):
        raise StoreError(f"invalid CDR cursor {cursor!r}")
    return (pos[0], pos[1], pos[2])
