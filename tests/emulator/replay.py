"""Replaying a capture's client side against the emulator."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from agent.emulator import Emulator
from agent.freeswitch import wire

from . import captures
from .fidelity import UUID, Client, Roles, expectations, satisfied

PERIODIC_KEYS = ("ev:HEARTBEAT", "ev:RE_SCHEDULE")

_SENT = re.compile(r"^#### >>> SENT t=([\d.]+) len=(\d+)$")
_RECV = re.compile(r"^#### <<< RECV msg#(\d+) t=([\d.]+) ")
_NOTE = re.compile(r"^#### NOTE (?:t=[\d.]+ )?(.*)$")


@dataclass
class Step:
    kind: str  # "sent", "note"
    data: bytes = b""
    received: int = 0  # captured messages received before this step
    text: str = ""
    gap: float = 0.0  # how long the capture's client was idle before this step


def steps(name: str) -> list[Step]:
    """The transcript as a list of sends and notes, each knowing what came before it."""
    out: list[Step] = []
    raw = (captures.FIXTURES / f"{name}.transcript.txt").read_bytes()
    received = 0
    last = 0.0
    pos = 0
    while pos < len(raw):
        end = raw.find(b"\n", pos)
        line = raw[pos:end].decode("utf-8", "replace")
        pos = end + 1
        if (match := _SENT.match(line)) is not None:
            t, length = float(match.group(1)), int(match.group(2))
            out.append(Step("sent", raw[pos:pos + length], received, gap=t - last))
            last = t
            pos += length + 1
        elif (match := _RECV.match(line)) is not None:
            received = int(match.group(1)) + 1
            last = float(match.group(2))
            length = int(line.split(" len=")[1].split()[0])
            pos += length + 1
        elif (match := _NOTE.match(line)) is not None:
            out.append(Step("note", received=received, text=match.group(1)))
    return out


@dataclass
class Replay:
    """Drives one connection through a capture's commands, waiting as the capture did."""

    emulator: Emulator
    name: str
    on_note: Callable[[str], None] | None = None
    after_sent: dict[int, Callable[[], None]] = field(default_factory=dict)
    client: Client | None = None

    def run(self, finish: bool = True) -> Client:
        """Send the capture's commands; with finish, also wait for everything it received."""
        captured = list(captures.messages(self.name))
        cap_roles = Roles()
        for message in captured:
            cap_roles.learn(message)
        client = self.client = Client(self.emulator.port)
        sent = 0
        todo = steps(self.name)
        if not finish:  # stop after the last command: what follows is up to the caller
            last = max((i for i, step in enumerate(todo) if step.kind == "sent"), default=-1)
            todo = todo[:last + 1]
        for step in todo:
            self.wait_for(client, captured[:step.received])
            if step.kind == "note":
                if self.on_note is not None:
                    self.on_note(step.text)
                continue
            lag = self.emulator.settings.sql_lag
            if lag and step.gap >= lag:
                # The capture's client sat idle longer than the core database's write lag:
                # skip that time rather than sleep it (what it then asks for is up to date).
                self.emulator.advance_clock(lag)
            client.send(translate(step.data, cap_roles, client.roles))
            action = self.after_sent.get(sent)
            sent += 1
            if action is not None:
                action()
        if finish:
            self.wait_for(client, captured)
        return client

    def wait_for(self, client: Client, captured: list[wire.Message]) -> None:
        want = expectations(captured)
        if client.wait(lambda: satisfied(client, want), 0.5):
            return
        # A HEARTBEAT is due by the clock, not by anything the client did: wait for one only
        # when nothing else is missing (in capture 08 one happened to come before the
        # sched_hangup fired; skipping ahead to it first would age the "show tasks" view).
        other = Counter({k: v for k, v in want.items() if k not in PERIODIC_KEYS})
        if not satisfied(client, other):
            want = other
        for _ in range(12):  # what is still missing is due by the clock: skip ahead to it
            periodic = any(key in PERIODIC_KEYS for key in want)
            if not self.emulator.fast_forward(periodic) and not self.emulator.fast_forward():
                break
            if client.wait(lambda: satisfied(client, want), 0.3):
                return


def translate(data: bytes, cap: Roles, emu: Roles) -> bytes:
    """A captured command with the captured uuids and task ids replaced by the emulator's."""
    text = data.decode("utf-8")

    def swap(match: re.Match[str]) -> str:
        role = cap.names.get(match.group(0))
        return emu.by_role.get(role, match.group(0)) if role else match.group(0)
    text = UUID.sub(swap, text)
    task = re.match(r"^api sched_del (\d+)\n", text)
    if task and task.group(1) in cap.tasks:
        emu_id = emu.task_by_role.get(cap.tasks[task.group(1)], task.group(1))
        text = text.replace(f"sched_del {task.group(1)}\n", f"sched_del {emu_id}\n", 1)
    return text.encode("utf-8")
