"""mod_dptools bridge to a loopback leg (the emulator has no other endpoint).

switch_ivr_originate from a session: the new loopback -a leg is the callee; its early media
(the -b leg pre-answers while it runs the dialplan) makes the caller early too; when the callee
answers, the caller answers, and switch_ivr_multi_threaded_bridge fires CHANNEL_BRIDGE on the
bridging leg only, with Bridge-A/B-Unique-ID and Other-Leg-* (capture 07); the callee moves
to CS_EXCHANGE_MEDIA. When either side hangs up, CHANNEL_UNBRIDGE is fired, again on the
bridging leg, and the bridge application completes.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import gevent

from . import causes
from .channel import CS_EXCHANGE_MEDIA
from .loopback import Target

if TYPE_CHECKING:
    from .session import Session

log = logging.getLogger(__name__)


def bridge(session: Session, data: str) -> None:
    from .originate import flip_cid, outgoing_loopback
    target = data.strip()
    if not target.startswith("loopback/"):
        log.info("%s: bridge to %s: the emulator only has loopback/", session.channel.name, target)
        session.channel.set_var("originate_disposition", "CHAN_NOT_IMPLEMENTED")
        return
    caller = session.channel
    callee = outgoing_loopback(session.switch, Target.parse(target[len("loopback/"):]), [],
                               caller.profile.caller_id_name or None,
                               caller.profile.caller_id_number or None)
    callee.originated = True
    callee.start()
    while callee.channel.up and not callee.channel.answered and caller.up:
        if callee.early and not session.early and not caller.answered:
            session.pre_answer()
        gevent.wait([callee.answered, callee.hungup, session.hungup], count=1, timeout=1.0)
        if callee.early and not session.early and not caller.answered:
            session.pre_answer()
    if not callee.channel.answered or not caller.up:
        cause = callee.channel.hangup_cause or causes.NORMAL_CLEARING
        caller.set_var("originate_disposition", cause)
        if callee.channel.up:
            callee.hangup(causes.ORIGINATOR_CANCEL)
        return
    callee.channel.set_var("endpoint_disposition", "ANSWER")
    flip_cid(callee)
    session.answer()
    _bridge(session, callee)


def _bridge(a: Session, b: Session) -> None:
    now = a.now()
    a.partner, b.partner = b, a
    for side in (a, b):
        side.channel.times.bridged = now
    a.channel.other = ("originatee", b.channel.profile.snapshot())
    b.channel.other = ("originator", a.channel.profile.snapshot())
    b.channel.set_var("call_uuid", a.uuid)
    b.set_state(CS_EXCHANGE_MEDIA)
    pre = [("Bridge-A-Unique-ID", a.uuid), ("Bridge-B-Unique-ID", b.uuid)]
    a.fire("CHANNEL_BRIDGE", pre=pre)
    while a.channel.up and b.channel.up:
        gevent.wait([a.hungup, b.hungup], count=1)
    a.fire("CHANNEL_UNBRIDGE", pre=pre)
    a.partner = b.partner = None
    if b.channel.up:
        b.hangup(a.channel.hangup_cause or causes.NORMAL_CLEARING)
