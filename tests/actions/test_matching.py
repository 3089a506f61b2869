"""Balance matching (SPEC.md D.2, D.5): which balance a filter names, table by table."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from rating.balance_match import (
    create_balance,
    filter_value,
    filters_equal,
    hard_match,
    includes,
    match_filter,
    modify_balance,
)
from rating.balances import Balance
from rating.timeutil import ZERO_TIME_NS
from rating.triggers import BalanceFilter

from .support import NOW_NS

BAL = Balance("u1", "b1", Decimal(10), ExpirationDate=NOW_NS + 1000, Weight=Decimal(10),
              DestinationIDs={"NAT": True, "MOB": True}, RatingSubject="rs",
              Categories={"call": True}, SharedGroups={"SG": True}, TimingIDs={"PEAK": True},
              Blocker=True)
NEVER = Balance("u2", "b2", Decimal(1))


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, True),
        ({"Uuid": "u1"}, True),
        ({"Uuid": "other", "ID": "b1"}, False),  # a set Uuid decides alone
        ({"Uuid": "", "ID": "b1"}, True),  # empty ids are "not set"
        ({"ID": "b1", "Weight": Decimal(99)}, True),  # a set ID decides alone
        ({"ID": "zz"}, False),
        ({"Weight": Decimal(10)}, True),
        ({"Weight": Decimal(11)}, False),
        ({"ExpirationDate": NOW_NS + 1000}, True),
        ({"ExpirationDate": NOW_NS}, False),
        ({"ExpirationDate": ZERO_TIME_NS}, False),
        ({"DestinationIDs": {"NAT": True}}, True),  # inclusion, not equality
        ({"DestinationIDs": {"NAT": True, "INT": True}}, False),
        ({"DestinationIDs": {}}, True),
        ({"Categories": {"call": True}}, True),
        ({"Categories": {"sms": True}}, False),
        ({"TimingIDs": {"PEAK": True}}, True),
        ({"SharedGroups": {"SG": True}}, True),
        ({"RatingSubject": "rs"}, True),
        ({"RatingSubject": ""}, False),  # v1 SetActions sends "" : only unrated balances
        ({"Blocker": True, "Disabled": False}, True),
        ({"Disabled": True}, False),
    ],
)
def test_match_filter_used_by_actions(fields: dict[str, Any], expected: bool) -> None:
    assert match_filter(BAL, BalanceFilter(**fields)) is expected


def test_match_filter_can_skip_ids_and_expiry() -> None:
    assert match_filter(BAL, BalanceFilter(ID="zz", Weight=Decimal(10)), skip_ids=True)
    assert match_filter(BAL, BalanceFilter(ExpirationDate=NOW_NS), skip_expiry=True)


def test_explicit_never_expiry_matches_balances_without_expiry() -> None:
    assert match_filter(NEVER, BalanceFilter(ExpirationDate=ZERO_TIME_NS))
    assert not match_filter(NEVER, BalanceFilter(ExpirationDate=NOW_NS))


@pytest.mark.parametrize(
    ("fields", "expected"),
    [({"DestinationIDs": {"NAT": True}}, False),  # triggers need equal maps
     ({"DestinationIDs": {"NAT": True, "MOB": True}}, True),
     ({"Categories": {"call": True}, "Weight": Decimal(10)}, True),
     ({"ID": "b1", "Weight": Decimal(1)}, True),
     ({"Type": "*voice"}, True)],  # the type is the balance map's slot, not compared here
)
def test_hard_match_used_by_thresholds(fields: dict[str, Any], expected: bool) -> None:
    assert hard_match(BAL, BalanceFilter(**fields)) is expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [(BalanceFilter(ID="x", Weight=Decimal(1)), BalanceFilter(ID="x"), True),
     (BalanceFilter(ID="x"), BalanceFilter(ID="y"), False),
     (BalanceFilter(Type="*voice"), BalanceFilter(Type="*voice"), True),
     (BalanceFilter(Type="*voice"), BalanceFilter(Type="*voice", ID="x"), False)],
)
def test_counter_filters_compare_by_id_or_as_a_whole(a: BalanceFilter, b: BalanceFilter,
                                                     expected: bool) -> None:
    assert filters_equal(a, b) is expected


@pytest.mark.parametrize(
    ("have", "want", "expected"),
    [({"a": True}, {"a": True}, True), ({"a": True, "b": True}, {"a": True}, True),
     ({"a": False}, {"a": True}, False), (None, {}, True), ({"a": True}, {"a": False}, True)],  # keys only, as Go
)
def test_string_map_inclusion_is_gos(have: dict[str, bool] | None, want: dict[str, bool],
                                     expected: bool) -> None:
    assert includes(have, want) is expected


def test_balance_created_from_a_filter_has_empty_maps_and_no_factor() -> None:
    b = create_balance(BalanceFilter(ID="bonus", Weight=Decimal(1200)), "new", Decimal(99))
    assert b.to_json() | {"ExpirationDate": None} == {
        "Uuid": "new", "ID": "bonus", "Value": Decimal(99), "ExpirationDate": None,
        "Weight": Decimal(1200), "DestinationIDs": {}, "RatingSubject": "", "Categories": {},
        "SharedGroups": {}, "Timings": None, "TimingIDs": {}, "Disabled": False,
        "Factor": None, "Blocker": False}


def test_modify_balance_copies_only_set_fields_and_marks_dirty() -> None:
    b = Balance("u", "old", Decimal(1), Weight=Decimal(5), RatingSubject="keep")
    modify_balance(b, BalanceFilter(ID="new", ExpirationDate=ZERO_TIME_NS,
                                    Categories={"c": True}), Decimal(7))
    assert (b.ID, b.Value, b.ExpirationDate, b.Weight, b.RatingSubject, b.Categories, b.dirty) \
        == ("new", Decimal(7), None, Decimal(5), "keep", {"c": True}, True)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, Decimal(0)),
     ({"Method": "", "Static": "12.5"}, Decimal("12.5")),
     ({"Method": "*incremental", "Params": {"Units": 31, "Interval": "month",
                                             "Increment": "day"}}, Decimal(1)),  # March
     ({"Method": "*incremental", "Params": {"Units": 24, "Interval": "day",
                                             "Increment": "hour"}}, Decimal(1)),
     ({"Method": "*unknown", "Params": {}}, Decimal(0))],
)
def test_value_formulas(value: dict[str, Any] | None, expected: Decimal) -> None:
    from datetime import UTC

    assert filter_value(BalanceFilter(Value=value), NOW_NS, UTC) == expected
