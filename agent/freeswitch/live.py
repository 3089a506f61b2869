"""A call the agent is metering right now: the persisted record plus run-time state."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from decimal import Decimal

from agent.logsetup import CallLog, call_log
from rating.sessions import SessionRecord

from .fields import CallEvent

log = logging.getLogger("agent.freeswitch.calls")

# Work items on a call's queue (see dispatch.py): the event itself, or one of these.
DEBIT = "debit"  # a debit is due (token, seq)
CUTOFF = "cutoff"  # the paid time ends: hang up
CONFIRM = "confirm"  # check that a hangup took effect
SETTLE_RETRY = "settle_retry"  # the store was down at hangup
PRESENT = "present"  # sync: the channel is up
ABSENT = "absent"  # sync: the channel was not listed
FORCE = "force"  # admin: ForceDisconnect
STOP = "stop"  # shutdown: persist (and maybe hang up)
# Replies of commands sent without waiting (agent.send), back on the call's queue.
AUTHORIZED_REPLY = "authorized_reply"
BACKSTOP_REPLY = "backstop_reply"
KILL_REPLY = "kill_reply"
EXISTS_REPLY = "exists_reply"


@dataclass(frozen=True, slots=True)
class Tick:
    """A timer or control item for one call; stale when its token is not current."""

    kind: str
    token: int = 0
    seq: int = 0
    due: float = 0.0  # monotonic time it was due (lateness metric)
    data: object = None


@dataclass(slots=True, eq=False)
class LiveSession:
    """The record and what only this process needs to know about the call."""

    record: SessionRecord
    anchor_mono: float = 0.0  # monotonic time of answer offset 0 on this host
    token: int = 0  # bumped to cancel the timers in flight
    created_mono: float = field(default_factory=time.monotonic)
    resumed: bool = False  # loaded from the store; waits for a sync to confirm the channel
    absent: int = 0  # consecutive successful syncs that did not list the channel
    hangup_sent: bool = False
    gone: bool = False  # the switch said the channel no longer exists
    hangup_attempts: int = 0
    warned: bool = False
    dirty: bool = False  # the store has an older copy
    settle_usage: int | None = None  # known final usage while a settlement waits for the store
    settle_cause: str = ""
    settle_attempts: int = 0
    dial: str = ""
    balances: dict[str, Decimal] | None = None  # account balances after our last debit
    exhaust_ns: int = 0  # when the account runs out for this call (switch clock)
    capped: bool = False  # the account lasts longer than the horizon asked about
    unsaved_debits: int = 0  # debits since the session was last stored

    @property
    def uuid(self) -> str:
        return self.record.origin_id

    @property
    def alias(self) -> str:
        return self.record.origin_host

    @property
    def log(self) -> CallLog:
        return call_log(log, self.record.origin_id, self.record.account)

    def cancel_timers(self) -> int:
        """Make every timer in flight stale; returns the new token."""
        self.token += 1
        return self.token

    def offset_at(self, mono: float) -> int:
        """Call offset (ns since answer) at monotonic time `mono`."""
        return int((mono - self.anchor_mono) * 1e9)

    def mono_at(self, offset: int) -> float:
        """Monotonic time of call offset `offset`."""
        return self.anchor_mono + offset / 1e9


def event_log(event: CallEvent) -> CallLog:
    return call_log(log, event.uuid, event.account)
