"""The load generator: arrivals, the concurrency cap, and the per-call measurements."""

from __future__ import annotations

import io
import json
import random
import socket
import threading
from collections.abc import Iterator

import pytest

from agent.emulator import Emulator
from agent.emulator.loadgen import Durations, LoadGenerator, LoadProfile, percentiles

from .esl import Esl
from .test_fidelity import FAST


@pytest.fixture
def fs() -> Iterator[Emulator]:
    with Emulator(**FAST) as emulator:
        yield emulator


class FakeAgent:
    """Authorizes every parked call for `seconds` the way the agent does (a stand-in)."""

    def __init__(self, fs: Emulator, seconds: int) -> None:
        self.port = fs.port
        self.events = Esl(fs.port)
        self.events.command("event plain CHANNEL_PARK")
        self.seconds = seconds
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        control = Esl(self.port)
        done: set[str] = set()
        seen = 0
        while not self.events.eof:
            self.events.wait(lambda n=seen: len(self.events.events()) > n, timeout=5)
            events = self.events.events()
            for event in events[seen:]:
                uuid = event.unique_id
                if uuid and uuid not in done and event.get("Call-Direction") == "inbound":
                    done.add(uuid)
                    control.api(f"uuid_setvar {uuid} cgr_notify AUTH_OK")
                    control.api(f"uuid_setvar {uuid} execute_on_answer sched_hangup "
                                f"+{self.seconds} ALLOTTED_TIMEOUT")
                    control.api(f"uuid_transfer {uuid} 1002 XML callmeter_prepaid")
            seen = len(events)
        control.close()

    def stop(self) -> None:
        self.events.sock.shutdown(socket.SHUT_RDWR)  # its reader sees EOF: run() returns
        self.thread.join(5)
        self.events.close()


def test_durations() -> None:
    rng = random.Random(1)
    assert Durations.parse("fixed:12").sample(rng) == 12
    assert 3 <= Durations.parse("uniform:3:4").sample(rng) <= 4
    assert Durations.parse("exp:30").sample(rng) >= 0
    assert str(Durations.parse("uniform:3:4")) == "uniform:3:4"
    for bad in ("fixed", "normal:3", "uniform:5:1", "exp:-1"):
        with pytest.raises(ValueError):
            Durations.parse(bad)
    assert percentiles([]) is None
    assert percentiles([3.0, 1.0, 2.0]) == {"count": 3, "min": 1.0, "p50": 2.0, "p95": 3.0,
                                             "p99": 3.0, "max": 3.0, "mean": 2.0}


def test_postpaid_calls_respect_the_concurrency_cap(fs: Emulator) -> None:
    profile = LoadProfile(calls=6, rate=0, concurrency=2, durations=Durations("fixed", 0.2),
                          accounts=("1001", "1002"), reqtype="*postpaid")
    report = LoadGenerator(fs, profile).run()
    assert len(report.records) == 6
    assert all(r.completed and r.hangup_cause == "NORMAL_CLEARING" for r in report.records)
    assert all(r.parked_at is None and r.park_to_command_ms is None for r in report.records)
    spans = [(r.placed_at, r.hangup_at) for r in report.records]
    for start, _ in spans:
        assert start is not None
        live = sum(1 for s, e in spans if s is not None and e is not None and s <= start < e)
        assert live <= 2
    summary = report.summary()
    assert summary["calls"] == 6 and summary["answered"] == 6
    assert summary["hangup_causes"] == {"NORMAL_CLEARING": 6}


def test_prepaid_calls_are_measured(fs: Emulator) -> None:
    agent = FakeAgent(fs, seconds=1)
    try:
        profile = LoadProfile(calls=3, rate=20, concurrency=3, durations=Durations("fixed", 30),
                              accounts=("a", "b", "c"),
                              allowed_seconds={"a": 1.0, "b": 1.0, "c": 1.0})
        report = LoadGenerator(fs, profile).run()
    finally:
        agent.stop()
    for record in report.records:
        assert record.completed and record.hangup_cause == "ALLOTTED_TIMEOUT"
        assert record.park_to_command_ms is not None and record.park_to_transfer_ms is not None
        assert 0 <= record.park_to_command_ms <= record.park_to_transfer_ms < 2000
        # "+1" runs at the answer's whole second + 1: 0 to 1 s after the answer, then the next
        # scheduler pass; against answer + 1 s that is between -1000 and +tick ms.
        assert record.cutoff_lateness_ms is not None
        assert -1000 <= record.cutoff_lateness_ms <= 300
    out = io.StringIO()
    report.write_jsonl(out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["kind"] for line in lines] == ["call"] * 3 + ["summary"]
    assert lines[-1]["cutoff_lateness_ms"]["count"] == 3
