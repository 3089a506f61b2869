"""Which balances a call may use, and in which order (SPEC.md C.1)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rating.accounts import Account, select_balances
from rating.balances import Balance

from .support import make_engine

TARIFFS = make_engine().tariffs()
T0 = 1_407_157_200 * 10**9  # 2014-08-04T13:00:00Z


def pick(balances: list[Balance], destination: str = "1002", *, kind: str = "*monetary",
         category: str = "call", direction: str = "*out", at: int = T0) -> list[str]:
    account = Account("cgrates.org:x", {kind: balances})
    return [b.Uuid for b in select_balances(account, TARIFFS, destination, category, kind, at,
                                            direction)]


def b(uuid: str, value: str = "1", **fields: object) -> Balance:
    return Balance(uuid, uuid, Decimal(value), **fields)  # type: ignore[arg-type]


def test_higher_weight_comes_first() -> None:
    assert pick([b("low", Weight=Decimal(5)), b("high", Weight=Decimal(20))]) == ["high", "low"]


def test_longer_destination_match_beats_weight() -> None:
    fs = b("fs", DestinationIDs={"DST_FS": True}, Weight=Decimal(30))  # prefix "10"
    exact = b("exact", DestinationIDs={"DST_1002": True}, Weight=Decimal(10))  # "1002"
    anywhere = b("any", Weight=Decimal(50))
    assert pick([fs, exact, anywhere]) == ["exact", "fs", "any"]


def test_equal_precision_and_weight_keep_account_order() -> None:
    assert pick([b("first"), b("second")]) == ["first", "second"]


@pytest.mark.parametrize(("balance", "used"), [
    (b("zero", "0"), False),
    (b("negative", "-1"), False),
    (b("zero_blocker", "0", Blocker=True), True),
    (b("zero_shared", "0", SharedGroups={"SG": True}), True),
    (b("disabled", Disabled=True), False),
    (b("expired", ExpirationDate=T0 - 1), False),
    (b("expires_later", ExpirationDate=T0 + 1), True),
    (b("expires_now", ExpirationDate=T0), True),
    (b("other_category", Categories={"sms": True}), False),
    (b("this_category", Categories={"call": True}), True),
    (b("inbound_only", Directions={"*in": True}), False),
    (b("outbound_only", Directions={"*out": True}), True),
    (b("other_destination", DestinationIDs={"DST_1003": True}), False),
    (b("any_destination", DestinationIDs={"*any": True}), True),
    (b("excluded", DestinationIDs={"DST_1002": False}), False),
    (b("excluding_other", DestinationIDs={"DST_1003": False}), True),
    (b("unknown_destination_only", DestinationIDs={"NOPE": True}), False),
])
def test_balance_filters(balance: Balance, used: bool) -> None:
    assert pick([balance]) == ([balance.Uuid] if used else [])


def test_inbound_balance_is_used_for_inbound_calls() -> None:
    assert pick([b("in", Directions={"*in": True})], direction="*in") == ["in"]


def test_unit_types_also_search_generic_balances_after_their_own() -> None:
    account = Account("cgrates.org:x", {"*voice": [b("voice")], "*generic": [b("gen")],
                                        "*monetary": [b("money")]})
    found = select_balances(account, TARIFFS, "1002", "call", "*voice", T0, "*out")
    assert [x.Uuid for x in found] == ["voice", "gen"]
    money = select_balances(account, TARIFFS, "1002", "call", "*monetary", T0, "*out")
    assert [x.Uuid for x in money] == ["money"]


def test_only_exclusions_match_at_the_first_prefix_with_destinations() -> None:
    only_excl = b("excl", DestinationIDs={"DST_1003": False})
    # "1005" has no destination of its own; "10" (DST_FS) decides, precision 2
    assert pick([only_excl, b("plain", Weight=Decimal(100))], "1005") == ["excl", "plain"]
    assert pick([only_excl], "9999") == []  # no prefix decides
