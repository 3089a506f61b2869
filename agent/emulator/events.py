"""Events as the emulated switch fires them: the core header block, call sites, serialization.

Every event starts with the block switch_event_prep_for_delivery adds (Event-Name, Core-UUID,
FreeSWITCH-Hostname/-Switchname/-IPv4/-IPv6, Event-Date-Local/-GMT/-Timestamp,
Event-Calling-File/-Function/-Line-Number, Event-Sequence), then the headers the firing code
added, in order. The call sites below are the ones FreeSWITCH 1.11.1 reported in the captures.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from agent.freeswitch import wire

from .clock import Clock

# switch_event.c EVENT_NAMES, in switch_event_types_t order; "ALL" selects every type.
EVENT_NAMES: tuple[str, ...] = (
    "CUSTOM", "CLONE", "CHANNEL_CREATE", "CHANNEL_DESTROY", "CHANNEL_STATE", "CHANNEL_CALLSTATE",
    "CHANNEL_ANSWER", "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE", "CHANNEL_EXECUTE",
    "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HOLD", "CHANNEL_UNHOLD", "CHANNEL_BRIDGE",
    "CHANNEL_UNBRIDGE", "CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA", "CHANNEL_OUTGOING",
    "CHANNEL_PARK", "CHANNEL_UNPARK", "CHANNEL_APPLICATION", "CHANNEL_ORIGINATE", "CHANNEL_UUID",
    "API", "LOG", "INBOUND_CHAN", "OUTBOUND_CHAN", "STARTUP", "SHUTDOWN", "PUBLISH", "UNPUBLISH",
    "TALK", "NOTALK", "SESSION_CRASH", "MODULE_LOAD", "MODULE_UNLOAD", "DTMF", "MESSAGE",
    "PRESENCE_IN", "NOTIFY_IN", "PRESENCE_OUT", "PRESENCE_PROBE", "MESSAGE_WAITING",
    "MESSAGE_QUERY", "ROSTER", "CODEC", "BACKGROUND_JOB", "DETECTED_SPEECH", "DETECTED_TONE",
    "PRIVATE_COMMAND", "HEARTBEAT", "TRAP", "ADD_SCHEDULE", "DEL_SCHEDULE", "EXE_SCHEDULE",
    "RE_SCHEDULE", "RELOADXML", "NOTIFY", "PHONE_FEATURE", "PHONE_FEATURE_SUBSCRIBE",
    "SEND_MESSAGE", "RECV_MESSAGE", "REQUEST_PARAMS", "CHANNEL_DATA", "GENERAL", "COMMAND",
    "SESSION_HEARTBEAT", "CLIENT_DISCONNECTED", "SERVER_DISCONNECTED", "SEND_INFO", "RECV_INFO",
    "RECV_RTCP_MESSAGE", "SEND_RTCP_MESSAGE", "CALL_SECURE", "NAT", "RECORD_START",
    "RECORD_STOP", "PLAYBACK_START", "PLAYBACK_STOP", "CALL_UPDATE", "FAILURE", "SOCKET_DATA",
    "MEDIA_BUG_START", "MEDIA_BUG_STOP", "CONFERENCE_DATA_QUERY", "CONFERENCE_DATA",
    "CALL_SETUP_REQ", "CALL_SETUP_RESULT", "CALL_DETAIL", "DEVICE_STATE", "TEXT",
    "SHUTDOWN_REQUESTED", "ALL",
)
_NAMES_UPPER = {name.upper(): name for name in EVENT_NAMES}


def event_type(text: str) -> str | None:
    """switch_name_event: a type name, case-insensitive, optionally prefixed SWITCH_EVENT_."""
    upper = text.upper()
    if len(upper) > 13 and upper.startswith("SWITCH_EVENT_") and upper[13:] in _NAMES_UPPER:
        return _NAMES_UPPER[upper[13:]]
    return _NAMES_UPPER.get(upper)


@dataclass(frozen=True, slots=True)
class Site:
    """Where FreeSWITCH fires an event from (Event-Calling-File/-Function/-Line-Number)."""

    file: str
    function: str
    line: int


# Call sites reported by FreeSWITCH 1.11.1 in tests/fixtures/freeswitch (and, for the events the
# captures do not show, the function that fires them in the 1.11 source).
SITES: dict[str, Site] = {
    "CODEC_READ": Site("switch_core_codec.c", "switch_core_session_set_read_codec", 300),
    "CODEC_WRITE": Site("switch_core_codec.c", "switch_core_session_set_write_codec", 471),
    "CHANNEL_UUID": Site("switch_core_session.c", "switch_core_session_set_uuid", 2056),
    "CHANNEL_OUTGOING": Site("switch_core_session.c", "switch_core_session_outgoing_channel", 768),
    "CHANNEL_STATE": Site("switch_channel.c", "switch_channel_perform_set_running_state", 2409),
    "CHANNEL_CALLSTATE": Site("switch_channel.c", "switch_channel_perform_set_callstate", 302),
    "CHANNEL_CREATE": Site("switch_core_state_machine.c", "switch_core_session_run", 626),
    "CHANNEL_ORIGINATE": Site("switch_core_state_machine.c", "switch_core_session_run", 632),
    "CHANNEL_EXECUTE": Site("switch_core_session.c", "switch_core_session_exec", 2949),
    "CHANNEL_EXECUTE_COMPLETE": Site("switch_core_session.c", "switch_core_session_exec", 2972),
    "CHANNEL_ANSWER": Site("switch_channel.c", "switch_channel_perform_mark_answered", 3848),
    "CHANNEL_PROGRESS": Site("switch_channel.c",  # not captured: the line is unverified
                             "switch_channel_perform_mark_ring_ready_value", 3464),
    "CHANNEL_PROGRESS_MEDIA": Site("switch_channel.c",
                                   "switch_channel_perform_mark_pre_answered", 3562),
    "CALL_UPDATE": Site("switch_channel.c", "switch_channel_flip_cid", 3279),
    "CHANNEL_PARK": Site("switch_ivr.c", "switch_ivr_park", 1002),
    "CHANNEL_UNPARK": Site("switch_ivr.c", "switch_ivr_park", 1213),
    "CHANNEL_HANGUP": Site("switch_channel.c", "switch_channel_perform_hangup", 3447),
    "CHANNEL_HANGUP_COMPLETE": Site("switch_core_state_machine.c",
                                    "switch_core_session_reporting_state", 943),
    "CHANNEL_DESTROY": Site("switch_core_session.c", "switch_core_session_perform_destroy", 1588),
    "CHANNEL_BRIDGE": Site("switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", 1689),
    "CHANNEL_UNBRIDGE": Site("switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", 1879),
    "PLAYBACK_START": Site("switch_ivr_play_say.c", "switch_ivr_play_file", 1649),
    "PLAYBACK_STOP": Site("switch_ivr_play_say.c", "switch_ivr_play_file", 2023),
    "COMMAND": Site("switch_ivr_async.c", "switch_ivr_broadcast", 5732),
    "PRIVATE_COMMAND": Site("switch_ivr.c", "switch_ivr_parse_next_event", 804),
    "API": Site("switch_loadable_module.c", "switch_api_execute", 2954),
    "BACKGROUND_JOB": Site("mod_event_socket.c", "api_exec", 1569),
    "HEARTBEAT": Site("switch_core.c", "send_heartbeat", 95),
    "RE_SCHEDULE": Site("switch_scheduler.c", "switch_scheduler_execute", 73),
    "ADD_SCHEDULE": Site("switch_scheduler.c", "switch_scheduler_add_task_ex", 266),
    "DEL_SCHEDULE": Site("switch_scheduler.c", "task_thread_loop", 151),
    "SHUTDOWN": Site("switch_core.c", "switch_core_destroy", 3033),
    "MODULE_UNLOAD": Site("switch_loadable_module.c", "switch_loadable_module_unprocess", 1240),
    "MODULE_UNLOAD_ENDPOINT": Site("switch_loadable_module.c",
                                   "switch_loadable_module_unprocess", 1126),
}

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def date_local(epoch: float) -> str:
    """Event-Date-Local and the *_stamp variables: local time, seconds resolution."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch))


def date_gmt(epoch: float) -> str:
    """Event-Date-GMT, RFC 1123 (English names whatever the locale)."""
    t = time.gmtime(epoch)
    return (f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year} "
            f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT")


class OutEvent:
    """A fired event: its headers in order, its body, and its serializations (cached)."""

    __slots__ = ("_cache", "body", "headers", "name", "subclass")

    def __init__(self, name: str, headers: list[tuple[str, str]], body: str | None = None,
                 subclass: str | None = None) -> None:
        self.name = name
        self.headers = headers
        self.body = body
        self.subclass = subclass
        self._cache: dict[str, bytes] = {}

    def first(self, name: str) -> str | None:
        """switch_event_get_header: the first header of that name, case-insensitive."""
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None

    @property
    def unique_id(self) -> str | None:
        return self.first("Unique-ID")

    def framed(self, fmt: str) -> bytes:
        """The whole text/event-<fmt> message mod_event_socket writes for this event."""
        cached = self._cache.get(fmt)
        if cached is None:
            if fmt == "json":
                body = wire.encode_json_event(self.headers, self.body)
            else:
                body = wire.encode_plain_event(self.headers, self.body)
            cached = wire.frame_event(body, fmt)
            self._cache[fmt] = cached
        return cached


@dataclass(frozen=True)
class Identity:
    """Who the emulated switch says it is in every event."""

    core_uuid: str
    hostname: str
    switchname: str
    ipv4: str
    ipv6: str


class EventFactory:
    """Builds the core header block and numbers events (Event-Sequence)."""

    def __init__(self, identity: Identity, clock: Clock) -> None:
        self.identity = identity
        self.clock = clock
        self.sequence = 0

    def core(self, name: str, site: Site | str) -> list[tuple[str, str]]:
        """The switch_event_prep_for_delivery block for an event fired now from site."""
        where = SITES[site] if isinstance(site, str) else site
        now_us = self.clock.micros()
        self.sequence += 1
        ident = self.identity
        return [
            ("Event-Name", name),
            ("Core-UUID", ident.core_uuid),
            ("FreeSWITCH-Hostname", ident.hostname),
            ("FreeSWITCH-Switchname", ident.switchname),
            ("FreeSWITCH-IPv4", ident.ipv4),
            ("FreeSWITCH-IPv6", ident.ipv6),
            ("Event-Date-Local", date_local(now_us / 1e6)),
            ("Event-Date-GMT", date_gmt(now_us / 1e6)),
            ("Event-Date-Timestamp", str(now_us)),
            ("Event-Calling-File", where.file),
            ("Event-Calling-Function", where.function),
            ("Event-Calling-Line-Number", str(where.line)),
            ("Event-Sequence", str(self.sequence)),
        ]

    def make(self, name: str, site: Site | str, headers: Sequence[tuple[str, str]] = (),
             body: str | None = None) -> OutEvent:
        """A whole non-channel event: core block, then headers."""
        return OutEvent(name, [*self.core(name, site), *headers], body)
