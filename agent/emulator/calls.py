"""Calls placed through the Python API, and what a test can wait for on them.

A placed call is a loopback originate `{cgr_* ...}loopback/<destination>/<context> &park()`:
the -a leg is the caller (it parks once answered), the -b leg (Call-Direction inbound) runs the
dialplan and is the leg an agent meters; `CallHandle.uuid` is that -b leg. When the callee
answers, the caller "talks" for `talk_seconds`, then hangs up (the -a leg, NORMAL_CLEARING,
which mod_loopback passes on to the -b leg). Everything a handle records is written in the
emulator's thread and read under a lock; the wait helpers block on a condition with a timeout.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .hub import blocking, real_condition

T = TypeVar("T")
UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class CallTimeout(AssertionError):
    """A wait on a call ran out of time (an AssertionError so a test failure reads well)."""


@dataclass(frozen=True)
class CallEvent:
    """One event of a call: which leg, its name, and when it was fired."""

    leg: str
    name: str
    wall: float
    monotonic: float
    headers: tuple[tuple[str, str], ...] = ()

    def get(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None


@dataclass
class CallHandle:
    """A call placed on the emulator, as it happens."""

    a_uuid: str
    account: str
    destination: str
    reqtype: str
    talk_seconds: float | None
    uuid: str | None = None
    originate_reply: str | None = None
    events: list[CallEvent] = field(default_factory=list)
    commands: list[tuple[float, str]] = field(default_factory=list)
    hangup_cause: str | None = None
    caller_hangup_cause: str | None = None
    variables: dict[str, str] = field(default_factory=dict)
    _cond: Any = field(default_factory=real_condition, repr=False)
    _talk_timer: Any = field(default=None, repr=False)

    # --- written by the emulator thread

    def record(self, leg: str, name: str, headers: list[tuple[str, str]]) -> None:
        keep = name in ("CHANNEL_HANGUP_COMPLETE", "CHANNEL_HANGUP", "CHANNEL_ANSWER")
        event = CallEvent(leg, name, time.time(), time.monotonic(), tuple(headers) if keep else ())
        with self._cond:
            self.events.append(event)
            if leg == "B" and name == "CHANNEL_HANGUP":
                self.hangup_cause = event.get("Hangup-Cause")
            elif leg == "A" and name == "CHANNEL_HANGUP":
                self.caller_hangup_cause = event.get("Hangup-Cause")
            elif leg == "B" and name == "CHANNEL_HANGUP_COMPLETE":
                self.variables = {k[len("variable_"):]: v for k, v in headers
                                  if k.startswith("variable_")}
            self._cond.notify_all()

    def record_command(self, line: str) -> None:
        with self._cond:
            self.commands.append((time.monotonic(), line))
            self._cond.notify_all()

    def set_originate_reply(self, reply: str) -> None:
        with self._cond:
            self.originate_reply = reply
            self._cond.notify_all()

    def set_b_leg(self, uuid: str) -> None:
        with self._cond:
            self.uuid = uuid
            self._cond.notify_all()

    # --- read by tests

    def first(self, name: str, leg: str = "B") -> CallEvent | None:
        with self._cond:
            return next((e for e in self.events if e.name == name and e.leg == leg), None)

    def seen(self, name: str, leg: str = "B") -> bool:
        return self.first(name, leg) is not None

    @property
    def answered_at(self) -> float | None:
        event = self.first("CHANNEL_ANSWER")
        return event.wall if event else None

    @property
    def hangup_at(self) -> float | None:
        """Wall time the metered (-b) leg hung up."""
        event = self.first("CHANNEL_HANGUP")
        return event.wall if event else None

    @property
    def ended(self) -> bool:
        return self.seen("CHANNEL_HANGUP_COMPLETE")

    @property
    def billsec(self) -> int | None:
        value = self.variables.get("billsec")
        return int(value) if value is not None else None

    @property
    def billmsec(self) -> int | None:
        value = self.variables.get("billmsec")
        return int(value) if value is not None else None

    def wait_for(self, predicate: Callable[[], T], timeout: float = 10.0, what: str = "") -> T:
        """Block until predicate() is truthy (checked whenever the call changes)."""
        deadline = time.monotonic() + timeout

        def wait() -> T:
            with self._cond:
                while True:
                    value = predicate()
                    if value:
                        return value
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise CallTimeout(f"call {self.uuid or self.a_uuid}: no {what or 'change'}"
                                          f" within {timeout}s")
                    self._cond.wait(remaining)
        return blocking(wait)

    def wait_event(self, name: str, leg: str = "B", timeout: float = 10.0) -> CallEvent:
        event = self.wait_for(lambda: self.first(name, leg), timeout, name)
        assert event is not None
        return event

    def wait_parked(self, timeout: float = 10.0) -> CallEvent:
        return self.wait_event("CHANNEL_PARK", "B", timeout)

    def wait_answered(self, timeout: float = 10.0) -> CallEvent:
        return self.wait_event("CHANNEL_ANSWER", "B", timeout)

    def wait_hangup(self, timeout: float = 10.0) -> str:
        """The metered leg's hangup cause, once it hangs up."""
        self.wait_event("CHANNEL_HANGUP", "B", timeout)
        return self.hangup_cause or ""

    def wait_complete(self, timeout: float = 10.0) -> dict[str, str]:
        """The metered leg's variables at CHANNEL_HANGUP_COMPLETE (billsec, billmsec, ...)."""
        self.wait_event("CHANNEL_HANGUP_COMPLETE", "B", timeout)
        return dict(self.variables)

    def wait_command(self, prefix: str, timeout: float = 10.0) -> tuple[float, str]:
        """The first command received for this call that starts with prefix (e.g. api uuid_kill)."""
        def found() -> tuple[float, str] | None:
            return next(((t, c) for t, c in self.commands if c.startswith(prefix)), None)
        command = self.wait_for(found, timeout, f"command {prefix!r}")
        assert command is not None
        return command
