"""Emulator settings: FreeSWITCH's defaults, every one overridable (tests shorten the timers)."""

from __future__ import annotations

import socket
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    """What the emulated switch is and how its timers run.

    Defaults are FreeSWITCH 1.11's: ESL password ClueCon, 25 s to authenticate (checked in
    whole epoch seconds, so a silent client is dropped 24-25 s after connecting), HEARTBEAT every
    20 s, a scheduler pass every 0.5 s, 20 ms event timestamps, the core SQL view of channels
    and tasks lagging about 0.2 s behind the events (switch_core_sqldb.c batches its writes).
    """

    host: str = "127.0.0.1"
    port: int = 8021
    password: str = "ClueCon"
    hostname: str = ""
    ipv4: str = "127.0.0.1"
    ipv6: str = "::1"
    version: str = "1.11.1-release"
    auth_timeout: float = 25.0
    heartbeat_interval: float = 20.0
    scheduler_tick: float = 0.5
    timestamp_step_us: int = 20_000
    sql_lag: float = 0.2
    max_sessions: int = 1000
    sessions_per_second: int = 30
    # The emulator plays no audio: a file that is not silence_stream://<ms> lasts this long.
    file_seconds: float = 1.0
    # How long a crashed emulator refuses connections before it comes back (fresh, no calls).
    crash_down_seconds: float = 2.0
    # fsctl shutdown / SIGTERM: time between the hangups and the sockets closing (captured ~1.3 s).
    shutdown_linger: float = 1.2
    # mod_event_socket.c MAX_QUEUE_LEN and MAX_MISSED: a listener this far behind is dropped.
    listener_queue_len: int = 100_000
    listener_max_missed: int = 500

    @property
    def switch_hostname(self) -> str:
        return self.hostname or socket.gethostname()
