"""The supervisor restarts crashed greenlets with backoff and stops them all on request."""

from __future__ import annotations

import gevent
import pytest
from gevent.event import Event

from agent import supervisor as supervisor_module
from agent.supervisor import Supervisor


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(supervisor_module, "BACKOFF_START", 0.01)


def test_crashed_greenlet_is_logged_and_restarted(caplog: pytest.LogCaptureFixture) -> None:
    runs: list[int] = []
    healthy = Event()

    def flaky() -> None:
        runs.append(1)
        if len(runs) < 3:
            raise RuntimeError("boom")
        healthy.set()
        gevent.sleep(60)

    sup = Supervisor()
    sup.spawn("flaky", flaky)
    assert healthy.wait(timeout=5)
    assert len(runs) == 3
    assert sup.restarts("flaky") == 2
    assert sup.running() == ["flaky"]
    assert caplog.text.count("supervised greenlet flaky crashed (RuntimeError: boom)") == 2
    sup.stop(timeout=1)
    assert sup.running() == []


def test_backoff_doubles_between_restarts(monkeypatch: pytest.MonkeyPatch) -> None:
    delays: list[float] = []
    real_spawn_later = gevent.spawn_later

    def record(delay: float, *args: object) -> gevent.Greenlet:
        delays.append(delay)
        return real_spawn_later(0, *args)

    monkeypatch.setattr(supervisor_module.gevent, "spawn_later", record)
    done = Event()
    count = [0]

    def crash() -> None:
        count[0] += 1
        if count[0] > 4:
            done.set()
            gevent.sleep(60)
        raise ValueError("again")

    sup = Supervisor()
    sup.spawn("crash", crash)
    assert done.wait(timeout=5)
    sup.stop(timeout=1)
    assert delays == [0.01, 0.02, 0.04, 0.08]


def test_greenlet_that_returns_is_not_restarted() -> None:
    calls: list[int] = []
    sup = Supervisor()
    sup.spawn("once", lambda: calls.append(1))
    gevent.sleep(0.1)
    assert calls == [1]
    assert sup.running() == []


def test_names_are_unique() -> None:
    sup = Supervisor()
    sup.spawn("loop", gevent.sleep, 10)
    with pytest.raises(ValueError, match="already runs"):
        sup.spawn("loop", gevent.sleep, 10)
    sup.stop(timeout=1)


def test_stop_kills_greenlets_without_restarting_them() -> None:
    started = Event()

    def forever() -> None:
        started.set()
        while True:
            gevent.sleep(0.01)

    sup = Supervisor()
    sup.spawn("forever", forever)
    assert started.wait(timeout=5)
    sup.stop(timeout=1)
    gevent.sleep(0.05)
    assert sup.running() == []
