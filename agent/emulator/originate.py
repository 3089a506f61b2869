"""originate <dial string> <&app(args) | exten [dialplan] [context]> (mod_commands, switch_ivr).

Only loopback/ dial strings make calls (the emulator has no SIP). The new leg is made as
switch_core_session_outgoing_channel does (CODEC events, the rename to loopback/<ext>-a,
CHANNEL_UUID when origination_uuid is given, CHANNEL_OUTGOING), gets the {variables}, then
the originate waits for it to answer: "+OK <uuid>" and the application (&park()) or the
extension it was given, or "-ERR <hangup cause>".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import gevent

from . import causes
from .channel import CS_EXECUTE, CS_INIT, CallerProfile, Times
from .dialplan import Action
from .loopback import DEFAULT_CID_NUMBER, Loopback, Target, new_channel, set_name, tech_init

if TYPE_CHECKING:
    from .core import Switch
    from .session import Session

ORIGINATE_SYNTAX = ("<call url> <exten>|&<application_name>(<app_args>) [<dialplan>] "
                    "[<context>] [<cid_name>] [<cid_num>] [<timeout_sec>]")
DEFAULT_TIMEOUT = 60
# switch_ivr_originate checks its peer legs once per 20 ms frame: it notices an answer up to
# one frame late (CALL_UPDATE came 18 ms after CHANNEL_ANSWER in capture 05).
POLL = 0.02
_APP = re.compile(r"^&([^(\s]+)(?:\((.*)\))?$", re.S)


class DialStringError(ValueError):
    """The dial string does not parse."""


def parse_dial_string(text: str) -> tuple[list[tuple[str, str]], str]:
    """Leading {a=b,c=d} / [a=b] variable blocks, then the endpoint string."""
    variables: list[tuple[str, str]] = []
    rest = text.strip()
    while rest[:1] in ("{", "[", "<"):
        close = {"{": "}", "[": "]", "<": ">"}[rest[0]]
        end = _closing(rest, close)
        if end < 0:
            raise DialStringError(f"unterminated {rest[0]} in dial string")
        variables += _split_vars(rest[1:end])
        rest = rest[end + 1:].strip()
    return variables, rest


def _closing(text: str, close: str) -> int:
    quoted = False
    for i, char in enumerate(text):
        if char == "'":
            quoted = not quoted
        elif char == close and not quoted:
            return i
    return -1


def _split_vars(body: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    item, quoted, escaped = "", False, False
    for char in body + ",":
        if escaped:
            item += char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "'":
            quoted = not quoted
        elif char == "," and not quoted:
            name, sep, value = item.partition("=")
            if sep and name.strip():
                out.append((name.strip(), value))
            item = ""
        else:
            item += char
    return out


@dataclass
class OriginateRequest:
    dial_string: str
    target: str
    dialplan: str | None = None
    context: str | None = None
    cid_name: str | None = None
    cid_num: str | None = None
    timeout: int | None = None

    @classmethod
    def parse(cls, args: str) -> OriginateRequest | None:
        argv = args.split()
        if len(argv) < 2:
            return None

        def arg(i: int) -> str | None:
            return argv[i] if len(argv) > i else None
        timeout = int(argv[6]) if len(argv) > 6 and argv[6].isdigit() else None
        return cls(argv[0], argv[1], arg(2), arg(3), arg(4), arg(5), timeout)


def originate(switch: Switch, request: OriginateRequest) -> str:
    """Run an originate to the end; the api reply text."""
    try:
        variables, endpoint = parse_dial_string(request.dial_string)
    except DialStringError:
        return "-ERR INVALID_URL\n"
    if not endpoint.startswith("loopback/"):
        return "-ERR CHAN_NOT_IMPLEMENTED\n"
    if switch.shutting_down or len(switch.sessions) >= switch.settings.max_sessions:
        return "-ERR SWITCH_CONGESTION\n"
    leg = outgoing_loopback(switch, Target.parse(endpoint[len("loopback/"):]), variables,
                            request.cid_name, request.cid_num)
    leg.start()
    deadline = switch.clock.time() + (request.timeout or _timeout(variables))
    while not leg.channel.answered and leg.channel.up:
        remaining = deadline - switch.clock.time()
        if remaining <= 0:
            break
        gevent.wait([leg.answered, leg.hungup], timeout=remaining, count=1)
    if not leg.channel.answered:
        if leg.channel.up:
            leg.hangup(causes.NO_ANSWER)
        return f"-ERR {leg.channel.hangup_cause or causes.NO_ANSWER}\n"
    gevent.sleep(POLL)
    if not leg.channel.up:
        return f"-ERR {leg.channel.hangup_cause}\n"
    leg.channel.set_var("endpoint_disposition", "ANSWER")
    flip_cid(leg)
    match = _APP.match(request.target)
    if match:
        leg.extension = [Action(match.group(1), match.group(2) or "")]
        leg.set_state(CS_EXECUTE)
    else:
        leg.transfer(request.target, request.dialplan, request.context)
    return f"+OK {leg.uuid}\n"


def _timeout(variables: list[tuple[str, str]]) -> int:
    for name, value in variables:
        if name in ("originate_timeout", "leg_timeout") and value.isdigit():
            return int(value)
    return DEFAULT_TIMEOUT


def outgoing_loopback(switch: Switch, target: Target, variables: list[tuple[str, str]],
                      cid_name: str | None = None, cid_num: str | None = None,
                      caller: Session | None = None) -> Session:
    """switch_core_session_outgoing_channel for loopback: the -a leg, not started yet.

    With a calling session (the bridge application), mod_loopback's outgoing_channel adds
    loopback_from_uuid, the new leg keeps the caller's profile as its originator (times not
    copied) from CHANNEL_OUTGOING on, and switch_core_session_outgoing_channel /
    switch_ivr_originate add max_forwards, originator_codec, originator, signal_bond,
    call_uuid and originating_leg_uuid (capture 07).
    """
    from .session import Session
    values = dict(variables)
    base = caller.channel.profile if caller is not None else None
    number = (values.get("origination_caller_id_number") or cid_num
              or (base.caller_id_number if base else "") or DEFAULT_CID_NUMBER)
    name_ = (values.get("origination_caller_id_name") or cid_name
             or (base.caller_id_name if base else ""))
    uuid = switch.new_uuid()
    now = switch.clock.micros()
    profile = CallerProfile(
        direction="outbound", logical_direction="outbound", dialplan=target.dialplan,
        caller_id_name=name_, caller_id_number=number, orig_caller_id_number=number,
        orig_caller_id_name=name_, callee_id_name="Outbound Call",
        callee_id_number=target.data.rsplit("/", 1)[-1], ani=number,
        destination_number=target.extension, uuid=uuid, source="mod_loopback",
        context=target.context, chan_name=f"loopback/{target.data}-a",
        times=Times(profile_created=now, created=now), profile_created=now)
    channel = new_channel(switch, uuid, profile.chan_name, "outbound", profile)
    session = Session(switch, channel, Loopback("A", target, variables), originated=True)
    switch.register(session)
    tech_init(session)
    if caller is not None:
        channel.set_var("loopback_from_uuid", caller.uuid)
    set_name(channel, f"loopback/{target.extension}-a")
    channel.state = CS_INIT
    wanted = values.get("origination_uuid")
    if wanted and wanted != uuid and switch.locate(wanted) is None:
        set_uuid(session, wanted)
    if caller is not None:
        channel.other = ("originator", caller.channel.profile.snapshot(with_times=False))
    session.fire("CHANNEL_OUTGOING")
    if caller is not None:
        forwards = caller.channel.get_var("max_forwards")
        channel.set_var("max_forwards", str(int(forwards) - 1)
                        if forwards and forwards.isdigit() else "70")
        channel.set_var("originator_codec", "L16@8000h@20i")
        channel.set_var("originator", caller.uuid)
        channel.set_var("signal_bond", caller.uuid)
        channel.set_var("call_uuid", caller.uuid)
    for key, value in variables:
        channel.set_var(key, value)
    channel.set_var("originate_early_media", "true")
    if caller is not None:
        channel.set_var("originating_leg_uuid", caller.uuid)
    channel.set_var("originate_endpoint", "loopback")
    return session


def set_uuid(session: Session, uuid: str) -> None:
    """switch_core_session_set_uuid: a new Unique-ID, announced with CHANNEL_UUID."""
    ch = session.channel
    old = ch.uuid
    ch.uuid = ch.profile.uuid = uuid
    session.switch.rename(old, uuid)
    ch.set_var("uuid", uuid)
    ch.set_var("call_uuid", uuid)
    session.fire("CHANNEL_UUID", pre=[("Old-Unique-ID", old)])


def flip_cid(session: Session) -> None:
    """switch_channel_flip_cid: caller and callee ids swap, then CALL_UPDATE (Direction RECV)."""
    ch = session.channel
    p = ch.profile
    if p.caller_id_name:
        ch.set_var("pre_transfer_caller_id_name", p.caller_id_name)
    if p.caller_id_number:
        ch.set_var("pre_transfer_caller_id_number", p.caller_id_number)
    p.caller_id_name, p.callee_id_name = p.callee_id_name, p.caller_id_name
    p.caller_id_number, p.callee_id_number = p.callee_id_number, p.caller_id_number
    ch.set_var("channel_cid_flipped", "yes")
    ch.hit_dialplan = True
    session.fire("CALL_UPDATE", pre=[("Direction", "RECV")])
