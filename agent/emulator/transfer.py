"""switch_ivr_session_transfer: send a channel back through the dialplan.

The channel gets a new caller profile (index + 1, destination, dialplan, context, RDNIS = the
old destination, Transfer-Source "<epoch>:<profile uuid>:bl_xfer:<ext>/<context>/<dialplan>"),
max_forwards counts down from 70, transfer_history and transfer_source are set, and the
running application is broken out of; the session thread then hunts the dialplan again
(captures 08: CHANNEL_UNPARK with the new profile, EXECUTE_COMPLETE park, CS_ROUTING, ...).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from . import causes
from .channel import CS_ROUTING

if TYPE_CHECKING:
    from .session import Session

DEFAULT_MAX_FORWARDS = 70


def transfer(session: Session, extension: str, dialplan: str | None,
             context: str | None) -> bool:
    ch = session.channel
    if not ch.up:
        return False
    dialplan = dialplan or "XML"
    context = context or ch.profile.context
    current = ch.get_var("max_forwards")
    forwards = int(current) - 1 if current and current.isdigit() else DEFAULT_MAX_FORWARDS
    if forwards <= 0:
        session.hangup(causes.parse_cause("EXCHANGE_ROUTING_ERROR"))
        return False
    ch.set_var("max_forwards", str(forwards))
    now = session.now()
    profile = copy.copy(ch.profile)
    profile.rdnis = ch.profile.destination_number
    profile.destination_number = extension
    profile.dialplan = dialplan
    profile.context = context
    profile.profile_index = str(int(ch.profile.profile_index or "1") + 1)
    profile.profile_created = now
    source = (f"{session.switch.clock.epoch()}:{session.switch.new_uuid()}:bl_xfer:"
              f"{extension}/{context}/{dialplan}")
    profile.transfer_source = source
    ch.profile = profile
    history = ch.get_var("transfer_history")
    if history is None:
        ch.set_var("transfer_history", source)
    else:
        items = history[len("ARRAY::"):].split("|:") if history.startswith("ARRAY::") else [history]
        ch.set_var("transfer_history", "ARRAY::" + "|:".join([*items, source]))
    ch.set_var("transfer_source", source)
    session.breaking = True
    session.set_state(CS_ROUTING)
    return True
