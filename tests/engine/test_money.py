"""Decimal money: CGRateS rounding methods and canonical forms."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rating import money


@pytest.mark.parametrize(("value", "decimals", "method", "expected"), [
    # *middle: the rule for increment costs and balances
    ("0.1166666666", 5, "*middle", "0.11667"),
    ("0.001665", 5, "*middle", "0.00167"),
    ("0.0016649", 5, "*middle", "0.00166"),
    # the fraction is first cut to 7 digits, so 0.49999999... counts as one half
    ("0.1234499999999", 4, "*middle", "0.1235"),
    # *up: ceiling unless the fraction is below 1e-7 (float noise in CGRateS)
    ("0.7169", 4, "*up", "0.7169"),
    ("0.716901", 4, "*up", "0.7170"),
    ("0.71690001", 4, "*up", "0.7170"),
    ("0.716900000004", 4, "*up", "0.7169"),
    # *down always floors
    ("0.12349", 4, "*down", "0.1234"),
    ("0.99999", 0, "*down", "0"),
    # an unknown method leaves the value alone
    ("0.123456", 2, "", "0.123456"),
    ("0.123456", 2, "*nearest", "0.123456"),
    # values already short enough are untouched by every method
    ("5", 4, "*up", "5"),
    ("0.12", 4, "*middle", "0.12"),
    # negative values: the magnitude is rounded (see docs/compat.md)
    ("-0.123456", 4, "*middle", "-0.1235"),
    ("-0.123412", 4, "*up", "-0.1235"),
    ("-0.123488", 4, "*down", "-0.1234"),
])
def test_round_value_follows_cgrates_rules(value: str, decimals: int, method: str,
                                           expected: str) -> None:
    assert money.round_value(Decimal(value), decimals, method) == Decimal(expected)


@pytest.mark.parametrize(("value", "text"), [
    ("10.500", "10.5"), ("1E+1", "10"), ("0.000", "0"), ("120000000000", "120000000000"),
    ("-0.20", "-0.2"), ("0.00167", "0.00167"),
])
def test_amounts_are_written_without_trailing_zeros_or_exponents(value: str, text: str) -> None:
    assert money.to_str(Decimal(value)) == text
    assert str(money.normal(Decimal(value))) == text


@pytest.mark.parametrize(("raw", "expected"), [
    (0.1, "0.1"), (10, "10"), ("0.12", "0.12"), (Decimal("3.5"), "3.5"), (1e-7, "1E-7"),
])
def test_to_decimal_reads_json_numbers_exactly(raw: object, expected: str) -> None:
    assert money.to_decimal(raw) == Decimal(expected)


@pytest.mark.parametrize("raw", [True, None, "", "abc", "NaN", "Infinity", [1]])
def test_to_decimal_rejects_what_is_not_a_finite_number(raw: object) -> None:
    with pytest.raises(ValueError):
        money.to_decimal(raw)


def test_integer_division_helpers_are_exact() -> None:
    assert money.floor_div(Decimal("9.4"), Decimal("0.00167")) == 5628
    assert money.floor_div(Decimal("0.1"), Decimal("0.2")) == 0
    assert money.ceil_div(Decimal("0.12"), Decimal("0.01")) == 12
    assert money.ceil_div(Decimal("0.121"), Decimal("0.01")) == 13


def test_jsonable_turns_decimals_into_canonical_strings() -> None:
    shape = {"Cost": Decimal("0.7169"), "List": [Decimal("1.50"), 3], "Name": "x"}
    assert money.jsonable(shape) == {"Cost": "0.7169", "List": ["1.5", 3], "Name": "x"}


def reference_round(x: Decimal, decimals: int, method: str) -> Decimal:
    """SPEC.md "Conventions" step by step (slow and obvious), on the magnitude."""
    if method not in ("*up", "*middle", "*down"):
        return x
    if x < 0:
        return -reference_round(-x, decimals, method)
    scaled = x.scaleb(decimals)
    floor = scaled.to_integral_value(rounding="ROUND_FLOOR")
    max_prec = max(7, decimals)
    frac = (scaled - floor).quantize(Decimal(1).scaleb(-max_prec), rounding="ROUND_HALF_EVEN")
    if method == "*down":
        up = False
    elif method == "*up":
        up = frac >= Decimal(1).scaleb(-max_prec)
    else:
        up = frac >= Decimal("0.5")
    return (floor + 1 if up else floor).scaleb(-decimals)


@settings(max_examples=400, deadline=None)
@given(st.decimals(min_value=-1000, max_value=1000, places=12, allow_nan=False),
       st.integers(min_value=0, max_value=9), st.sampled_from(["*up", "*middle", "*down"]))
def test_fast_rounding_equals_the_spec_algorithm(x: Decimal, decimals: int, method: str) -> None:
    assert money.round_value(x, decimals, method) == reference_round(x, decimals, method)


@pytest.mark.parametrize("frac", ["0.49999995", "0.499999949", "0.4999999", "0.5", "0.49999996"])
def test_fractions_just_below_one_half_follow_the_seven_digit_cut(frac: str) -> None:
    x = Decimal("12") + Decimal(frac) / 10**4
    assert money.round_middle(x, 4) == reference_round(x, 4, "*middle")
