"""Comparing what the emulator sends with what FreeSWITCH 1.11 sent (the captures).

WHAT IS NORMALISED (the one place; nothing else is):
- UUIDs become roles: a channel's Unique-ID becomes its Channel-Name (with #n for the n-th
  channel of that name in the stream), a bgapi Job-UUID becomes job#n, any other UUID
  (Core-UUID, Application-UUID, the profile UUID inside Transfer-Source) becomes <uuid>;
- Task-ID becomes task#n (ids depend on how many tasks ran before); Task-Runtime <epoch>;
- dates and times: Event-Date-Local/-GMT/-Timestamp, the Caller-/Other-Leg- *Time headers,
  variable_*_epoch / _uepoch / _stamp (0 stays 0), the epoch in Transfer-Source, dates,
  epochs and microsecond stamps inside api/response bodies;
- durations measured on the clock: variable_(m|u)duration, bill*, answer*, wait*, progress*,
  flow_bill*, hold_accum_*, playback_seconds/_ms/_samples/_last_offset_pos;
- Event-Sequence; session_id; the host's identity (FreeSWITCH-Hostname/-Switchname/-IPv4/
  -IPv6, hostname values); HEARTBEAT and status counters (uptime, sessions, idle CPU);
- Content-Length values (they follow from the normalised values; framing is compared by
  header names and order, and every message is parsed with its Content-Length);
- the row order of "show ... as json" results whose created_epoch ties (SQLite's choice).

WHAT IS COMPARED, per connection: the replies (command/reply, api/response,
disconnect-notice, auth/request) in order; each channel's events in order; every other event
type's events in order, the API events of bgapi jobs apart from the others (a job's API event
fires when the job ends, so it races the client's later commands). What is not compared: the
interleaving of those streams (FreeSWITCH dispatches events on several threads: 40 of the 1304
captured events arrived out of Event-Sequence order); a "show" issued within 2 ms of the
change it would show raced FreeSWITCH's SQL thread: in 05 json it still listed two channels
1 ms after their CHANNEL_DESTROY, in 05 plain (2 ms after) it did not; the emulator answers as
05 plain did, and such a reply is compared with its sibling capture's (RACY_REPLIES);
MODULE_UNLOAD and UNPUBLISH (FreeSWITCH unloads ~190 interfaces of modules the emulator
does not have; each MODULE_UNLOAD the emulator sends must equal one captured in the same
shutdown, by this client or another: FreeSWITCH closed the json client of 13 fsctl after 71
of them, a race of its teardown); RE_SCHEDULE of check_ip / limit_hash_cleanup and the number
of HEARTBEATs (they depend on how long a capture ran; every emulator HEARTBEAT / heartbeat
RE_SCHEDULE is compared with the captured one); and, when the client said "exit" right after
its last command, the API event of that command if the capture lacks it (FreeSWITCH fires API
events after the reply, from another thread, and closed the socket first).

WHAT IS NOT REPLAYED: capture 10 (a SIP call through mod_sofia: SIP events, sofia variables and
CODEC / CALL_UPDATE traffic of an endpoint the emulator does not have); what the capture
harness did on its other connection (originate, uuid_kill in 11 and 12, fsctl shutdown's
sender is replayed as its own capture) is done through the emulator's Python API at the same
point of the transcript.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from agent.freeswitch import wire

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SKIPPED_EVENTS = frozenset({"MODULE_UNLOAD", "UNPUBLISH"})
PERIODIC = frozenset({"HEARTBEAT", "RE_SCHEDULE"})

_TIME_HEADER = re.compile(
    r"^(Caller|Other-Leg)-.*(Time|Last-Hold|Hold-Accum)$|^variable_.*_(epoch|uepoch|stamp)$")
_DURATION = re.compile(
    r"^variable_((m|u)?duration|bill(sec|msec|usec)|answer(sec|msec|usec)|wait(sec|msec|usec)|"
    r"progress(sec|msec|usec)|progress_media(sec|msec|usec)|flow_bill(sec|msec|usec)|"
    r"hold_accum_\w+|playback_(seconds|ms|samples|last_offset_pos))$")
_FIXED = {
    "Event-Date-Local": "<date>", "Event-Date-GMT": "<date>", "Event-Date-Timestamp": "<date>",
    "Event-Sequence": "<seq>", "FreeSWITCH-Hostname": "<host>", "FreeSWITCH-Switchname": "<host>",
    "FreeSWITCH-IPv4": "<ipv4>", "FreeSWITCH-IPv6": "<ipv6>", "variable_session_id": "<n>",
    "Task-Runtime": "<epoch>", "Content-Length": "<len>", "Up-Time": "<n>", "Uptime-msec": "<n>",
    "Idle-CPU": "<n>", "Session-Count": "<n>", "Session-Per-Sec-Last": "<n>",
    "Session-Per-Sec-Max": "<n>", "Session-Per-Sec-FiveMin": "<n>",
    "Session-Since-Startup": "<n>", "Session-Peak-Max": "<n>", "Session-Peak-FiveMin": "<n>",
}
_BODY_PATTERNS = [
    (re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"), "<date>"),
    (re.compile(r"\b1\d{15}\b"), "<time>"),
    (re.compile(r"\b1\d{9}\b"), "<epoch>"),
    (re.compile(r"UP .*\n"), "UP <uptime>\n"),
    (re.compile(r"\d+ session\(s\)"), "<n> session(s)"),
    (re.compile(r"(peak|last 5min|max) \d+"), r"\1 <n>"),
    (re.compile(r"min idle cpu [\d.]+/[\d.]+"), "min idle cpu <n>"),
]


@dataclass
class Roles:
    """UUIDs and task ids of one stream, named by what they are."""

    names: dict[str, str] = field(default_factory=dict)
    by_role: dict[str, str] = field(default_factory=dict)
    tasks: dict[str, str] = field(default_factory=dict)
    task_by_role: dict[str, str] = field(default_factory=dict)
    hostname: str = ""
    _per_name: Counter[str] = field(default_factory=Counter)
    _jobs: int = 0

    def learn(self, message: wire.Message) -> None:
        if message.is_event:
            event = wire.parse_event(message)
            self.hostname = event.get("FreeSWITCH-Hostname") or self.hostname
            uuid, name = event.first("Unique-ID"), event.get("Channel-Name")
            if uuid and name and uuid not in self.names:
                self._per_name[name] += 1
                self._assign(uuid, f"{name}#{self._per_name[name]}")
            task = event.get("Task-ID")
            if task and task not in self.tasks and event.get("Task-Group") != "core":
                role = f"task#{len(self.tasks) + 1}"
                self.tasks[task] = role
                self.task_by_role[role] = task
        else:
            job = message.get("Job-UUID")
            if job and job not in self.names:
                self._jobs += 1
                self._assign(job, f"job#{self._jobs}")

    def _assign(self, uuid: str, role: str) -> None:
        self.names[uuid] = role
        self.by_role[role] = uuid

    def uuid_text(self, text: str) -> str:
        return UUID.sub(lambda m: self.names.get(m.group(0), "<uuid>"), text)


def normalise_value(name: str, value: str, roles: Roles) -> str:
    if name in _FIXED:
        return _FIXED[name]
    if _TIME_HEADER.match(name):
        return "0" if value == "0" else "<time>"
    if _DURATION.match(name):
        return "<dur>"
    if name == "Task-ID":
        return roles.tasks.get(value, value)
    if name in ("Caller-Transfer-Source", "variable_transfer_source", "variable_transfer_history"):
        value = re.sub(r"\b\d{10}:", "<epoch>:", value)
    if roles.hostname and value == roles.hostname:
        return "<host>"
    return roles.uuid_text(value)


def normalise_body(text: str, roles: Roles) -> str:
    if text.startswith('{"row_count":') and '"rows"' in text:
        data = json.loads(text)
        rows = [{k: normalise_value(k, v, roles) if k not in ("created", "created_epoch",
                 "b_created", "b_created_epoch", "call_created_epoch", "hostname")
                 else "<x>" for k, v in row.items()} for row in data["rows"]]
        rows.sort(key=lambda r: json.dumps(r, sort_keys=True))
        return json.dumps({"row_count": data["row_count"], "rows": rows})
    text = roles.uuid_text(text)
    text = re.sub(r"^(\d+),", lambda m: roles.tasks.get(m.group(1), m.group(1)) + ",", text,
                  flags=re.M)
    if roles.hostname:
        text = re.sub(rf",{re.escape(roles.hostname)}(,|\n)", r",<host>\1", text)
    for pattern, repl in _BODY_PATTERNS:
        text = pattern.sub(repl, text)
    return text


def normalise(message: wire.Message, roles: Roles) -> tuple:
    outer = tuple((k, "<len>" if k == "Content-Length" else roles.uuid_text(v))
                  for k, v in message.headers)
    if not message.is_event:
        return ("msg", outer, normalise_body(message.text(), roles))
    event = wire.parse_event(message)
    headers = tuple((k, normalise_value(k, v, roles)) for k, v in event.headers)
    if event.get("API-Command") == "sched_del":
        # sched_del <task id>: task ids are numbered by how many tasks the switch ran before.
        arg = event.get("API-Command-Argument") or ""
        headers = tuple((k, roles.tasks.get(arg, arg) if k == "API-Command-Argument" else v)
                        for k, v in headers)
    body = None if event.body is None else normalise_body(event.body, roles)
    return ("event", tuple(k for k, _ in message.headers), headers, body)


@dataclass
class Streams:
    replies: list[tuple] = field(default_factory=list)
    channels: dict[str, list[tuple]] = field(default_factory=lambda: defaultdict(list))
    others: dict[str, list[tuple]] = field(default_factory=lambda: defaultdict(list))
    skipped: list[tuple] = field(default_factory=list)
    periodic: list[tuple] = field(default_factory=list)


def split(messages: list[wire.Message],
          background: frozenset[tuple[str, str]] = frozenset()) -> Streams:
    roles = Roles()
    for message in messages:
        roles.learn(message)
    out = Streams()
    for message in messages:
        norm = normalise(message, roles)
        if not message.is_event:
            out.replies.append(norm)
            continue
        event = wire.parse_event(message)
        if event.name in SKIPPED_EVENTS:
            out.skipped.append(norm)
        elif event.name in PERIODIC:
            if event.get("Task-Desc") in (None, "heartbeat"):
                out.periodic.append(norm)
        elif event.unique_id:
            out.channels[roles.names.get(event.unique_id, "?")].append(norm)
        elif event.name == "API" and (event.get("API-Command") or "",
                                      event.get("API-Command-Argument") or "") in background:
            out.others["API (bgapi jobs)"].append(norm)
        else:
            out.others[event.name].append(norm)
    return out


def _describe(a: tuple, b: tuple) -> str:
    if a[0] == "event" and b[0] == "event":
        da, db = list(a[2]), list(b[2])
        for i, (x, y) in enumerate(zip(da, db, strict=False)):
            if x != y:
                return f"header {i}: emulator {x!r} != capture {y!r}"
        if len(da) != len(db):
            extra = da[len(db):] if len(da) > len(db) else db[len(da):]
            return f"header count {len(da)} != {len(db)}; extra {extra[:3]!r}"
        return f"body {a[3]!r} != {b[3]!r}"
    return f"emulator {a!r}\n     capture {b!r}"


def compare_list(what: str, got: list[tuple], want: list[tuple]) -> list[str]:
    problems = []
    for i, (x, y) in enumerate(zip(got, want, strict=False)):
        if x != y:
            name = dict(y[2]).get("Event-Name") if y[0] == "event" else y[1]
            problems.append(f"{what} #{i} ({name}): {_describe(x, y)}")
            break
    if len(got) != len(want):
        def names(items: list[tuple]) -> list[str]:
            return [dict(i[2]).get("Event-Name", "?") if i[0] == "event" else i[1][0][1]
                    for i in items]
        problems.append(f"{what}: {len(got)} messages, capture has {len(want)}: "
                        f"emulator {names(got)} capture {names(want)}")
    return problems


def background_jobs(commands: list[wire.Command]) -> frozenset[tuple[str, str]]:
    """(command, argument) of every bgapi a client sent: their API events race the others."""
    jobs = set()
    for command in commands:
        if command.line.startswith("bgapi "):
            name, _, arg = command.line[6:].partition(" ")
            jobs.add((name, arg))
    return frozenset(jobs)


def compare(got: list[wire.Message], want: list[wire.Message],
            commands: list[wire.Command] = (), racy: dict[int, wire.Message] | None = None,
            unloads: list[wire.Message] = (),
            ) -> list[str]:
    """Everything that differs, as readable lines (empty when the streams match).

    `racy` replaces captured replies that raced FreeSWITCH's SQL thread by the reply the same
    command got in the sibling capture (see RACY_REPLIES in test_fidelity.py). `unloads`: more
    captured messages whose MODULE_UNLOAD events count as captured (another client's capture of
    the same shutdown: the json client of 13 fsctl was closed after 71 of the 191).
    """
    jobs = background_jobs(list(commands))
    if racy:
        replies = [m for m in want if not m.is_event]
        swap = {id(replies[i]): racy[i] for i in racy if i < len(replies)}
        want = [swap.get(id(m), m) for m in want]
    a, b = split(got, jobs), split(want, jobs)
    problems = compare_list("replies", a.replies, b.replies)
    if set(a.channels) != set(b.channels):
        problems.append(f"channels: emulator {sorted(a.channels)} capture {sorted(b.channels)}")
    for role in sorted(set(a.channels) & set(b.channels)):
        problems += compare_list(f"channel {role}", a.channels[role], b.channels[role])
    if set(a.others) != set(b.others):
        problems.append(f"other events: emulator {sorted(a.others)} capture {sorted(b.others)}")
    for name in sorted(set(a.others) & set(b.others)):
        got_events, want_events = a.others[name], b.others[name]
        if name == "API" and len(got_events) == len(want_events) + 1:
            # FreeSWITCH fires a command's API event after the reply and from another thread:
            # when the client said "exit" right after its last command, the capture can lack
            # that last API event.
            got_events = got_events[:-1]
        problems += compare_list(f"{name} events", got_events, want_events)
    captured = {(n[2][0][1], n) for n in b.periodic}
    kinds = {k for k, _ in captured}
    for norm in a.periodic:
        if norm[2][0][1] in kinds and (norm[2][0][1], norm) not in captured:
            problems.append(f"periodic event differs from every captured one: {norm[2][:20]!r}")
    skipped_captured = set(b.skipped) | set(split(list(unloads)).skipped)
    for norm in a.skipped:
        if skipped_captured and norm not in skipped_captured:
            problems.append(f"MODULE_UNLOAD not as captured: {norm[2][13:]!r}")
    return problems


# --------------------------------------------------------------------------- a live client


class Client:
    """A plain-socket ESL client that keeps every byte and message it receives."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.sock = socket.create_connection((host, port), timeout=5)
        self.sock.settimeout(None)
        self.raw = bytearray()
        self.messages: list[wire.Message] = []
        self.roles = Roles()
        self.have: Counter[str] = Counter()
        self.eof = False
        self._cond = threading.Condition()
        self._parser = wire.MessageParser()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    break
                with self._cond:
                    self.raw += data
                    for message in self._parser.feed(data):
                        self.messages.append(message)
                        self.roles.learn(message)
                        key = expectation_key(message, self.roles)
                        if key is not None:
                            self.have[key] += 1
                    self._cond.notify_all()
        except OSError:
            pass
        finally:
            with self._cond:
                self.eof = True
                self._cond.notify_all()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def wait(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (self.eof and not predicate()):
                    return predicate()
                self._cond.wait(remaining)
            return True

    def wait_eof(self, timeout: float = 5.0) -> bool:
        return self.wait(lambda: self.eof, timeout)

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


def expectation_key(message: wire.Message, roles: Roles) -> str | None:
    """What a received message counts towards: a reply, a channel's events, an event type."""
    if not message.is_event:
        return "reply"
    event = wire.parse_event(message)
    if event.name in SKIPPED_EVENTS or event.name == "API":
        return None
    if event.name == "RE_SCHEDULE" and event.get("Task-Desc") != "heartbeat":
        return None
    if event.unique_id:
        return f"ch:{roles.names.get(event.unique_id)}"
    return f"ev:{event.name}"


def expectations(messages: list[wire.Message]) -> Counter[str]:
    """What a client should have received after these messages."""
    roles = Roles()
    for message in messages:
        roles.learn(message)
    want: Counter[str] = Counter()
    for message in messages:
        key = expectation_key(message, roles)
        if key is not None:
            want[key] += 1
    return want


def satisfied(client: Client, want: Counter[str]) -> bool:
    return all(client.have[key] >= count for key, count in want.items())
