"""mod_dptools bridge to a loopback leg (the emulator has no other endpoint), as in capture 07.

bridge_function -> switch_ivr_originate with the calling session:
- the caller gets originate_disposition=failure, DIALSTATUS=INVALIDARGS up front;
- mod_loopback's channel_outgoing_channel pre-answers the caller (unless
  loopback_no_pre_answer), so the caller (and through loopback its -a leg) goes EARLY;
- the callee (a new loopback -a leg) keeps the caller as its originator (see
  originate.outgoing_loopback), is not flipped (no CALL_UPDATE) and answers when its -b leg does;
- then originate_signal_bond / originated_legs, the caller answers, originate_disposition /
  DIALSTATUS SUCCESS, originate_causes, signal_bond, and the callee's profile becomes the
  caller's originatee profile (times copied, Bridged-Time still 0).
switch_ivr_multi_threaded_bridge (switch_ivr_bridge.c): call_uuid, bridge times,
CHANNEL_BRIDGE on the caller only, bridge_to / last_bridge_to, INDICATE_BRIDGE,
bridge_channel / bridge_uuid / signal_bond on both, the callee to CS_EXCHANGE_MEDIA, and
switch_ivr_bridge_display (last_sent_callee_id_*; mod_loopback turns the display into the other
leg's caller id (-b) or callee id (-a)). When the bridge ends: bridge_to removed,
bridge_hangup_cause on both, the callee's call_uuid back to its own, CHANNEL_UNBRIDGE on the
caller, and the application returns. The callee hangs up NORMAL_CLEARING if the caller went
first (audio_bridge_on_exchange_media).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import gevent
from gevent.event import Event

from . import causes
from .channel import CS_EXCHANGE_MEDIA
from .loopback import Target

if TYPE_CHECKING:
    from .session import Session

log = logging.getLogger(__name__)

# switch_ivr_originate's DIALSTATUS for the causes a loopback call can end with.
DIALSTATUS = {causes.USER_BUSY: "BUSY", causes.NO_ANSWER: "NOANSWER",
              causes.ORIGINATOR_CANCEL: "CANCEL", causes.NO_USER_RESPONSE: "NOANSWER"}


class Bridge:
    """Two bridged sessions: a (the originator, running the bridge application) and b."""

    def __init__(self, a: Session, b: Session) -> None:
        self.a, self.b = a, b
        self.ended = Event()  # the originator's bridge loop is over
        self.done = Event()   # ... and so is its cleanup (UNBRIDGE, call_uuid)

    def role(self, session: Session) -> str:
        return "originator" if session is self.a else "originatee"

    def run_originatee(self) -> None:
        """audio_bridge_on_exchange_media on the callee, in its own session greenlet."""
        b = self.b
        while b.channel.up and not self.ended.is_set():
            gevent.wait([b.hungup, self.ended], count=1)
        b.channel.set_var("bridge_to", None)
        b.bridge = None
        if b.channel.up and b.channel.state == CS_EXCHANGE_MEDIA:
            b.hangup(causes.NORMAL_CLEARING if b.channel.answered else causes.ORIGINATOR_CANCEL)
        self.done.wait()


def bridge(session: Session, data: str) -> None:
    from .originate import outgoing_loopback
    caller = session.channel
    caller.set_var("originate_disposition", "failure")
    caller.set_var("DIALSTATUS", "INVALIDARGS")
    target = data.strip()
    if not target.startswith("loopback/"):
        log.info("%s: bridge to %s: the emulator only has loopback/", caller.name, target)
        _failed(session, causes.CHAN_NOT_IMPLEMENTED)
        return
    if caller.get_var("loopback_no_pre_answer") not in ("true", "1", "yes"):
        session.pre_answer()
    callee = outgoing_loopback(session.switch, Target.parse(target[len("loopback/"):]), [],
                               caller=session)
    callee.start()
    while callee.channel.up and not callee.channel.answered and caller.up:
        gevent.wait([callee.answered, callee.hungup, session.hungup], count=1)
    if not callee.channel.answered or not caller.up:
        if callee.channel.up:
            callee.hangup(causes.ORIGINATOR_CANCEL)
        _failed(session, callee.channel.hangup_cause or causes.ORIGINATOR_CANCEL)
        return
    peer = callee.channel
    callee.channel.set_var("endpoint_disposition", "ANSWER")
    caller.set_var("originate_signal_bond", callee.uuid)
    caller.set_var("originated_legs", f"{callee.uuid};{peer.profile.callee_id_name};"
                                      f"{peer.profile.callee_id_number}")
    session.answer()
    caller.set_var("originate_disposition", "SUCCESS")
    caller.set_var("DIALSTATUS", "SUCCESS")
    caller.set_var("originate_causes", f"{callee.uuid};NONE")
    caller.set_var("originate_signal_bond", None)
    caller.set_var("signal_bond", callee.uuid)
    originatee = peer.profile.snapshot()
    originatee.logical_direction = "inbound"  # as captured: the callee, seen from the caller
    caller.other = ("originatee", originatee)
    multi_threaded_bridge(session, callee)


def _failed(session: Session, cause: str) -> None:
    ch = session.channel
    ch.set_var("originate_disposition", cause)
    ch.set_var("DIALSTATUS", DIALSTATUS.get(cause, "FAIL"))
    if ch.up and ch.get_var("continue_on_fail") not in ("true", "1", "yes"):
        session.hangup(cause)


def multi_threaded_bridge(a: Session, b: Session) -> None:
    """switch_ivr_multi_threaded_bridge from the originator's greenlet."""
    ach, bch = a.channel, b.channel
    br = Bridge(a, b)
    a.bridge = b.bridge = br
    bch.set_var("call_uuid", a.uuid)
    now = a.now()
    ach.times.bridged = bch.times.bridged = now
    pre = [("Bridge-A-Unique-ID", a.uuid), ("Bridge-B-Unique-ID", b.uuid)]
    a.fire("CHANNEL_BRIDGE", pre=pre)
    ach.set_var("bridge_to", b.uuid)
    bch.set_var("bridge_to", a.uuid)
    ach.set_var("last_bridge_to", b.uuid)
    bch.set_var("last_bridge_to", a.uuid)
    if b.endpoint is not None:
        b.endpoint.indicate_bridge(b, a)
    if a.endpoint is not None:
        a.endpoint.indicate_bridge(a, b)
    for this, other in ((ach, bch), (bch, ach)):
        this.set_var("bridge_channel", other.name)
        this.set_var("bridge_uuid", other.uuid)
        this.set_var("signal_bond", other.uuid)
    b.set_state(CS_EXCHANGE_MEDIA)
    _display(b, *_display_of(a, b, originator=True))
    _display(a, *_display_of(b, a, originator=False))
    while ach.up and bch.up:
        gevent.wait([a.hungup, b.hungup], count=1)
    ach.set_var("bridge_to", None)
    a.bridge = None
    br.ended.set()
    while bch.up and bch.state == CS_EXCHANGE_MEDIA:
        gevent.wait([b.hungup], count=1)
    if ach.hangup_cause:
        bch.set_var("bridge_hangup_cause", ach.hangup_cause)
    if bch.hangup_cause:
        ach.set_var("bridge_hangup_cause", bch.hangup_cause)
    bch.set_var("call_uuid", b.uuid)
    a.fire("CHANNEL_UNBRIDGE", pre=pre)
    br.done.set()


def _display_of(sender: Session, peer: Session, originator: bool) -> tuple[str, str]:
    """send_display (switch_ivr_bridge.c): what `peer` is told about `sender`."""
    me, them = sender.channel.profile, peer.channel.profile
    if originator:
        name = them.caller_id_name or me.caller_id_name
        number = them.caller_id_number or me.caller_id_number or "UNKNOWN"
    else:
        name = me.callee_id_name
        number = me.callee_id_number or me.destination_number
    name = name or number
    return name.rsplit("/", 1)[-1], number.rsplit("/", 1)[-1]


def _display(receiver: Session, name: str, number: str) -> None:
    """SWITCH_MESSAGE_INDICATE_DISPLAY as switch_core_session_receive_message handles it."""
    ch = receiver.channel
    if name:
        ch.set_var("last_sent_callee_id_name", name)
    if number:
        ch.set_var("last_sent_callee_id_number", number)
    if receiver.endpoint is not None:
        receiver.endpoint.indicate_display(receiver, name, number)
