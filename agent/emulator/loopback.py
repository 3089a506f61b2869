"""mod_loopback: a call to loopback/<ext>[/<context>[/<dialplan>]] makes two channels.

The -a leg (outbound) is the one an originate creates; in its CS_INIT it makes the -b leg
(inbound), gives it the originate's {variables} in order, and both get
other_loopback_leg_uuid and loopback_leg. The -b leg runs the dialplan; answering or
pre-answering it marks the -a leg answered / early (channel_receive_message).
On hangup, mod_loopback's on_hangup hangs the other leg up with the same cause. And when the
-b leg goes, the -a leg's media stops at once (channel_kill_channel clears TFLAG_LINKED), so an
application the -a leg runs (park, playback) returns and the -a leg ends NORMAL_CLEARING before
the cause could reach it: capture 08 (b-leg ALLOTTED_TIMEOUT, a-leg NORMAL_CLEARING) versus
capture 09 (a-leg ALLOTTED_TIMEOUT, b-leg ALLOTTED_TIMEOUT) and 06 (a-leg still originating).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .channel import CS_INIT, CS_ROUTING, CallerProfile, Channel, Codec, Times

if TYPE_CHECKING:
    from .core import Switch
    from .session import Session

DEFAULT_CID_NUMBER = "0000000000"  # SWITCH_DEFAULT_CLID_NUMBER


@dataclass(frozen=True)
class Target:
    """Where a loopback call goes: loopback/<extension>/<context>/<dialplan>."""

    data: str
    extension: str
    context: str
    dialplan: str

    @classmethod
    def parse(cls, data: str) -> Target:
        extension, _, rest = data.partition("/")
        context, _, dialplan = rest.partition("/")
        return cls(data, extension, context or "default", dialplan or "xml")


def new_channel(switch: Switch, uuid: str, name: str, direction: str,
                profile: CallerProfile) -> Channel:
    """switch_core_session_request + switch_channel_set_name: the first variables, in order."""
    channel = Channel(uuid=uuid, name=name, direction=direction, profile=profile,
                      session_id=switch.next_session_id(), hit_dialplan=direction == "inbound")
    channel.set_var("direction", direction)
    if direction == "outbound":
        channel.set_var("is_outbound", "true")
    channel.set_var("uuid", uuid)
    channel.set_var("call_uuid", uuid)
    channel.set_var("session_id", str(channel.session_id))
    channel.set_var("channel_name", name)
    return channel


def set_name(channel: Channel, name: str) -> None:
    channel.name = name
    channel.profile.chan_name = name
    channel.set_var("channel_name", name)


def tech_init(session: Session) -> None:
    """mod_loopback tech_init: L16/8000 read and write codecs, each with its CODEC event."""
    ch = session.channel
    ch.read_codec = Codec()
    session.fire("CODEC", "CODEC_READ", data=ch.basic(), post=[
        ("channel-read-codec-name", "L16"), ("channel-read-codec-rate", "8000"),
        ("channel-read-codec-bit-rate", "128000")])
    ch.set_var("read_codec", "L16")
    ch.set_var("read_rate", "8000")
    ch.write_codec = Codec()
    session.fire("CODEC", "CODEC_WRITE", data=ch.basic(), post=[
        ("Channel-Write-Codec-Name", "L16"), ("Channel-Write-Codec-Rate", "8000"),
        ("Channel-Write-codec-bit-rate", "128000")])
    ch.set_var("write_codec", "L16")
    ch.set_var("write_rate", "8000")


class Loopback:
    """The endpoint behaviour of one loopback leg."""

    def __init__(self, leg: str, target: Target, variables: list[tuple[str, str]] | None = None,
                 other: Session | None = None) -> None:
        self.leg = leg
        self.target = target
        self.variables = variables or []
        self.other = other

    def on_init(self, session: Session) -> None:
        ch = session.channel
        if self.leg == "A":
            b_leg = self._make_b_leg(session)
            self.other = b_leg
            ch.set_var("other_loopback_leg_uuid", b_leg.uuid)
            b_leg.channel.set_var("other_loopback_leg_uuid", ch.uuid)
            b_leg.channel.set_var("other_loopback_from_uuid", ch.get_var("loopback_from_uuid"))
            b_leg.start()
        ch.set_var("loopback_leg", self.leg)
        session.set_state(CS_ROUTING)

    def _make_b_leg(self, a_leg: Session) -> Session:
        from .session import Session
        switch = a_leg.switch
        uuid = switch.new_uuid()
        name = f"loopback/{self.target.extension}-b"
        now = switch.clock.micros()
        profile = a_leg.channel.profile.snapshot()
        profile.direction = profile.logical_direction = "inbound"
        profile.uuid, profile.chan_name, profile.source = uuid, name, "mod_loopback"
        profile.profile_index, profile.profile_created = "1", now
        profile.times = Times(profile_created=now, created=now)
        channel = new_channel(switch, uuid, name, "inbound", profile)
        b_leg = Session(switch, channel, Loopback("B", self.target, other=a_leg))
        switch.register(b_leg)
        tech_init(b_leg)
        channel.state = CS_INIT
        for key, value in self.variables:
            channel.set_var(key, value)
        return b_leg

    def on_hangup(self, session: Session) -> None:
        session.channel.set_var("is_loopback", "1")
        other = self.other
        if other is not None and other.channel.up:
            other.hangup(session.channel.hangup_cause or "NORMAL_CLEARING")

    def on_kill(self, session: Session) -> None:
        other = self.other
        if self.leg == "B" and other is not None and other.channel.up:
            other.media_lost = True
            other.wake.set()

    def indicate_answer(self, session: Session) -> None:
        if self.leg == "B" and self.other is not None:
            self.other.mark_answered()

    def indicate_progress(self, session: Session) -> None:
        if self.leg == "B" and self.other is not None:
            self.other.mark_pre_answered()

    def indicate_display(self, session: Session, name: str, number: str) -> None:
        """SWITCH_MESSAGE_INDICATE_DISPLAY: the -b leg shows it as the -a leg's caller id,
        the -a leg as the -b leg's callee id (no event; capture 07)."""
        if self.other is None:
            return
        profile = self.other.channel.profile
        if self.leg == "B":
            profile.caller_id_name = name or profile.caller_id_name
            profile.caller_id_number = number or profile.caller_id_number
        else:
            profile.callee_id_name = name or profile.callee_id_name
            profile.callee_id_number = number or profile.callee_id_number

    def indicate_bridge(self, session: Session, peer: Session) -> None:
        """SWITCH_MESSAGE_INDICATE_BRIDGE on a -b leg: the peer's other_leg_true_id."""
        if self.leg == "B":
            peer.channel.set_var("other_leg_true_id",
                                 session.channel.get_var("other_loopback_from_uuid"))
