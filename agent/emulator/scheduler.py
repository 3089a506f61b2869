"""The core scheduler (switch_scheduler.c) and the tasks scheduled through it.

Tasks are due at a whole epoch second; a pass every `scheduler_tick` (0.5 s) runs the due ones,
then removes finished or deleted ones, firing DEL_SCHEDULE for each (no EXE_SCHEDULE, as
captured). Repeating tasks get a new runtime and a RE_SCHEDULE. So "sched_hangup +N" (due at
the current whole second + N) fires between N-1 and N+0.5 s after it is armed, and
"sched_del" answers at once but its DEL_SCHEDULE comes with the next pass (capture 09).
At startup the core has heartbeat (id 1, every 20 s: HEARTBEAT), check_ip (id 2, every 60 s)
and mod_hash's limit_hash_cleanup (id 3, every 900 s); the first two are scheduled before the
core database listens, so "show tasks" never lists them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import gevent

from . import causes
from .session import PrivateCommand

if TYPE_CHECKING:
    from .core import Switch

log = logging.getLogger(__name__)


@dataclass
class Task:
    task_id: int
    runtime: float
    desc: str
    group: str
    run: Callable[[], None]
    repeat: float = 0.0
    destroyed: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    def headers(self) -> list[tuple[str, str]]:
        return [("Task-ID", str(self.task_id)), ("Task-Desc", self.desc),
                ("Task-Group", self.group), ("Task-Runtime", str(int(self.runtime)))]


def format_uptime(seconds: float) -> str:
    """switch_core_measure_time as status and HEARTBEAT print it."""
    micros = int(seconds * 1_000_000)
    parts = []
    for unit, size in (("year", 31_536_000_000_000), ("day", 86_400_000_000),
                       ("hour", 3_600_000_000), ("minute", 60_000_000), ("second", 1_000_000),
                       ("millisecond", 1000), ("microsecond", 1)):
        value, micros = divmod(micros, size)
        parts.append(f"{value} {unit}{'' if value == 1 else 's'}")
    return ", ".join(parts)


class Scheduler:
    """Whole-second tasks checked every tick; ADD/DEL/RE_SCHEDULE as FreeSWITCH fires them."""

    def __init__(self, switch: Switch) -> None:
        self.switch = switch
        self.tasks: dict[int, Task] = {}
        self.last_id = 0
        self._cpu = (os.times(), 0.0)
        self.idle_cpu = 100.0

    # --- lifecycle

    def start(self) -> None:
        """The core's own tasks, then the pass loop."""
        sw = self.switch
        now = sw.started_at
        interval = sw.settings.heartbeat_interval
        self.add(now + interval, "heartbeat", "core", self._heartbeat, repeat=interval,
                 announce=False)
        self.add(now + 60, "check_ip", "core", lambda: None, repeat=60, announce=False)
        self.add(int(now) + 900, "limit_hash_cleanup", "mod_hash", lambda: None, repeat=900)
        sw.sql.flush_all()
        sw.supervisor.spawn(f"emulator-scheduler-{sw.identity.core_uuid}", self._loop)

    def stop(self) -> None:
        self.switch.supervisor.stop(timeout=1.0)

    def _loop(self) -> None:
        tick = self.switch.settings.scheduler_tick
        while True:
            try:
                self.run_pass()
            except gevent.GreenletExit:
                raise
            except Exception:  # a task that fails must not stop the others (as in FreeSWITCH)
                log.exception("scheduler pass failed")
            gevent.sleep(tick)

    # --- tasks

    def add(self, runtime: float, desc: str, group: str, run: Callable[[], None],
            repeat: float = 0.0, announce: bool = True) -> Task:
        """switch_scheduler_add_task: a new id; ADD_SCHEDULE unless the core is still starting."""
        self.last_id += 1
        task = Task(self.last_id, runtime, desc, group, run, repeat)
        self.tasks[task.task_id] = task
        if announce:
            self.switch.fire(self.switch.make_event("ADD_SCHEDULE", "ADD_SCHEDULE", task.headers()))
        return task

    def delete_id(self, task_id: int) -> int:
        """switch_scheduler_del_task_id: marked now, removed (DEL_SCHEDULE) by the next pass."""
        task = self.tasks.get(task_id)
        if task is None or task.destroyed or task.group == "core":
            return 0
        task.destroyed = True
        return 1

    def delete_group(self, group: str) -> int:
        count = 0
        for task in self.tasks.values():
            if task.group == group and not task.destroyed:
                task.destroyed = True
                count += 1
        return count

    def run_pass(self) -> None:
        """task_thread_loop: run due tasks, re-arm repeating ones, drop the finished."""
        now = self.switch.clock.time()
        for task in list(self.tasks.values()):
            if task.destroyed or now < task.runtime:
                continue
            try:
                task.run()
            except Exception:
                log.exception("scheduled task %s (%s) failed", task.task_id, task.desc)
            if task.repeat:
                task.runtime = int(self.switch.clock.time()) + task.repeat \
                    if task.repeat >= 1 else self.switch.clock.time() + task.repeat
                self.switch.fire(self.switch.make_event("RE_SCHEDULE", "RE_SCHEDULE",
                                                        task.headers()))
            else:
                task.destroyed = True
        for task in [t for t in self.tasks.values() if t.destroyed]:
            del self.tasks[task.task_id]
            self.switch.fire(self.switch.make_event("DEL_SCHEDULE", "DEL_SCHEDULE", task.headers()))

    # --- the switch_ivr_schedule_* functions

    def schedule_hangup(self, runtime: float, uuid: str, cause: str) -> Task:
        def run() -> None:
            session = self.switch.locate(uuid)
            if session is not None:
                session.hangup(cause)
        return self.add(runtime, "switch_ivr_schedule_hangup", uuid, run)

    def schedule_transfer(self, runtime: float, uuid: str, extension: str,
                          dialplan: str | None, context: str | None) -> Task:
        def run() -> None:
            session = self.switch.locate(uuid)
            if session is not None:
                session.transfer(extension, dialplan, context)
        return self.add(runtime, "switch_ivr_schedule_transfer", uuid, run)

    def schedule_broadcast(self, runtime: float, uuid: str, path: str, legs: str) -> Task:
        def run() -> None:
            broadcast(self.switch, uuid, path, legs)
        return self.add(runtime, "switch_ivr_schedule_broadcast", uuid, run)

    # --- heartbeat

    def _heartbeat(self) -> None:
        """send_heartbeat (switch_core.c)."""
        sw = self.switch
        stats = sw.stats
        uptime = sw.uptime
        sw.fire(sw.make_event("HEARTBEAT", "HEARTBEAT", [
            ("Event-Info", "System Ready"),
            ("Up-Time", format_uptime(uptime)),
            ("FreeSWITCH-Version", f"{sw.settings.version}~64bit"),
            ("Uptime-msec", str(int(uptime * 1000))),
            ("Session-Count", str(len(sw.sessions))),
            ("Max-Sessions", str(sw.settings.max_sessions)),
            ("Session-Per-Sec", str(sw.settings.sessions_per_second)),
            ("Session-Per-Sec-Last", str(stats.last_second())),
            ("Session-Per-Sec-Max", str(stats.sps_max)),
            ("Session-Per-Sec-FiveMin", str(stats.sps_five_minutes())),
            ("Session-Since-Startup", str(stats.since_startup)),
            ("Session-Peak-Max", str(stats.peak)),
            ("Session-Peak-FiveMin", str(stats.peak_five_minutes())),
            ("Idle-CPU", f"{self.measure_idle_cpu():.6f}"),
        ]))

    def measure_idle_cpu(self) -> float:
        """Idle CPU since the last measure, as a percentage of one core."""
        times, _ = self._cpu
        now = os.times()
        wall = now.elapsed - times.elapsed
        if wall > 0:
            busy = (now.user - times.user) + (now.system - times.system)
            self.idle_cpu = max(0.0, min(100.0, 100.0 * (1 - busy / wall)))
        self._cpu = (now, 0.0)
        return self.idle_cpu


def broadcast(switch: Switch, uuid: str, path: str, legs: str = "aleg") -> bool:
    """switch_ivr_broadcast: queue "execute playback <path>" (or app::args) on the channel(s).

    The COMMAND event is built (and numbered) now but only fired, as PRIVATE_COMMAND, when the
    channel has run it; that is why the captured PRIVATE_COMMAND carries two header blocks.
    """
    session = switch.locate(uuid)
    if session is None:
        return False
    targets = []
    if "aleg" in legs or "both" in legs:
        targets.append(session)
    if ("bleg" in legs or "both" in legs) and session.partner is not None:
        targets.append(session.partner)
    app, sep, arg = path.partition("::")
    if not sep:
        app, arg = "playback", path
    for target in targets:
        headers = [("call-command", "execute"), ("execute-app-name", app),
                   ("execute-app-arg", arg), ("event-lock", "true"), ("lead-frames", "5")]
        block = switch.events.core("COMMAND", "COMMAND")
        target.queue_private(PrivateCommand("execute", headers, app=app, arg=arg,
                                            command_block=block))
    return True


def hangup_now(switch: Switch, uuid: str, cause: str = causes.NORMAL_CLEARING) -> bool:
    session = switch.locate(uuid)
    return session is not None and session.hangup(cause)
