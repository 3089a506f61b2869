"""The emulator as a Python object for tests, demos and benchmarks.

    with Emulator(password="ClueCon") as fs:          # 127.0.0.1, a free port
        call = fs.place_call(account="1001", destination="1002", talk_seconds=30)
        call.wait_parked()                           # the -b leg, waiting for the agent
        cause = call.wait_hangup(timeout=40)

The emulator runs in its own OS thread with its own gevent hub (see hub.py), so it works the
same under a test that uses blocking sockets and under one that runs an agent on gevent.
Every method may be called from any thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import gevent

from .calls import UUID_RE, CallHandle, CallTimeout
from .commands import api_execute
from .core import Switch
from .dialplan import Dialplan
from .events import OutEvent
from .faults import match
from .hub import HubThread, blocking, real_condition
from .originate import OriginateRequest, originate
from .server import EslServer
from .session import Session
from .settings import Settings

T = TypeVar("T")


class Emulator:
    """An emulated FreeSWITCH 1.11 event socket on 127.0.0.1 (a free port unless told)."""

    def __init__(self, password: str = "ClueCon", host: str = "127.0.0.1", port: int = 0, *,
                 dialplan_files: Iterable[Path] = (), **overrides: Any) -> None:
        self.settings = Settings(host=host, port=port, password=password, **overrides)
        self._dialplan_files = list(dialplan_files)
        self._hub = HubThread()
        self._server: EslServer | None = None
        self._calls: dict[str, CallHandle] = {}
        self._changed = real_condition()
        self._generation = 0  # bumped (under _changed) on every event and connection change

    # --- lifecycle

    def start(self) -> Emulator:
        self._hub.start(self._setup)
        return self

    def _setup(self) -> None:
        dialplan = Dialplan.builtin()
        for path in self._dialplan_files:
            dialplan.load(path)
        server = EslServer(self.settings, dialplan)
        server.command_observers.append(self._on_command)
        server.on_restart.append(self._install)
        self._server = server
        self._install(server.switch)
        server.start()

    def _install(self, switch: Switch) -> None:
        switch.observers.append(self._on_event)
        switch.session_observers.append(self._on_session)

    def stop(self) -> None:
        if self._hub.alive and self._server is not None:
            self._hub.call(self._server.stop)
        self._hub.stop()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def server(self) -> EslServer:
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        return self._server

    @property
    def host(self) -> str:
        return self.settings.host

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def password(self) -> str:
        return self.settings.password

    def call(self, fn: Callable[[], T], timeout: float | None = 30.0) -> T:
        """Run fn in the emulator's thread (where its state lives) and return the result."""
        return self._hub.call(fn, timeout)

    # --- calls

    def place_call(self, account: str, destination: str = "1002", talk_seconds: float | None = None,
                   reqtype: str = "*prepaid", *, tenant: str = "cgrates.org",
                   subject: str | None = None, category: str = "call",
                   context: str = "callmeter_prepaid", ring_seconds: float | None = None,
                   variables: dict[str, str] | None = None) -> CallHandle:
        """Originate a loopback call as a caller would place it; returns its handle at once."""
        a_uuid = self.call(lambda: self.server.switch.new_uuid())
        values = {"origination_uuid": a_uuid, "cgr_account": account, "cgr_tenant": tenant,
                  "cgr_destination": destination, "cgr_reqtype": reqtype,
                  "cgr_category": category, "cgr_subject": subject or account}
        if ring_seconds:
            values["callee_ring_ms"] = str(int(ring_seconds * 1000))
        values.update(variables or {})
        dial = "{" + ",".join(f"{k}={_quote(v)}" for k, v in values.items()) + "}"
        dial += f"loopback/{destination}/{context}"
        handle = CallHandle(a_uuid, account, destination, reqtype, talk_seconds)
        self._calls[a_uuid] = handle

        def place() -> None:
            self.server.switch.spawn(self._originate, handle, dial)
        self.call(place)
        return handle

    def _originate(self, handle: CallHandle, dial: str) -> None:
        reply = originate(self.server.switch, OriginateRequest(dial, "&park()"))
        handle.set_originate_reply(reply)

    def api(self, command: str, timeout: float | None = 30.0) -> str:
        """Run an api command as an ESL client's "api <command>" would; its reply body.

        Like a command from another connection it fires its API event, and an originate
        returns once the call is answered (or failed).
        """
        def run() -> str:
            name, sep, args = command.strip().partition(" ")
            result = api_execute(self.server.switch, name, args if sep else None)
            return result if result is not None else f"-ERR {name} Command not found!\n"
        return self.call(run, timeout)

    def hangup(self, uuid: str, cause: str = "NORMAL_CLEARING") -> bool:
        """Hang a channel up as uuid_kill would; False when there is no such channel."""
        def kill() -> bool:
            session = self.server.switch.locate(uuid)
            return session is not None and session.hangup(cause)
        return self.call(kill)

    def channels(self) -> list[dict[str, str]]:
        """A snapshot of the live channels (uuid, name, direction, state, answered, vars)."""
        def snapshot() -> list[dict[str, str]]:
            return [{"uuid": s.uuid, "name": s.channel.name, "direction": s.channel.direction,
                     "state": s.channel.state_name, "callstate": s.channel.callstate_name,
                     "answered": str(s.channel.answered).lower(), **s.channel.variables}
                    for s in self.server.switch.sessions.values()]
        return self.call(snapshot)

    # --- what FreeSWITCH does to its clients

    def shutdown(self) -> None:
        """The SIGTERM / fsctl shutdown sequence; returns when the sockets are closed."""
        self.call(lambda: self.server.shutdown("SIGTERM"), timeout=60)

    def crash(self, down_for: float | None = None) -> None:
        """kill -9: bare closes; connections refused for down_for s; then a fresh switch."""
        self.call(lambda: self.server.crash(down_for))

    def restart(self) -> None:
        """Start again after a shutdown (a fresh switch: new Core-UUID, no calls)."""
        self.call(self.server.restart)

    def drop_connections(self) -> int:
        """Cut every ESL connection without a notice; calls go on."""
        return self.call(self.server.drop_connections)

    def connection_count(self) -> int:
        return self.call(lambda: len(self.server.listeners))

    def advance_clock(self, seconds: float) -> None:
        """Move the emulated wall clock forward and let timers and the scheduler catch up."""
        def advance() -> None:
            server = self.server
            server.clock.advance(seconds)
            for listener in list(server.listeners):
                listener.wake.set()
            server.switch.scheduler.run_pass()
        self.call(advance)

    def fast_forward(self, periodic: bool = True) -> float:
        """Jump the clock to the next thing due (a scheduled task, an auth timeout, a linger end).

        Returns the seconds skipped (0 when nothing is pending). Tests use it instead of waiting
        20 s for a HEARTBEAT or 5 s for a sched_hangup; with periodic=False it jumps over the
        HEARTBEATs to the next one-off deadline (they still run once on the way).
        """
        def forward() -> float:
            server = self.server
            due = server.next_deadline(periodic)
            if due is None:
                return 0.0
            skip = max(0.0, due - server.clock.time()) + 0.001
            server.clock.advance(skip)
            for listener in list(server.listeners):
                listener.wake.set()
            server.switch.scheduler.run_pass()
            return skip
        return self.call(forward)

    # --- faults

    def reorder_events(self, max_shift: int = 3, seed: int = 0) -> None:
        """Deliver events out of Event-Sequence order the way FreeSWITCH does (0 = off)."""
        self.call(lambda: self.server.event_faults.reorder(max_shift, seed))

    def hold_events(self, name: str, until: str, uuid: str | None = None) -> None:
        """Hold `name` events (of uuid) back until an `until` event (of uuid) is delivered."""
        self.call(lambda: self.server.event_faults.hold(match(name, uuid), match(until, uuid)))

    def duplicate_events(self, name: str, times: int = 1, uuid: str | None = None) -> None:
        self.call(lambda: self.server.event_faults.duplicate(match(name, uuid), times))

    def delay_replies(self, prefix: str, seconds: float) -> None:
        """Commands starting with prefix (e.g. "api show channels") wait seconds first."""
        self.call(lambda: self.server.faults.delay(prefix, seconds))

    def stall_replies(self, prefix: str) -> Callable[[], None]:
        """Commands starting with prefix get no reply until the returned function is called."""
        release = self.call(lambda: self.server.faults.stall(prefix))
        return lambda: self.call(release)

    def clear_faults(self) -> None:
        def clear() -> None:
            self.server.faults.clear()
            for event in self.server.event_faults.clear():
                for sink in list(self.server.switch.sinks):
                    sink.offer(event)
        self.call(clear)

    # --- waiting

    def wait_until(self, predicate: Callable[[], T], timeout: float = 10.0,
                   what: str = "condition") -> T:
        """Block until predicate() is truthy; it is re-checked after every event and connection."""
        deadline = time.monotonic() + timeout

        def wait() -> T:
            while True:
                with self._changed:
                    seen = self._generation
                # Never hold the condition while the emulator thread works: it notifies it.
                value = self.call(predicate)
                if value:
                    return value
                with self._changed:
                    while self._generation == seen:
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            raise CallTimeout(f"no {what} within {timeout}s")
                        self._changed.wait(min(remaining, 1.0))
        return blocking(wait)

    def wait_connections(self, count: int, timeout: float = 10.0) -> int:
        return self.wait_until(lambda: len(self.server.listeners) >= count and
                               len(self.server.listeners), timeout, f"{count} connection(s)")

    # --- hooks (emulator thread)

    def _notify(self) -> None:
        with self._changed:
            self._generation += 1
            self._changed.notify_all()

    def _on_session(self, session: Session) -> None:
        other = getattr(session.endpoint, "other", None)
        inbound = session.channel.direction == "inbound"
        if other is not None and other.uuid in self._calls and inbound:
            handle = self._calls[other.uuid]
            handle.set_b_leg(session.uuid)
            self._calls[session.uuid] = handle

    def _on_event(self, event: OutEvent) -> None:
        uuid = event.unique_id
        handle = self._calls.get(uuid) if uuid else None
        if handle is not None:
            leg = "A" if uuid == handle.a_uuid else "B"
            handle.record(leg, event.name, event.headers)
            if leg == "B" and event.name == "CHANNEL_ANSWER" and handle.talk_seconds is not None:
                self._start_talking(handle)
            if event.name == "CHANNEL_DESTROY" and uuid is not None:
                self._calls.pop(uuid, None)
        self._notify()

    def _start_talking(self, handle: CallHandle) -> None:
        def caller_hangs_up() -> None:
            session = self.server.switch.locate(handle.a_uuid)
            if session is not None:
                session.hangup("NORMAL_CLEARING")
        assert handle.talk_seconds is not None
        handle._talk_timer = gevent.spawn_later(handle.talk_seconds, caller_hangs_up)

    def _on_command(self, line: str) -> None:
        for uuid in UUID_RE.findall(line):
            handle = self._calls.get(uuid)
            if handle is not None:
                handle.record_command(line)


def _quote(value: str) -> str:
    return f"'{value}'" if "," in value else value
