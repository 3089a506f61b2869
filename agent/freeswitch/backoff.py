"""Capped, jittered exponential backoff for reconnect loops.

Jitter keeps a fleet of agents from reconnecting to a restarted FreeSWITCH in lockstep;
the cap keeps the wait short enough that a switch back after a long outage is noticed soon.
"""

from __future__ import annotations

import random
from collections.abc import Callable


class Backoff:
    """Delays base, 2*base, 4*base ... capped, each scaled by a random factor in [0.5, 1]."""

    def __init__(self, base: float = 0.2, cap: float = 10.0,
                 rand: Callable[[], float] = random.random) -> None:
        if base <= 0 or cap < base:
            raise ValueError("backoff needs 0 < base <= cap")
        self.base = base
        self.cap = cap
        self._rand = rand
        self.attempt = 0

    def next(self) -> float:
        """The delay before the next attempt (and count this one)."""
        ceiling = min(self.cap, self.base * (2 ** min(self.attempt, 30)))
        self.attempt += 1
        return float(ceiling * (0.5 + 0.5 * self._rand()))

    def reset(self) -> None:
        """A success: the next failure starts again from base."""
        self.attempt = 0
