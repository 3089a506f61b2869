"""Exact money: Decimal parsing, CGRateS rounding methods and JSON-friendly normal forms.

CGRateS rounds float64 values with ``utils.Round`` (SPEC.md "Conventions"): the value is
scaled by 10^n, the fractional part is first rounded to max(7, n) digits (to cut float
noise), then ``*up`` takes the ceiling when that fraction is at least 10^-max(7, n),
``*middle`` when it is at least 0.5, ``*down`` always floors; an unknown method leaves the
value as it is. We apply the same rules to Decimal values. For negative values CGRateS's
float code always floors; we round the magnitude instead (symmetric), see docs/compat.md.
"""

from __future__ import annotations

import decimal
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any

ROUNDING_UP = "*up"
ROUNDING_MIDDLE = "*middle"
ROUNDING_DOWN = "*down"
ROUNDING_METHODS = (ROUNDING_UP, ROUNDING_MIDDLE, ROUNDING_DOWN)

ZERO = Decimal(0)
ONE = Decimal(1)
HALF = Decimal("0.5")

#: Wide enough for any tariff arithmetic (ns durations times rates); results are rounded
#: explicitly anyway. Used explicitly, never installed as the thread's context, so callers'
#: own Decimal contexts are left alone.
CONTEXT = decimal.Context(prec=50, rounding=ROUND_HALF_EVEN, Emax=999999, Emin=-999999)

_EXP: dict[int, Decimal] = {n: Decimal(1).scaleb(-n) for n in range(0, 40)}


def exp(n: int) -> Decimal:
    """10^-n as a Decimal quantum (n >= 0)."""
    found = _EXP.get(n)
    return found if found is not None else Decimal(1).scaleb(-n)


def to_decimal(value: Any) -> Decimal:
    """A Decimal from a JSON/CSV value (int, str, Decimal, or float via its shortest repr).

    Floats only arrive from JSON decoders that were not told to use Decimal; their repr is
    the shortest string that reads back as the same float, which is what the sender wrote.
    """
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise ValueError("empty number")
        try:
            result = Decimal(text)
        except decimal.InvalidOperation:
            raise ValueError(f"not a number: {value!r}") from None
    else:
        raise ValueError(f"not a number: {value!r}")
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


_SEVEN = Decimal("1E-7")


def round_value(x: Decimal, decimals: int, method: str) -> Decimal:
    """Round x to `decimals` places with a CGRateS rounding method (see module docstring)."""
    if method == ROUNDING_MIDDLE:
        return round_middle(x, decimals)
    if method not in ROUNDING_METHODS:
        return x
    if x < 0:
        return -round_value(-x, decimals, method)
    quantum = exp(decimals)
    floor = x.quantize(quantum, rounding=ROUND_FLOOR, context=CONTEXT)
    if floor == x or method == ROUNDING_DOWN:
        return floor if floor != x else x
    frac = (x - floor).scaleb(decimals)  # in (0, 1)
    max_prec = _SEVEN if decimals <= 7 else exp(decimals)
    if frac.quantize(max_prec, rounding=ROUND_HALF_EVEN, context=CONTEXT) >= max_prec:
        return floor + quantum
    return floor


def round_middle(x: Decimal, decimals: int) -> Decimal:
    """``*middle`` rounding, the one CGRateS uses for balances and increment costs.

    Half-up on the exact value, except that a fraction within 5e-8 below one half (which
    CGRateS's 7-digit cut turns into 0.5000000) also goes up.
    """
    quantum = exp(decimals)
    rounded = x.quantize(quantum, rounding=ROUND_HALF_UP, context=CONTEXT)
    if rounded == x:
        return x
    if (x > 0 and rounded < x) or (x < 0 and rounded > x):
        frac = abs((x - rounded).scaleb(decimals))  # below one half
        max_prec = _SEVEN if decimals <= 7 else exp(decimals)
        if frac.quantize(max_prec, rounding=ROUND_HALF_EVEN, context=CONTEXT) >= HALF:
            return rounded + quantum if x > 0 else rounded - quantum
    return rounded


def ceil_div(a: Decimal, b: Decimal) -> int:
    """Smallest integer k with k * b >= a (a >= 0, b > 0)."""
    return int(CONTEXT.divide(a, b).to_integral_value(rounding=ROUND_CEILING))


def floor_div(a: Decimal, b: Decimal) -> int:
    """Largest integer k with k * b <= a (b > 0); 0 when a < b."""
    if a < b:
        return 0
    return int(CONTEXT.divide_int(a, b))


def normal(x: Decimal) -> Decimal:
    """x without trailing zeros and never in exponent notation (10.500 -> 10.5, 1E+1 -> 10)."""
    if x == x.to_integral_value():
        return x.quantize(ONE)
    return x.normalize()


def to_str(x: Decimal) -> str:
    """The canonical text of an amount, as stored in documents (no exponent, no trailing 0)."""
    text = format(x, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def jsonable(value: Any) -> Any:
    """A JSON-compatible copy of an API shape: Decimal values become canonical strings."""
    if isinstance(value, Decimal):
        return to_str(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value
