"""What one ESL socket has asked to receive (mod_event_socket.c event_handler).

An event is queued for a socket when: events are on; its type is subscribed (or ALL; a CUSTOM
event also needs its subclass); the filters let it through; and, for a myevents socket, its
first Unique-ID header is the bound channel's (any Unique-ID at all when "myevents <uuid>" named
no live channel). Filters: "filter <header> <value>" entries, evaluated in order on each
event's first header of that name; a value may start with '-' (drop when it matches) or '+',
and a value starting with '/' is a regular expression; with any filter set, only matching
events pass (README: a Unique-ID filter also drops BACKGROUND_JOB, which has no Unique-ID).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .events import EVENT_NAMES, OutEvent, event_type

# The types "myevents" turns on (mod_event_socket.c parse_command).
MYEVENTS_TYPES = frozenset({
    "CHANNEL_ANSWER", "CHANNEL_APPLICATION", "CHANNEL_BRIDGE", "CHANNEL_CREATE", "CHANNEL_DATA",
    "CHANNEL_DESTROY", "CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP",
    "CHANNEL_HANGUP_COMPLETE", "CHANNEL_ORIGINATE", "CHANNEL_UUID", "CHANNEL_OUTGOING",
    "CHANNEL_PARK", "CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA", "CHANNEL_STATE",
    "CHANNEL_UNBRIDGE", "CHANNEL_UNPARK", "DETECTED_SPEECH", "DTMF", "NOTALK", "TALK",
})
_ALL_TYPES = frozenset(EVENT_NAMES) - {"ALL"}


@dataclass
class Subscription:
    events_on: bool = False
    types: set[str] = field(default_factory=set)
    all_types: bool = False
    subclasses: set[str] = field(default_factory=set)
    filters: list[tuple[str, str]] | None = None
    myevents: bool = False
    myevents_uuid: str | None = None

    # --- the commands

    def subscribe(self, tokens: list[str]) -> int:
        """event <types...>: returns how many type keywords were recognised."""
        keys = 0
        custom = False
        for token in tokens:
            if custom:
                self.subclasses.add(token)
                continue
            name = event_type(token)
            if name is None:
                continue
            keys += 1
            if name == "ALL":
                self.all_types = True
                self.types |= _ALL_TYPES
            else:
                self.types.add(name)
            if name == "CUSTOM":
                custom = True
        if keys:
            self.events_on = True
        return keys

    def unsubscribe(self, tokens: list[str]) -> int:
        """nixevent <types...>."""
        keys = 0
        custom = False
        for token in tokens:
            if custom:
                self.subclasses.discard(token)
                continue
            name = event_type(token)
            if name is None:
                continue
            keys += 1
            if name == "CUSTOM":
                custom = True
            elif name == "ALL":
                self.all_types = False
                self.types.clear()
            else:
                if self.all_types:
                    self.all_types = False
                    self.types = set(_ALL_TYPES)
                self.types.discard(name)
        if keys:
            self.events_on = True
        return keys

    def stop(self) -> bool:
        """noevents: False when events were not on."""
        was_on = self.events_on
        self.events_on = False
        self.all_types = False
        self.types.clear()
        self.subclasses.clear()
        return was_on

    def add_filter(self, name: str, value: str) -> None:
        if self.filters is None:
            self.filters = []
        self.filters.append((name, value))

    def delete_filter(self, name: str, value: str | None) -> None:
        if self.filters is None:
            self.filters = []
        if name.lower() == "all":
            self.filters = []
            return
        self.filters = [(n, v) for n, v in self.filters
                        if not (n.lower() == name.lower() and (value is None or v == value))]

    def set_myevents(self, uuid: str | None) -> None:
        self.myevents = True
        self.myevents_uuid = uuid
        self.types |= MYEVENTS_TYPES
        self.events_on = True

    # --- the test

    def wants(self, event: OutEvent) -> bool:
        if not self.events_on:
            return False
        if not (self.all_types or event.name in self.types):
            return False
        if event.name == "CUSTOM" and event.subclass and not self.all_types \
                and event.subclass not in self.subclasses:
            return False
        if self.filters and not self._filtered_in(event):
            return False
        if self.myevents:
            uuid = event.first("unique-id")
            if uuid is None or (self.myevents_uuid is not None and uuid != self.myevents_uuid):
                return False
        return True

    def _filtered_in(self, event: OutEvent) -> bool:
        send = False
        for name, raw in self.filters or ():
            value = event.first(name)
            if value is None:
                continue
            positive = True
            i = 0
            while i < len(raw) and raw[i] in "+- ":
                if raw[i] == "+":
                    positive = True
                elif raw[i] == "-":
                    positive = False
                i += 1
            compare = raw[i:]
            if send and positive:
                continue
            if raw.startswith("/"):
                matched = _regex(value, compare)
            else:
                matched = value.lower() == compare.lower()
            if matched:
                if not positive:
                    return False
                send = True
        return send


def _regex(value: str, expression: str) -> bool:
    """switch_regex_perform with a /pattern/ expression."""
    pattern = expression[1:] if expression.startswith("/") else expression
    if pattern.endswith("/"):
        pattern = pattern[:-1]
    try:
        return re.search(pattern, value) is not None
    except re.error:
        return False
