"""The api commands the agent sends, built in one place (mod_commands syntax).

Facts from the captures (tests/fixtures/freeswitch/README.txt) that shape them:
- the cause is ALLOTTED_TIMEOUT (the "alloted_timeout" some agents send is not a cause);
- "sched_hangup <epoch>" (no "+") takes an absolute epoch second and never fires before it;
  "+N" counts from the current whole second and may fire up to a second early;
- "sched_del <uuid>" deletes every task of the channel (its group);
- "-ERR No such channel" (or "-ERR invalid uuid") means the channel is already gone.
"""

from __future__ import annotations

import re

ALLOTTED_TIMEOUT = "ALLOTTED_TIMEOUT"
_SAFE_VALUE = re.compile(r"[^\r\n]*")


def _value(text: str) -> str:
    """A value on a command line: a line break would start another command."""
    if not _SAFE_VALUE.fullmatch(text):
        raise ValueError(f"a command value cannot contain a line break: {text!r}")
    return text


def setvar(uuid: str, name: str, value: str) -> str:
    return f"uuid_setvar {uuid} {name} {_value(value)}"


def transfer(uuid: str, destination: str, context: str = "") -> str:
    """uuid_transfer back into the dialplan (same context unless one is given)."""
    dest = _value(destination) or "_undef_"
    return f"uuid_transfer {uuid} {dest} XML {context}" if context else \
        f"uuid_transfer {uuid} {dest}"


def sched_hangup_relative(uuid_seconds: int) -> str:
    """``sched_hangup +<s> ALLOTTED_TIMEOUT`` as an application (for execute_on_answer)."""
    return f"sched_hangup +{uuid_seconds} {ALLOTTED_TIMEOUT}"


def sched_transfer_relative(seconds: int, destination: str, context: str) -> str:
    return f"sched_transfer +{seconds} {_value(destination)} XML {_value(context)}"


def sched_hangup(uuid: str, epoch_second: int) -> str:
    """The switch-side backstop at an absolute epoch second."""
    return f"sched_hangup {epoch_second} {uuid} {ALLOTTED_TIMEOUT}"


def sched_transfer(uuid: str, epoch_second: int, destination: str, context: str) -> str:
    return f"sched_transfer {epoch_second} {uuid} {_value(destination)} XML {_value(context)}"


def sched_broadcast(uuid: str, when: str, path: str) -> str:
    """Play path to the caller at `when` ("+<s>" or an epoch second), then hang up."""
    return f"sched_broadcast {when} {uuid} playback!manager_request::{_value(path)} aleg"


def sched_del(uuid: str) -> str:
    return f"sched_del {uuid}"


def kill(uuid: str, cause: str) -> str:
    return f"uuid_kill {uuid} {_value(cause)}"


def broadcast(uuid: str, path: str) -> str:
    return f"uuid_broadcast {uuid} {_value(path)} aleg"


def exists(uuid: str) -> str:
    return f"uuid_exists {uuid}"


SHOW_CHANNELS = "show channels as json"


def ok(reply: str) -> bool:
    return reply.startswith("+OK")


def gone(reply: str) -> bool:
    """The reply says the channel does not exist (any more)."""
    text = reply.strip()
    return text.startswith("-ERR") and ("No such channel" in text or "invalid uuid" in text)
