"""Numbers read the way FreeSWITCH's C code reads them (atoi / atol)."""

from __future__ import annotations


def atol(text: str) -> int:
    """C atol: leading blanks, an optional sign, then digits up to the first other character;
    0 when there are no digits ("+5s" is 5, "abc" is 0)."""
    digits = ""
    for char in text.lstrip():
        if not (char.isdigit() or (not digits and char in "+-")):
            break
        digits += char
    try:
        return int(digits)
    except ValueError:
        return 0
