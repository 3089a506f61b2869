"""A FreeSWITCH 1.11 event-socket emulator: tests, `callmeter emulator`, demos, benchmarks.

Public API:
- `Emulator` (api.py): the emulator in-process, in its own thread with its own gevent hub;
  `place_call` returns a `CallHandle` (calls.py) with events, times and wait helpers;
  faults, time control (`advance_clock`, `fast_forward`), `api`, `shutdown`, `crash`.
- `LoadGenerator` / `LoadProfile` / `Durations` (loadgen.py): calls at a rate, measured.
- `EmulatorProcess` (process.py): the emulator in a process of its own.
- `add_emulator_arguments` / `run_emulator` (cli.py): `callmeter emulator`.
- `EslServer` / `Settings`: the server itself, for a process that runs its own gevent hub.
"""

from .api import Emulator
from .calls import CallEvent, CallHandle, CallTimeout
from .server import EslServer
from .settings import Settings

__all__ = ["CallEvent", "CallHandle", "CallTimeout", "Emulator", "EslServer", "Settings"]
