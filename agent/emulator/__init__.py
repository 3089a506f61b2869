"""A FreeSWITCH 1.11 event-socket emulator: tests, `callmeter emulator`, demos, benchmarks.

Public API: `Emulator` (in-process, its own thread), `CallHandle`, `Settings`, `EslServer`
(the server itself, for a process that runs its own gevent hub).
"""

from .api import Emulator
from .calls import CallEvent, CallHandle, CallTimeout
from .server import EslServer
from .settings import Settings

__all__ = ["CallEvent", "CallHandle", "CallTimeout", "Emulator", "EslServer", "Settings"]
