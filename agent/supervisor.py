"""Long-lived greenlets under supervision: a crash is logged and the greenlet respawned.

A loop that dies silently leaves the process limping (calls no longer debited, actions
no longer scheduled); a supervisor makes the failure loud and bounded instead.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gevent
from gevent.event import Event
from gevent.pool import Group

from . import metrics

log = logging.getLogger(__name__)

BACKOFF_START = 0.5
BACKOFF_MAX = 30.0
HEALTHY_AFTER = 60.0  # a run this long resets the backoff


@dataclass
class _Child:
    name: str
    target: Callable[..., Any]
    args: tuple[Any, ...]
    backoff: float = 0.0
    restarts: int = 0
    started: float = 0.0
    greenlet: gevent.Greenlet | None = field(default=None, repr=False)


class Supervisor:
    """Spawns named greenlets into one group and restarts those that raise."""

    def __init__(self) -> None:
        self._group = Group()
        self._children: dict[str, _Child] = {}
        self._stopping = Event()

    def spawn(self, name: str, target: Callable[..., Any], *args: Any) -> None:
        """Run target(*args) until it returns; restart it with backoff if it raises."""
        if name in self._children:
            raise ValueError(f"a supervised greenlet named {name!r} already runs")
        child = _Child(name, target, args, backoff=BACKOFF_START)
        self._children[name] = child
        self._start(child)

    def _start(self, child: _Child) -> None:
        child.started = time.monotonic()
        greenlet = gevent.Greenlet(child.target, *child.args)
        greenlet.name = child.name
        greenlet.link_exception(lambda g: self._crashed(child, g))
        greenlet.link_value(lambda g: self._finished(child))
        child.greenlet = greenlet
        self._group.start(greenlet)

    def _finished(self, child: _Child) -> None:
        if not self._stopping.is_set():
            log.info("supervised greenlet %s finished", child.name)
        self._children.pop(child.name, None)

    def _crashed(self, child: _Child, greenlet: gevent.Greenlet) -> None:
        if self._stopping.is_set():
            return
        if time.monotonic() - child.started > HEALTHY_AFTER:
            child.backoff = BACKOFF_START
        child.restarts += 1
        metrics.GREENLET_RESTARTS.labels(child.name).inc()
        log.error(
            "supervised greenlet %s crashed (%s: %s); restart #%d in %.1fs",
            child.name, type(greenlet.exception).__name__, greenlet.exception,
            child.restarts, child.backoff,
            exc_info=greenlet.exception,
        )
        delay, child.backoff = child.backoff, min(child.backoff * 2, BACKOFF_MAX)
        gevent.spawn_later(delay, self._restart, child)

    def _restart(self, child: _Child) -> None:
        if not self._stopping.is_set() and self._children.get(child.name) is child:
            self._start(child)

    def running(self) -> list[str]:
        """Names of the supervised greenlets currently alive."""
        return sorted(c.name for c in self._children.values() if c.greenlet and not c.greenlet.dead)

    def restarts(self, name: str) -> int:
        child = self._children.get(name)
        return child.restarts if child else 0

    def stop(self, timeout: float) -> None:
        """Kill every supervised greenlet, waiting at most timeout seconds."""
        self._stopping.set()
        self._group.kill(timeout=timeout)
        self._children.clear()
