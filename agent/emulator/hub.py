"""A gevent hub in its own OS thread, and safe calls into it from any other thread.

The emulator runs in its own thread so that a test can use plain blocking sockets (or its own
gevent hub, with an agent in it) without freezing the emulator, and the emulator's greenlets
never run on the caller's hub. Calls cross over through a thread-safe queue and an async
watcher; a caller that is itself inside a gevent hub waits through that hub's threadpool so
its own greenlets keep running.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

import gevent
import gevent.monkey

T = TypeVar("T")

_RealThread: type[threading.Thread] = gevent.monkey.get_original("threading", "Thread")
_RealEvent: type[threading.Event] = gevent.monkey.get_original("threading", "Event")
_RealCondition: type[threading.Condition] = gevent.monkey.get_original("threading", "Condition")
_RealRLock = gevent.monkey.get_original("threading", "RLock")
_get_ident: Callable[[], int] = gevent.monkey.get_original("threading", "get_ident")


def real_condition() -> threading.Condition:
    """A condition variable that works across OS threads whatever monkey-patching did."""
    return _RealCondition(_RealRLock())


def blocking(fn: Callable[..., T], *args: Any) -> T:
    """Run a call that blocks the OS thread without freezing the caller's gevent hub."""
    if gevent.monkey.is_module_patched("threading"):
        return gevent.get_hub().threadpool.apply(fn, args)  # type: ignore[no-any-return]
    return fn(*args)


class HubThread:
    """An OS thread running a gevent hub; `call` runs a function on it and returns its result."""

    def __init__(self, name: str = "emulator") -> None:
        self._inbox: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]] = queue.SimpleQueue()
        self._ready = _RealEvent()
        self._watcher: Any = None
        self._stop: Any = None
        self._thread = _RealThread(target=self._main, name=name, daemon=True)
        self.ident: int | None = None
        self.error: BaseException | None = None

    def start(self, setup: Callable[[], None]) -> None:
        """Start the thread and run setup() in it before anything else."""
        self._setup = setup
        self._thread.start()
        blocking(self._ready.wait)
        if self.error is not None:
            raise self.error

    def _main(self) -> None:
        from gevent.event import Event
        self.ident = _get_ident()
        hub = gevent.get_hub()
        self._stop = Event()
        self._watcher = hub.loop.async_()
        self._watcher.start(self._drain)
        try:
            self._setup()
        except BaseException as exc:
            self.error = exc
            self._ready.set()
            return
        self._ready.set()
        self._stop.wait()
        self._watcher.stop()
        self._watcher.close()

    def _drain(self) -> None:
        while True:
            try:
                fn, future = self._inbox.get_nowait()
            except queue.Empty:
                return
            gevent.spawn(self._run, fn, future)

    @staticmethod
    def _run(fn: Callable[[], Any], future: Future[Any]) -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(fn())
        except BaseException as exc:
            future.set_exception(exc)

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        future: Future[T] = Future()
        if not self._thread.is_alive():
            future.set_exception(RuntimeError("the emulator thread is not running"))
            return future
        self._inbox.put((fn, future))
        self._watcher.send()
        return future

    def call(self, fn: Callable[[], T], timeout: float | None = 30.0) -> T:
        """Run fn in the hub thread and wait for its result (directly if already there)."""
        if _get_ident() == self.ident:
            return fn()
        future = self.submit(fn)
        return blocking(future.result, timeout)

    def stop(self, timeout: float = 10.0) -> None:
        if not self._thread.is_alive():
            return
        self.submit(self._stop.set)
        blocking(self._thread.join, timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()
