"""`callmeter run`: the long-running process, its start-up order, signals and shutdown.

Start-up order is store → engine → RPC listeners → FreeSWITCH connections → scheduler, so
nothing accepts work before what it needs is there; shutdown is the reverse, bounded by
general.shutdown_timeout. Signal handlers only queue the signal; the main loop acts on it
and pings systemd's watchdog from the hub's own loop, so a stuck hub gets restarted.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import socket
import time
from typing import Any

import gevent
from gevent.queue import Empty, Queue

from . import __version__, metrics
from .components import Component, build_components
from .config import Config, ConfigError, load_config
from .logsetup import set_level
from .sdnotify import Notifier, watchdog_interval
from .supervisor import Supervisor
from .web import Health

log = logging.getLogger(__name__)

#: Keys applied on SIGHUP without a restart (section.key); components add their own.
RELOADABLE = {"general.log_level"}


class StartupError(Exception):
    """A component could not start; the message says which and why."""


class Daemon:
    """Owns the components, the supervisor and the main loop of `callmeter run`."""

    def __init__(self, config: Config, config_file: str | None,
                 notifier: Notifier | None = None) -> None:
        self.config = config
        self.config_file = config_file
        self.notifier = notifier or Notifier()
        self.supervisor = Supervisor()
        self.health = Health(detail=self._health_detail)
        self.components: list[Component] = []
        self.started_at = time.time()
        self.node_id = config.general.node_id or socket.gethostname()
        self._signals: Queue[int] = Queue()
        self.pending_restart: list[str] = []  # keys changed by SIGHUP that wait for a restart

    # ------------------------------------------------------------------ life cycle
    def start(self) -> None:
        """Build and start every component in order; raise StartupError on the first failure."""
        self.components = build_components(self)
        for component in self.components:
            try:
                component.start()
            except Exception as exc:
                log.error("start-up failed in %s: %s", component.name, exc,
                          exc_info=log.isEnabledFor(logging.DEBUG))
                raise StartupError(f"{component.name}: {exc}") from exc
            log.debug("%s started", component.name)

    def stop(self) -> None:
        """Stop components in reverse order within general.shutdown_timeout."""
        self.health.status = "stopping"
        metrics.UP.set(0)
        self.notifier.notify("STOPPING=1", "STATUS=stopping")
        bound = self.config.general.shutdown_timeout.seconds
        deadline = time.monotonic() + bound
        for component in reversed(self.components):
            remaining = max(0.1, deadline - time.monotonic())
            try:
                with gevent.Timeout(remaining + 1.0):
                    component.stop(remaining)
            except gevent.Timeout:
                log.error("%s did not stop within %.1fs; going on", component.name, remaining)
            except Exception:
                log.exception("stopping %s failed; going on", component.name)
        self.supervisor.stop(timeout=max(0.1, deadline - time.monotonic()))
        took = bound - (deadline - time.monotonic())
        log.info("callmeter stopped in %.2fs", took)

    def run(self) -> int:
        """Start, serve until SIGTERM/SIGINT, stop. Returns the process exit code."""
        self._install_signal_handlers()
        log.info("callmeter %s starting (node %s, pid %d, config %s)",
                 __version__, self.node_id, os.getpid(), self.config.source)
        try:
            self.start()
        except StartupError as exc:
            log.critical("callmeter could not start: %s", exc)
            self.stop()
            return 1
        self.health.status = "ok"
        metrics.UP.set(1)
        self.notifier.notify("READY=1", f"STATUS={self.status_line()}")
        log.info("callmeter ready: %s", self.status_line())
        self._main_loop()
        self.stop()
        return 0

    def _main_loop(self) -> None:
        interval = watchdog_interval() or 5.0
        while True:
            try:
                signum = self._signals.get(timeout=interval)
            except Empty:
                signum = None
            self.notifier.notify("WATCHDOG=1", f"STATUS={self.status_line()}")
            if signum in (signal.SIGTERM, signal.SIGINT):
                log.info("received %s: shutting down (bound %s)", signal.Signals(signum).name,
                         f"{self.config.general.shutdown_timeout.seconds:g}s")
                return
            if signum == signal.SIGHUP:
                self.reload()

    def _install_signal_handlers(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            gevent.signal_handler(signum, self._signals.put, signum)

    def request_stop(self) -> None:
        """Ask the main loop to shut down (as SIGTERM would); for tests and the demo."""
        self._signals.put(signal.SIGTERM)

    # ------------------------------------------------------------------ reload
    def reload(self) -> None:
        """SIGHUP: re-read the config file, apply what can be applied, log what cannot."""
        self.notifier.notify("RELOADING=1", f"MONOTONIC_USEC={time.monotonic_ns() // 1000}")
        try:
            new = load_config(self.config_file) if self.config_file else self.config
        except ConfigError as exc:
            metrics.RELOADS.labels("error").inc()
            log.error("reload refused, keeping the running configuration: %s", exc)
            self.notifier.notify("READY=1")
            return
        changed = changed_keys(self.config, new)
        applied: list[str] = []
        if "general.log_level" in changed:
            set_level(new.general.log_level)
            applied.append("general.log_level")
        for component in self.components:
            applied += component.reload(new, changed)
        needs_restart = sorted(set(changed) - set(applied))
        self.pending_restart = sorted(set(self.pending_restart) | set(needs_restart))
        self.config = new
        metrics.RELOADS.labels("ok").inc()
        log.info("reloaded %s: applied %s%s", new.source, ", ".join(applied) or "nothing",
                 f"; needs a restart to take effect: {', '.join(needs_restart)}"
                 if needs_restart else "")
        self.notifier.notify("READY=1", f"STATUS={self.status_line()}")

    # ------------------------------------------------------------------ reporting
    def status_line(self) -> str:
        parts = [c.status() for c in self.components]
        return "; ".join(p for p in parts if p) or "running"

    def _health_detail(self) -> dict[str, Any]:
        return {
            "version": __version__,
            "node_id": self.node_id,
            "uptime_s": round(time.time() - self.started_at, 3),
            "components": {c.name: c.status() for c in self.components},
            "pending_restart": self.pending_restart,
        }


def changed_keys(old: Config, new: Config) -> list[str]:
    """Dotted keys whose values differ between two configs (sections compared field by field)."""
    keys = []
    for section in dataclasses.fields(Config):
        if section.name == "source":
            continue
        a, b = getattr(old, section.name), getattr(new, section.name)
        for item in dataclasses.fields(a):
            if getattr(a, item.name) != getattr(b, item.name):
                keys.append(f"{section.name}.{item.name}")
    return keys
