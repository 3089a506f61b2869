"""One inbound event-socket connection (mod_event_socket.c listener_run / parse_command).

Like FreeSWITCH, one greenlet owns the socket: it writes the queued events whenever it is not
in the middle of a command, runs commands one at a time (an "api" blocks the connection, a
"bgapi" does not), and answers each with a command/reply or an api/response. Quirks kept:
- before auth, everything but "auth", "userauth" and "exit" gets "-ERR command not found" and
  the socket stays open; the 25 s auth timeout (whole epoch seconds) only covers the wait for
  the first command (the auth loop breaks after one command);
- "exit" and a failed auth end with text/disconnect-notice "Disconnected, goodbye..." and close;
- "myevents <uuid> <format>" ignores the format (the uuid is cut in place first);
- a socket bound by myevents holds its channel: CHANNEL_DESTROY waits until the socket goes;
  once the channel has hung up (HANGUP_COMPLETE delivered) the socket either lingers
  (disconnect-notice Content-Disposition: linger) or closes.
"""

from __future__ import annotations

import logging
import socket
from collections import deque
from typing import TYPE_CHECKING

import gevent
from gevent.event import Event

from agent.freeswitch import wire

from .commands import api_execute
from .events import OutEvent
from .session import PrivateCommand, Session
from .subscription import Subscription

if TYPE_CHECKING:
    from .core import Switch
    from .server import EslServer

log = logging.getLogger(__name__)

GOODBYE = "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"
SHUTDOWN_NOTICE = "The system is being shut down.\n"


class Listener:
    """The state and the greenlet of one ESL connection."""

    def __init__(self, server: EslServer, sock: socket.socket, address: tuple[str, int]) -> None:
        self.server = server
        self.sock = sock
        self.address = address
        self.authed = False
        self.running = True
        self.format = "plain"
        self.sub = Subscription()
        self.session: Session | None = None
        self.linger = False
        self.linger_until: float | None = None
        self.lingering = False
        self.queue: deque[OutEvent] = deque()
        self.lost = 0
        self.commands: deque[wire.Command] = deque()
        self.wake = Event()
        self.eof = False
        self.dead = False
        self.first_command = False
        self.connected_at = self.switch.clock.time()
        self.log_level: str | None = None
        self.linger_seconds = -1

    @property
    def switch(self) -> Switch:
        return self.server.switch

    # --- event intake (called from Switch.fire: must not block)

    def offer(self, event: OutEvent) -> None:
        if self.dead or not self.sub.wants(event):
            return
        settings = self.switch.settings
        if len(self.queue) >= settings.listener_queue_len:
            self.lost += 1
            if self.lost > settings.listener_max_missed:
                log.warning("listener %s fell %d events behind: dropped", self.address, self.lost)
                self.kill(None)
            return
        self.queue.append(event)
        self.wake.set()

    # --- the connection greenlet

    def run(self) -> None:
        self.server.add_listener(self)
        reader = gevent.spawn(self._read)
        try:
            self._send(wire.frame_auth_request())
            self._loop()
            if not self.dead:
                self._send_disconnect(GOODBYE)
        except OSError:
            pass
        finally:
            reader.kill(block=False)
            self._close()

    def _read(self) -> None:
        parser = wire.CommandParser()
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    break
                for command in parser.feed(data):
                    self.commands.append(command)
                    self.wake.set()
        except (OSError, wire.WireError):
            pass
        finally:
            self.eof = True
            self.wake.set()

    def _loop(self) -> None:
        while self.running and not self.dead:
            self.wake.clear()
            if not (self.commands or self.queue or self.eof):
                self.wake.wait(self._timeout())
            if self._auth_expired():
                return
            self._flush_events()
            if self.linger_until is not None and self.switch.clock.time() > self.linger_until:
                return
            if self._session_gone():
                if not self.linger:
                    return
                self._start_linger()
            if self.commands:
                self.first_command = True
                self._handle(self.commands.popleft())
            elif self.eof:
                return

    def _timeout(self) -> float | None:
        now = self.switch.clock.time()
        deadlines = []
        if not self.first_command:
            deadlines.append(self._auth_deadline())
        if self.linger_until is not None:
            deadlines.append(int(self.linger_until) + 1.0)
        return max(0.0, min(deadlines) - now) if deadlines else None

    def _auth_deadline(self) -> float:
        timeout = self.switch.settings.auth_timeout
        if float(timeout).is_integer():
            return int(self.connected_at) + timeout
        return self.connected_at + timeout

    def _auth_expired(self) -> bool:
        return (not self.first_command and not self.commands
                and self.switch.clock.time() >= self._auth_deadline())

    def _session_gone(self) -> bool:
        """The bound channel has hung up and reported (HANGUP_COMPLETE is out)."""
        return (self.session is not None and not self.lingering
                and self.session.reported.is_set())

    def _start_linger(self) -> None:
        """read_packet's CF_HANDLE_DISCO branch with LFLAG_LINGER."""
        assert self.session is not None
        self.lingering = True
        seconds = self.linger_seconds
        self._send(wire.frame_disconnect_notice("", [
            ("Controlled-Session-UUID", self.session.uuid), ("Content-Disposition", "linger"),
            ("Channel-Name", self.session.channel.name), ("Linger-Time", str(seconds))]))
        if seconds != -1:
            self.linger_until = float(self.switch.clock.epoch() + seconds)

    def _flush_events(self) -> None:
        if not self.queue:
            return
        chunks = []
        while self.queue:
            chunks.append(self.queue.popleft().framed(self.format))
        self._send(b"".join(chunks))

    def _send(self, data: bytes) -> None:
        if not self.dead:
            self.sock.sendall(data)

    def _send_disconnect(self, text: str) -> None:
        extra: list[tuple[str, str]] = []
        if self.session is not None:
            extra = [("Controlled-Session-UUID", self.session.uuid),
                     ("Content-Disposition", "disconnect")]
        self._send(wire.frame_disconnect_notice(text, extra))

    def kill(self, notice: str | None) -> None:
        """kill_listener: an optional notice, then the socket is shut."""
        if self.dead:
            return
        try:
            if notice:
                self._send_disconnect(notice)
        except OSError:
            pass
        self.dead = True
        self.running = False
        self._shutdown_socket()
        self.wake.set()

    def drop(self) -> None:
        """A bare close, no notice (a crash, or a dropped TCP connection)."""
        self.dead = True
        self.running = False
        self._shutdown_socket()
        self.wake.set()

    def _shutdown_socket(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _close(self) -> None:
        self.dead = True
        self.server.remove_listener(self)
        if self.session is not None:
            self.session.release()
        try:
            self.sock.close()
        except OSError:
            pass

    # --- replies

    def _reply(self, text: str, extra: list[tuple[str, str]] | None = None) -> None:
        self._send(wire.frame_command_reply(text, extra or []))

    def _handle(self, command: wire.Command) -> None:
        from .protocol import handle_command
        for observer in list(self.server.command_observers):
            observer(command.line)
        self.server.faults.before_command(command.line)
        handle_command(self, command)

    # --- helpers the protocol module uses

    def api(self, line: str) -> None:
        """api <cmd> [<args>]: run now, reply with api/response."""
        cmd, sep, args = line.partition(" ")
        result = api_execute(self.switch, cmd, args if sep else None)
        if result is None:
            result = f"-ERR {cmd} Command not found!\n"
        elif result == "":
            result = "-ERR no reply\n"
        self._send(wire.frame_api_response(result))

    def bgapi(self, line: str, job_uuid: str | None) -> None:
        cmd, sep, args = line.partition(" ")
        job = job_uuid or self.switch.new_uuid()
        self._reply(f"+OK Job-UUID: {job}", [("Job-UUID", job)])
        self.switch.spawn(run_job, self.switch, job, cmd, args if sep else None)

    def bind_session(self, session: Session) -> None:
        self.session = session
        session.hold()
        session.reported.rawlink(lambda _: self.wake.set())

    def queue_private(self, session: Session, command: PrivateCommand) -> None:
        session.queue_private(command)


def run_job(switch: Switch, job: str, cmd: str, args: str | None) -> None:
    """mod_event_socket api_exec for bgapi: the result goes out as BACKGROUND_JOB."""
    result = api_execute(switch, cmd, args)
    if result is None:
        result = f"-ERR {cmd} Command not found!\n"
    headers = [("Job-UUID", job), ("Job-Command", cmd)]
    if args is not None:
        headers.append(("Job-Command-Arg", args))
    switch.fire(switch.make_event("BACKGROUND_JOB", "BACKGROUND_JOB", headers, result))
