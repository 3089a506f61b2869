"""The scheduler greenlet: runs due action-plan timings and ``*asap`` tasks.

The work on the store is ``rating.plan_scheduler.PlanScheduler`` (exactly once per plan,
timing, account and due time, with any number of callmeters on one store; see
docs/actions.md). This module only loops: tick, then sleep until the next due time, the
poll interval (``scheduler.poll_interval``, which also bounds how late a run starts when
another process set a plan), or a reload (``ReloadScheduler``, SetActionPlan) - whichever
comes first. At start the pending ``*asap`` tasks run once, as CGRateS does.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import gevent
from gevent.event import Event
from prometheus_client import Counter, Gauge

from rating.plan_scheduler import PlanScheduler

from . import metrics
from .components import Component

if TYPE_CHECKING:
    from .daemon import Daemon

log = logging.getLogger(__name__)

TICKS = Counter("callmeter_scheduler_ticks_total", "Scheduler passes over the action plans",
                registry=metrics.REGISTRY)
RUNS = Gauge("callmeter_scheduler_runs", "Plan runs on accounts made by this process",
             registry=metrics.REGISTRY)
ERRORS = Counter("callmeter_scheduler_errors_total", "Scheduler passes that failed",
                 registry=metrics.REGISTRY)

ERROR_PAUSE = 2.0


class SchedulerLoop:
    """Ticks the plan scheduler until stopped; a failing pass is logged and retried."""

    def __init__(self, scheduler: PlanScheduler, poll_seconds: float,
                 wall_ns: Callable[[], int] = time.time_ns) -> None:
        self.scheduler = scheduler
        self.poll_seconds = poll_seconds
        self.wall_ns = wall_ns
        self.wake = Event()
        self.stopping = Event()
        self.idle = Event()  # set between passes: stop() waits for it

    def reload(self) -> None:
        """Re-read the plans and look at them now."""
        self.scheduler.request_reload()
        self.wake.set()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.wake.clear()
            self.idle.clear()
            try:
                soonest = self.scheduler.tick()
                TICKS.inc()
                RUNS.set(self.scheduler.runs)
            except Exception:
                ERRORS.inc()
                log.exception("scheduler pass failed; retrying in %.0fs", ERROR_PAUSE)
                soonest = None
                self.idle.set()
                self.wake.wait(ERROR_PAUSE)
                continue
            self.idle.set()
            self.wake.wait(self._sleep_for(soonest))

    def _sleep_for(self, soonest: int | None) -> float:
        if soonest is None:
            return self.poll_seconds
        until = (soonest - self.wall_ns()) / 1e9
        return max(0.0, min(self.poll_seconds, until))

    def stop(self, timeout: float) -> None:
        """Finish the pass in progress (bounded) and stop."""
        self.stopping.set()
        self.wake.set()
        self.idle.wait(timeout)


class SchedulerComponent(Component):
    """Runs action plans in this process when ``scheduler.enabled``."""

    name = "scheduler"

    def __init__(self, daemon: Daemon, engine: Any) -> None:
        """`engine`: the Engine, or the component that holds it once started (``.engine``)."""
        self.daemon = daemon
        self._engine = engine
        self.engine: Any = None
        self.loop: SchedulerLoop | None = None

    def start(self) -> None:
        self.engine = getattr(self._engine, "engine", None) or self._engine
        config = self.daemon.config.scheduler
        if not config.enabled:
            log.info("scheduler off (scheduler.enabled is false)")
            return
        owner = f"sched:{self.daemon.node_id}:{os.getpid()}"
        scheduler = PlanScheduler(self.engine, owner, catch_up=config.catch_up,
                                  lease_ms=max(1000, int(config.lease) // 1_000_000))
        self.loop = SchedulerLoop(scheduler, max(0.05, config.poll_interval.seconds))
        self.engine.on_scheduler_reload = self.loop.reload
        ran = self.engine.run_pending_tasks()
        if ran:
            log.info("scheduler: %d pending *asap task(s) run at start", ran)
        self.daemon.supervisor.spawn("scheduler", self.loop.run)
        log.info("scheduler started (catch_up %s, poll %s s)", config.catch_up,
                 config.poll_interval.seconds)

    def stop(self, timeout: float) -> None:
        if self.loop is not None:
            self.engine.on_scheduler_reload = None
            with gevent.Timeout(timeout + 1.0, False):
                self.loop.stop(timeout)

    def status(self) -> str:
        return "scheduler on" if self.loop else "scheduler off"
