"""The channel model: state, caller profile, variables, and the header blocks events carry.

Header blocks follow switch_channel_event_set_data (switch_channel.c):
- basic data: Channel-State (the RUNNING state's name), Channel-Call-State, Channel-State-Number
  (the requested state's number: CHANNEL_UUID reads "CS_NONE" with number 1), name, Unique-ID,
  directions, Channel-HIT-Dialplan, Channel-Call-UUID, Answer-State, Hangup-Cause once set, codecs;
- the caller profile as Caller-* (switch_caller_profile_event_set_data: empty values omitted);
- the other leg's profile as Other-Type / Other-Leg-* once bridged or originated;
- variable_* for the event types of switch_channel_event_set_extended_data (EXTENDED_EVENTS) or
  when verbose events are on (FreeSWITCH turns them on for the channels it hangs up at shutdown).
Variables keep FreeSWITCH's order: setting one again moves it to the end (del + add).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

# switch_channel_state_t
STATE_NAMES = ("CS_NEW", "CS_INIT", "CS_ROUTING", "CS_SOFT_EXECUTE", "CS_EXECUTE",
               "CS_EXCHANGE_MEDIA", "CS_PARK", "CS_CONSUME_MEDIA", "CS_HIBERNATE", "CS_RESET",
               "CS_HANGUP", "CS_REPORTING", "CS_DESTROY", "CS_NONE")
CS_NEW, CS_INIT, CS_ROUTING, CS_SOFT_EXECUTE, CS_EXECUTE, CS_EXCHANGE_MEDIA, CS_PARK = range(7)
CS_CONSUME_MEDIA, CS_HIBERNATE, CS_RESET, CS_HANGUP = range(7, 11)
CS_REPORTING, CS_DESTROY, CS_NONE = range(11, 14)

# switch_channel_callstate_t
CALLSTATES = ("DOWN", "DIALING", "RINGING", "EARLY", "ACTIVE", "HELD", "RING_WAIT", "HANGUP",
              "UNHELD")

# Event types that carry variable_* headers (switch_channel_event_set_extended_data).
EXTENDED_EVENTS = frozenset({
    "CHANNEL_CREATE", "CHANNEL_ORIGINATE", "CHANNEL_UUID", "CHANNEL_ANSWER", "CHANNEL_PARK",
    "CHANNEL_UNPARK", "CHANNEL_BRIDGE", "CHANNEL_UNBRIDGE", "CHANNEL_PROGRESS",
    "CHANNEL_PROGRESS_MEDIA", "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE", "REQUEST_PARAMS",
    "CHANNEL_DATA", "CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_DESTROY",
    "SESSION_HEARTBEAT", "API", "RECORD_START", "RECORD_STOP", "PLAYBACK_START", "PLAYBACK_STOP",
    "CALL_UPDATE", "MEDIA_BUG_START", "MEDIA_BUG_STOP", "CHANNEL_HOLD", "CHANNEL_UNHOLD",
    "CUSTOM",
})

Headers = list[tuple[str, str]]


@dataclass
class Times:
    """switch_channel_timetable_t, in epoch microseconds (0 = not happened)."""

    profile_created: int = 0
    created: int = 0
    answered: int = 0
    progress: int = 0
    progress_media: int = 0
    hungup: int = 0
    transferred: int = 0
    resurrected: int = 0
    bridged: int = 0
    last_hold: int = 0
    hold_accum: int = 0


@dataclass
class CallerProfile:
    """switch_caller_profile_t: the fields events show as Caller-* / Other-Leg-*."""

    direction: str
    logical_direction: str
    dialplan: str
    caller_id_name: str
    caller_id_number: str
    destination_number: str
    uuid: str
    source: str
    context: str
    chan_name: str
    times: Times
    orig_caller_id_name: str = ""
    orig_caller_id_number: str = ""
    callee_id_name: str = ""
    callee_id_number: str = ""
    username: str = ""
    network_addr: str = ""
    ani: str = ""
    aniii: str = ""
    transfer_source: str = ""
    rdnis: str = ""
    profile_index: str | None = "1"
    profile_created: int = 0

    def headers(self, prefix: str) -> Headers:
        """switch_caller_profile_event_set_data: non-empty fields in FreeSWITCH's order."""
        out: Headers = []
        for name, value in (
            ("Direction", self.direction), ("Logical-Direction", self.logical_direction),
            ("Username", self.username), ("Dialplan", self.dialplan),
            ("Caller-ID-Name", self.caller_id_name), ("Caller-ID-Number", self.caller_id_number),
            ("Orig-Caller-ID-Name", self.orig_caller_id_name),
            ("Orig-Caller-ID-Number", self.orig_caller_id_number),
            ("Callee-ID-Name", self.callee_id_name), ("Callee-ID-Number", self.callee_id_number),
            ("Network-Addr", self.network_addr), ("ANI", self.ani), ("ANI-II", self.aniii),
            ("Destination-Number", self.destination_number), ("Unique-ID", self.uuid),
            ("Source", self.source), ("Transfer-Source", self.transfer_source),
            ("Context", self.context), ("RDNIS", self.rdnis), ("Channel-Name", self.chan_name),
        ):
            if value:
                out.append((f"{prefix}-{name}", value))
        if self.profile_index:
            out.append((f"{prefix}-Profile-Index", self.profile_index))
        t = self.times
        out += [
            (f"{prefix}-Profile-Created-Time", str(self.profile_created)),
            (f"{prefix}-Channel-Created-Time", str(t.created)),
            (f"{prefix}-Channel-Answered-Time", str(t.answered)),
            (f"{prefix}-Channel-Progress-Time", str(t.progress)),
            (f"{prefix}-Channel-Progress-Media-Time", str(t.progress_media)),
            (f"{prefix}-Channel-Hangup-Time", str(t.hungup)),
            (f"{prefix}-Channel-Transfer-Time", str(t.transferred)),
            (f"{prefix}-Channel-Resurrect-Time", str(t.resurrected)),
            (f"{prefix}-Channel-Bridged-Time", str(t.bridged)),
            (f"{prefix}-Channel-Last-Hold", str(t.last_hold)),
            (f"{prefix}-Channel-Hold-Accum", str(t.hold_accum)),
            (f"{prefix}-Screen-Bit", "true"),
            (f"{prefix}-Privacy-Hide-Name", "false"),
            (f"{prefix}-Privacy-Hide-Number", "false"),
        ]
        return out

    def snapshot(self, with_times: bool = True) -> CallerProfile:
        """A clone as another channel keeps it (no profile index, times frozen).

        switch_caller_profile_clone leaves the times empty (the originator profile a new
        outgoing leg gets shows all times 0, capture 07); the originatee profile
        switch_ivr_originate keeps copies them.
        """
        clone = copy.copy(self)
        clone.times = copy.copy(self.times) if with_times else Times()
        if not with_times:
            clone.profile_created = 0
        clone.profile_index = None
        return clone


@dataclass
class Codec:
    name: str = "L16"
    rate: int = 8000
    bit_rate: int = 128000


@dataclass
class Channel:
    """One emulated channel (one call leg)."""

    uuid: str
    name: str
    direction: str
    profile: CallerProfile
    session_id: int
    hit_dialplan: bool = False
    state: int = CS_NEW
    running_state: int = CS_NONE
    callstate: int = 0
    answer_state: str = "ringing"
    hangup_cause: str | None = None
    read_codec: Codec | None = None
    write_codec: Codec | None = None
    other: tuple[str, CallerProfile] | None = None
    verbose: bool = False
    variables: dict[str, str] = field(default_factory=dict)

    # --- variables (switch_channel_set_variable: delete, then add at the bottom)

    def set_var(self, name: str, value: str | None) -> None:
        self.variables.pop(name, None)
        if value is not None:
            self.variables[name] = value

    def get_var(self, name: str) -> str | None:
        return self.variables.get(name)

    # --- state

    @property
    def times(self) -> Times:
        return self.profile.times

    @property
    def state_name(self) -> str:
        return STATE_NAMES[self.running_state]

    @property
    def callstate_name(self) -> str:
        return CALLSTATES[self.callstate]

    @property
    def up(self) -> bool:
        """Not hung up yet (switch_channel_up)."""
        return self.hangup_cause is None

    @property
    def answered(self) -> bool:
        return self.times.answered > 0

    # --- header blocks

    def basic(self) -> Headers:
        out: Headers = [
            ("Channel-State", STATE_NAMES[self.running_state]),
            ("Channel-Call-State", CALLSTATES[self.callstate]),
            ("Channel-State-Number", str(self.state)),
            ("Channel-Name", self.name),
            ("Unique-ID", self.uuid),
            ("Call-Direction", self.direction),
            ("Presence-Call-Direction", self.direction),
            ("Channel-HIT-Dialplan", "true" if self.hit_dialplan else "false"),
            ("Channel-Call-UUID", self.variables.get("call_uuid") or self.uuid),
            ("Answer-State", self.answer_state),
        ]
        if self.hangup_cause is not None:
            out.append(("Hangup-Cause", self.hangup_cause))
        if self.read_codec:
            c = self.read_codec
            out += [("Channel-Read-Codec-Name", c.name), ("Channel-Read-Codec-Rate", str(c.rate)),
                    ("Channel-Read-Codec-Bit-Rate", str(c.bit_rate))]
        if self.write_codec:
            c = self.write_codec
            out += [("Channel-Write-Codec-Name", c.name), ("Channel-Write-Codec-Rate", str(c.rate)),
                    ("Channel-Write-Codec-Bit-Rate", str(c.bit_rate))]
        return out

    def profiles(self) -> Headers:
        out = self.profile.headers("Caller")
        if self.other is not None:
            kind, profile = self.other
            out.append(("Other-Type", kind))
            out += profile.headers("Other-Leg")
        return out

    def variable_headers(self) -> Headers:
        return [("variable_" + name, value) for name, value in self.variables.items()]

    def event_data(self, event_name: str) -> Headers:
        """switch_channel_event_set_data for an event of this type."""
        out = self.basic() + self.profiles()
        if self.verbose or event_name in EXTENDED_EVENTS:
            out += self.variable_headers()
        return out
