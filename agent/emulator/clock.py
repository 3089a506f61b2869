"""The emulator's clock: wall time as FreeSWITCH reads it.

FreeSWITCH stamps events from a runtime timestamp that a timer thread refreshes every 20 ms,
so Event-Date-Timestamp (and the channel times derived from it) move in coarse steps
(README: "Event-Date-Timestamp is coarse (20 ms steps, identical across unrelated events)").
`micros()` reproduces that with a configurable step; `time()` is the precise wall clock the
scheduler and the timers use. `offset` shifts both, so a test can pretend to be near a
whole-second boundary without sleeping.
"""

from __future__ import annotations

import time as _time


class Clock:
    """Wall clock with FreeSWITCH's coarse event timestamps."""

    def __init__(self, step_us: int = 20_000, offset: float = 0.0) -> None:
        if step_us < 0:
            raise ValueError("step_us cannot be negative")
        self.step_us = step_us
        self.offset = offset

    def time(self) -> float:
        """Epoch seconds, precise."""
        return _time.time() + self.offset

    def epoch(self) -> int:
        """Whole epoch seconds (switch_epoch_time_now)."""
        return int(self.time())

    def micros(self) -> int:
        """Epoch microseconds rounded down to the timer step (switch_micro_time_now)."""
        now = int(self.time() * 1_000_000)
        if self.step_us > 1:
            now -= now % self.step_us
        return now

    def advance(self, seconds: float) -> None:
        """Move the emulated wall clock (not the real one) by seconds."""
        self.offset += seconds
