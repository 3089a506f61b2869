"""Private commands queued on a session (sendmsg, uuid_broadcast, sched_broadcast) and how
the running application picks them up (switch_ivr_parse_event, switch_ivr.c): a hangup or an
"execute" of an application (with loops), then the event fired as PRIVATE_COMMAND."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import causes
from .events import OutEvent

if TYPE_CHECKING:
    from .session import Session


@dataclass
class PrivateCommand:
    """A queued private event (uuid_broadcast, sendmsg): what switch_ivr_parse_event runs."""

    command: str
    headers: list[tuple[str, str]]
    app: str = ""
    arg: str = ""
    loops: int = 1
    cause: str = causes.NORMAL_CLEARING
    command_block: list[tuple[str, str]] | None = None


def run_private(session: Session, command: PrivateCommand) -> None:
    """switch_ivr_parse_event, then the event is fired as PRIVATE_COMMAND."""
    ch = session.channel
    if command.command == "hangup":
        session.hangup(command.cause)
    elif command.command == "execute":
        for loop in range(1, command.loops + 1):
            ch.set_var("current_loop", str(loop))
            ch.set_var("total_loops", str(command.loops))
            session.execute(command.app, command.arg)
            if not ch.up:
                break
        ch.set_var("current_loop", None)
        ch.set_var("total_loops", None)
    block = command.command_block or []
    headers = [*block, *command.headers]
    headers += session.switch.events.core("PRIVATE_COMMAND", "PRIVATE_COMMAND")
    headers += ch.basic() + ch.profiles()
    session.switch.fire(OutEvent("PRIVATE_COMMAND", headers))
