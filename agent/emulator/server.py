"""The event-socket server: accepts connections, and stops the way FreeSWITCH does.

- shutdown (fsctl shutdown, SIGTERM): SHUTDOWN event, every call hung up SYSTEM_SHUTDOWN
  (their state events then carry variables, as captured), MODULE_UNLOAD for the interfaces the
  emulator has, then every socket gets text/disconnect-notice "The system is being shut
  down.\\n" and is closed, and the port stops listening (captures 13: about 1.3 s in all);
- crash (kill -9): every socket is closed with no notice and no event, connections are refused
  for `crash_down_seconds`, then a fresh switch (new Core-UUID, no calls) listens again;
- drop: client connections are cut (no notice) while the switch and its calls go on.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable

import gevent
from gevent.event import Event
from gevent.server import StreamServer

from . import causes
from .apps import APPLICATIONS
from .clock import Clock
from .core import Switch
from .dialplan import Dialplan
from .faults import EventFaults
from .listener import SHUTDOWN_NOTICE, Listener
from .settings import Settings

log = logging.getLogger(__name__)

# mod_dptools interfaces as FreeSWITCH 1.11 describes them in MODULE_UNLOAD (capture 13).
APP_DESCRIPTIONS: dict[str, tuple[str, str | None]] = {
    "transfer": ("Transfer a channel", "<exten> [<dialplan> <context>]"),
    "sleep": ("Pause a channel", "<pausemilliseconds>"),
    "pre_answer": ("Pre-Answer the call", None),
    "answer": ("Answer the call", None),
    "hangup": ("Hangup the call", "[<cause>]"),
    "log": ("Logs to the logger", "<log_level> <log_string>"),
    "info": ("Display Call Info", None),
    "export": ("Export a channel variable across a bridge", "<varname>=<value>"),
    "set": ("Set a channel variable", "<varname>=<value>"),
    "unset": ("Unset a channel variable", "<varname>"),
    "sched_hangup": ("Schedule a hangup in the future", "[+]<time> [<cause>]"),
    "sched_broadcast": ("Schedule a broadcast in the future", "[+]<time> <path> [aleg|bleg|both]"),
    "sched_transfer": ("Schedule a transfer in the future",
                       "[+]<time> <extension> <dialplan> <context>"),
    "park": ("Park", None),
    "playback": ("Playback File", "<path>"),
    "bridge": ("Bridge Audio", "<channel_url>"),
}


class CommandFaults:
    """Slow or missing replies: commands starting with a prefix wait before they run."""

    def __init__(self) -> None:
        self._rules: list[tuple[str, float | None, Event]] = []

    def delay(self, prefix: str, seconds: float) -> None:
        self._rules.append((prefix, seconds, Event()))

    def stall(self, prefix: str) -> Callable[[], None]:
        """Commands starting with prefix get no reply until the returned function is called."""
        release = Event()
        self._rules.append((prefix, None, release))

        def release_all() -> None:
            release.set()
        return release_all

    def clear(self) -> None:
        for _, _, release in self._rules:
            release.set()
        self._rules.clear()

    def before_command(self, line: str) -> None:
        for prefix, seconds, release in list(self._rules):
            if line.startswith(prefix):
                if seconds is None:
                    release.wait()
                else:
                    release.wait(seconds)


class EslServer:
    """One emulated FreeSWITCH on one TCP port, across restarts and crashes."""

    def __init__(self, settings: Settings, dialplan: Dialplan | None = None,
                 clock: Clock | None = None) -> None:
        self.settings = settings
        self.dialplan = dialplan or Dialplan.builtin()
        self.clock = clock or Clock(settings.timestamp_step_us)
        self.event_faults = EventFaults()
        self.faults = CommandFaults()
        self.listeners: set[Listener] = set()
        self.switch = self._new_switch()
        self.port = settings.port
        self._server: StreamServer | None = None
        self.running = False
        self.stopped = Event()
        self.on_restart: list[Callable[[Switch], None]] = []
        self.command_observers: list[Callable[[str], None]] = []
        self.connection_observers: list[Callable[[], None]] = []
        self.clock.on_advance.append(self._clock_advanced)

    def _clock_advanced(self) -> None:
        """A test moved the clock: every timer re-reads it (listeners, sessions, scheduler)."""
        for listener in list(self.listeners):
            listener.wake.set()
        for session in list(self.switch.sessions.values()):
            session.wake.set()
        if self.running:
            self.switch.scheduler.run_pass()

    def _new_switch(self) -> Switch:
        switch = Switch(self.settings, self.clock, self.dialplan, self.event_faults)
        switch.shutdown_requested = lambda reason: gevent.spawn(self.shutdown, reason)
        return switch

    # --- lifecycle

    def start(self) -> None:
        if self.running:
            return
        server = StreamServer((self.settings.host, self.port), self._handle)
        server.start()
        self._server = server
        self.port = server.server_port
        self.switch.scheduler.start()
        self.running = True
        self.stopped.clear()
        log.info("FreeSWITCH emulator listening on %s:%d", self.settings.host, self.port)

    def _handle(self, sock, address) -> None:  # type: ignore[no-untyped-def]
        # mod_event_socket turns Nagle off on accepted sockets: replies leave at once.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        Listener(self, sock, address).run()

    def add_listener(self, listener: Listener) -> None:
        self.listeners.add(listener)
        self.switch.sinks.append(listener)
        self._connections_changed()

    def remove_listener(self, listener: Listener) -> None:
        self.listeners.discard(listener)
        if listener in self.switch.sinks:
            self.switch.sinks.remove(listener)
        self._connections_changed()

    def _connections_changed(self) -> None:
        for observer in list(self.connection_observers):
            observer()

    def _stop_listening(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    def stop(self) -> None:
        """Tear down now: no notices, no events (the end of a test)."""
        self._stop_listening()
        for listener in list(self.listeners):
            listener.drop()
        self.switch.kill()
        self.running = False
        self.stopped.set()

    def restart(self) -> None:
        """A fresh switch on the same port (a FreeSWITCH restarted: new Core-UUID, no calls)."""
        self.switch = self._new_switch()
        self.start()
        for hook in list(self.on_restart):
            hook(self.switch)

    # --- the ways a FreeSWITCH goes away

    def shutdown(self, reason: str = "fsctl", linger: float | None = None) -> None:
        """fsctl shutdown / SIGTERM: hang up everything, say goodbye, stop listening."""
        sw = self.switch
        if sw.shutting_down or not self.running:
            return
        sw.shutting_down = True
        log.info("emulator shutting down (%s)", reason)
        started = sw.clock.time()
        sw.fire(sw.make_event("SHUTDOWN", "SHUTDOWN", [("Event-Info", "System Shutting Down")]))
        for session in list(sw.sessions.values()):
            session.channel.verbose = True
        sw.hupall(causes.SYSTEM_SHUTDOWN)
        gevent.wait([s.reported for s in list(sw.sessions.values())], timeout=5.0)
        sw.scheduler.stop()
        self._unload_modules(reason)
        pause = self.settings.shutdown_linger if linger is None else linger
        remaining = pause - (sw.clock.time() - started)
        if remaining > 0:
            gevent.sleep(remaining)
        self._stop_listening()
        for listener in list(self.listeners):
            listener.kill(SHUTDOWN_NOTICE)
        sw.kill()
        self.running = False
        self.stopped.set()

    def _unload_modules(self, reason: str) -> None:
        """MODULE_UNLOAD for mod_loopback's interfaces, then (fsctl only) mod_dptools'.

        After SIGTERM, FreeSWITCH unloaded mod_event_socket before mod_dptools: the
        captured clients saw mod_loopback go but none of the dptools applications.
        """
        sw = self.switch

        def unload(site: str, headers: list[tuple[str, str]]) -> None:
            sw.fire(sw.make_event("MODULE_UNLOAD", site, headers))
        unload("MODULE_UNLOAD_ENDPOINT", [("type", "endpoint"), ("name", "loopback")])
        unload("MODULE_UNLOAD_ENDPOINT", [("type", "endpoint"), ("name", "null")])
        unload("MODULE_UNLOAD", [("type", "application"), ("name", "unloop"),
                                 ("description", "Tell loopback to unfold")])
        if reason == "SIGTERM":
            return
        for name in APPLICATIONS:
            description, syntax = APP_DESCRIPTIONS.get(name, (name, None))
            headers = [("type", "application"), ("name", name), ("description", description)]
            if syntax:
                headers.append(("syntax", syntax))
            unload("MODULE_UNLOAD", headers)

    def crash(self, down_for: float | None = None) -> None:
        """kill -9: bare closes, refused connections, then a fresh switch after down_for."""
        self._stop_listening()
        for listener in list(self.listeners):
            listener.drop()
        self.switch.kill()
        self.running = False
        delay = self.settings.crash_down_seconds if down_for is None else down_for
        if delay >= 0:
            def come_back() -> None:
                self.clock.sleep(delay)  # on the emulator's clock: a test can skip the outage
                self.restart()
            gevent.spawn(come_back)

    def next_deadline(self, periodic: bool = True) -> float | None:
        """The next moment something is due by the clock: a task, an auth timeout, a linger.

        With periodic=False the repeating tasks (HEARTBEAT ...) do not count.
        """
        times = [t.runtime for t in self.switch.scheduler.tasks.values()
                 if not t.destroyed and (periodic or not t.repeat)]
        for listener in self.listeners:
            if listener.dead:
                continue
            if not listener.first_command:
                times.append(listener._auth_deadline())
            if listener.linger_until is not None:
                times.append(int(listener.linger_until) + 1.0)
        return min(times) if times else None

    def drop_connections(self) -> int:
        """Cut every client connection (no notice); the switch and its calls go on."""
        listeners = list(self.listeners)
        for listener in listeners:
            listener.drop()
        return len(listeners)
