"""The FreeSWITCH captures (tests/fixtures/freeswitch): bytes, client commands, transcript lines."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from agent.freeswitch import wire

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "freeswitch"
NAMES = sorted(p.name[: -len(".rx.bin")] for p in FIXTURES.glob("*.rx.bin"))

_RECV = re.compile(r"^#### <<< RECV msg#(\d+) t=([\d.]+) rx_offset=(\d+) len=(\d+) \[(.*)\]$")
_SENT = re.compile(r"^#### >>> SENT t=([\d.]+) len=(\d+)$")


@dataclass(frozen=True)
class Received:
    index: int
    t: float
    offset: int
    length: int
    summary: str


@cache
def rx(name: str) -> bytes:
    return (FIXTURES / f"{name}.rx.bin").read_bytes()


@cache
def tx(name: str) -> bytes:
    return (FIXTURES / f"{name}.tx.bin").read_bytes()


@cache
def messages(name: str) -> tuple[wire.Message, ...]:
    return tuple(wire.parse_messages(rx(name)))


def transcript(name: str) -> str:
    return (FIXTURES / f"{name}.transcript.txt").read_text(encoding="utf-8", errors="replace")


def received(name: str) -> list[Received]:
    """Every "<<< RECV" line of a transcript."""
    out = []
    for line in transcript(name).splitlines():
        match = _RECV.match(line)
        if match:
            k, t, offset, length, summary = match.groups()
            out.append(Received(int(k), float(t), int(offset), int(length), summary))
    return out


def summary(message: wire.Message) -> str:
    """The one-line description the capture harness wrote for a message."""
    kind = message.content_type
    if message.is_event:
        event = wire.parse_event(message)
        parts = [kind, f"Event-Name={event.name}"]
        for key in ("Unique-ID", "Channel-Name", "Hangup-Cause", "Job-Command"):
            if key in event:
                parts.append(f"{key}={event[key]}")
        return " ".join(parts)
    if kind == wire.COMMAND_REPLY:
        return f"{kind} Reply-Text={message.reply_text}"
    if kind == wire.API_RESPONSE:
        return f"{kind} body={message.body[:60]!r}"
    return kind


def commands(name: str) -> list[wire.Command]:
    """The client's commands, split as FreeSWITCH's reader splits them."""
    return list(wire.CommandParser().feed(tx(name)))


_NOTED = re.compile(r"\b([A-Z])=([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b")


def noted_uuids(name: str) -> dict[str, str]:
    """The call uuids the harness chose, from its NOTE lines ("A=<uuid> C=<uuid>")."""
    out: dict[str, str] = {}
    for line in transcript(name).splitlines():
        if line.startswith("#### NOTE "):
            out.update(_NOTED.findall(line))
    return out
