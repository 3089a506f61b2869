"""Load generation for the agent benchmark: many calls on the emulator, measured per call.

    profile = LoadProfile(calls=500, rate=20, concurrency=200,
                          durations=Durations.parse("exp:30"),
                          accounts=[f"acc{i:04d}" for i in range(500)],
                          allowed_seconds={"acc0000": 12.0, ...})
    report = LoadGenerator(emulator, profile).run()
    report.write_jsonl("load.jsonl"); print(report.summary())

Calls arrive as a Poisson process of `rate` per second (rate 0: as fast as the concurrency
limit lets them), each talks for a duration drawn from `durations`, at most `concurrency` are
up at once. For each call the report has, on the emulator's clock:
- park_to_command_ms: CHANNEL_PARK of the metered (-b) leg to the first command that names it
  (the agent's uuid_setvar), and park_to_transfer_ms: to its uuid_transfer;
- cutoff_lateness_ms: when the account's allowed talk time is known and shorter than the talk
  the caller intended, the hangup minus (answer + allowed): how late the agent's cut-off came
  (negative: early). Give each concurrently live call its own account for this to be exact.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import random
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .hub import blocking

if TYPE_CHECKING:
    from .api import Emulator
    from .calls import CallHandle

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Durations:
    """A talk-time distribution: fixed:S, uniform:LO:HI, exp:MEAN or lognormal:MU:SIGMA."""

    kind: str = "fixed"
    a: float = 30.0
    b: float = 0.0

    @classmethod
    def parse(cls, text: str) -> Durations:
        kind, *values = text.split(":")
        numbers = [float(v) for v in values]
        kinds = {"fixed": 1, "uniform": 2, "exp": 1, "lognormal": 2}
        if kind not in kinds or len(numbers) != kinds[kind]:
            raise ValueError(f"bad duration distribution {text!r}: use fixed:S, uniform:LO:HI, "
                             "exp:MEAN or lognormal:MU:SIGMA")
        if any(n < 0 for n in numbers) or (kind == "uniform" and numbers[0] > numbers[1]):
            raise ValueError(f"bad duration distribution {text!r}")
        return cls(kind, numbers[0], numbers[1] if len(numbers) > 1 else 0.0)

    def sample(self, rng: random.Random) -> float:
        if self.kind == "fixed":
            return self.a
        if self.kind == "uniform":
            return rng.uniform(self.a, self.b)
        if self.kind == "exp":
            return rng.expovariate(1.0 / self.a) if self.a > 0 else 0.0
        return rng.lognormvariate(self.a, self.b)

    def __str__(self) -> str:
        if self.kind in ("fixed", "exp"):
            return f"{self.kind}:{self.a:g}"
        return f"{self.kind}:{self.a:g}:{self.b:g}"


@dataclass(frozen=True)
class LoadProfile:
    calls: int = 100
    rate: float = 5.0
    concurrency: int = 50
    durations: Durations = field(default_factory=lambda: Durations("exp", 30.0))
    accounts: Sequence[str] = ("1001",)
    allowed_seconds: Mapping[str, float] = field(default_factory=dict)
    destination: str = "1002"
    reqtype: str = "*prepaid"
    context: str = "callmeter_prepaid"
    ring_seconds: float | None = None
    seed: int = 0
    # A call still up this long after its intended talk time is given up on (recorded as is).
    grace_seconds: float = 60.0


@dataclass
class CallRecord:
    index: int
    account: str
    talk_seconds: float
    a_uuid: str
    uuid: str | None = None
    placed_at: float | None = None
    parked_at: float | None = None
    first_command_at: float | None = None
    transfer_at: float | None = None
    answered_at: float | None = None
    hangup_at: float | None = None
    hangup_cause: str | None = None
    billsec: int | None = None
    billmsec: int | None = None
    commands: int = 0
    allowed_seconds: float | None = None
    park_to_command_ms: float | None = None
    park_to_transfer_ms: float | None = None
    cutoff_lateness_ms: float | None = None
    completed: bool = False
    originate_reply: str | None = None

    @classmethod
    def from_handle(cls, index: int, handle: CallHandle, placed_at: float,
                    allowed: float | None) -> CallRecord:
        def at(name: str, leg: str = "B") -> float | None:
            event = handle.first(name, leg)
            return event.wall if event else None
        rec = cls(index, handle.account, handle.talk_seconds or 0.0, handle.a_uuid, handle.uuid,
                  placed_at=placed_at, parked_at=at("CHANNEL_PARK"),
                  answered_at=at("CHANNEL_ANSWER"), hangup_at=at("CHANNEL_HANGUP"),
                  hangup_cause=handle.hangup_cause, billsec=handle.billsec,
                  billmsec=handle.billmsec, commands=len(handle.commands),
                  allowed_seconds=allowed, completed=handle.ended,
                  originate_reply=(handle.originate_reply or "").strip() or None)
        commands = sorted(handle.commands)
        if rec.parked_at is not None:
            after = [(t, c) for t, c in commands if t >= rec.parked_at]
            if after:
                rec.first_command_at = after[0][0]
                rec.park_to_command_ms = (after[0][0] - rec.parked_at) * 1000
            transfers = [t for t, c in after if c.startswith(("api uuid_transfer",
                                                              "bgapi uuid_transfer"))]
            if transfers:
                rec.transfer_at = transfers[0]
                rec.park_to_transfer_ms = (transfers[0] - rec.parked_at) * 1000
        if (allowed is not None and rec.answered_at is not None and rec.hangup_at is not None
                and rec.talk_seconds > allowed):
            rec.cutoff_lateness_ms = (rec.hangup_at - (rec.answered_at + allowed)) * 1000
        return rec


def percentiles(values: Iterable[float]) -> dict[str, float] | None:
    data = sorted(values)
    if not data:
        return None

    def pick(p: float) -> float:
        return data[min(len(data) - 1, max(0, math.ceil(p * len(data)) - 1))]
    return {"count": len(data), "min": data[0], "p50": pick(0.5), "p95": pick(0.95),
            "p99": pick(0.99), "max": data[-1], "mean": sum(data) / len(data)}


@dataclass
class LoadReport:
    profile: LoadProfile
    started_at: float
    finished_at: float
    records: list[CallRecord]

    def summary(self) -> dict[str, Any]:
        recs = self.records
        return {
            "kind": "summary",
            "calls": len(recs),
            "completed": sum(r.completed for r in recs),
            "parked": sum(r.parked_at is not None for r in recs),
            "answered": sum(r.answered_at is not None for r in recs),
            "hangup_causes": dict(Counter(r.hangup_cause or "NONE" for r in recs)),
            "seconds": round(self.finished_at - self.started_at, 3),
            "park_to_command_ms": percentiles(r.park_to_command_ms for r in recs
                                              if r.park_to_command_ms is not None),
            "park_to_transfer_ms": percentiles(r.park_to_transfer_ms for r in recs
                                               if r.park_to_transfer_ms is not None),
            "cutoff_lateness_ms": percentiles(r.cutoff_lateness_ms for r in recs
                                              if r.cutoff_lateness_ms is not None),
            "profile": {"calls": self.profile.calls, "rate": self.profile.rate,
                        "concurrency": self.profile.concurrency,
                        "durations": str(self.profile.durations),
                        "reqtype": self.profile.reqtype},
        }

    def lines(self) -> Iterable[str]:
        for record in self.records:
            yield json.dumps({"kind": "call", **asdict(record)}, sort_keys=True)
        yield json.dumps(self.summary(), sort_keys=True)

    def write_jsonl(self, target: str | Path | IO[str]) -> None:
        """One JSON object per call, then the summary."""
        if isinstance(target, (str, Path)):
            with open(target, "w", encoding="utf-8") as out:
                self.write_jsonl(out)
            return
        for line in self.lines():
            target.write(line + "\n")
        target.flush()


class LoadGenerator:
    """Places a profile's calls on an emulator and measures them (blocking; any thread)."""

    def __init__(self, emulator: Emulator, profile: LoadProfile) -> None:
        if profile.calls < 0 or profile.concurrency < 1 or profile.rate < 0:
            raise ValueError("calls >= 0, concurrency >= 1 and rate >= 0 are required")
        if not profile.accounts:
            raise ValueError("at least one account is required")
        self.emulator = emulator
        self.profile = profile
        self.handles: list[tuple[float, CallHandle]] = []
        self.stopping = threading.Event()
        self._baseline = 0

    def stop(self) -> None:
        """Place no more calls (the ones up finish as they would)."""
        self.stopping.set()

    def run(self) -> LoadReport:
        p = self.profile
        rng = random.Random(p.seed)
        fs = self.emulator
        started = fs.now()
        self._baseline = fs.live_calls()  # calls placed by others count against nobody here
        next_arrival = time.monotonic()
        for index in range(p.calls):
            if self.stopping.is_set():
                break
            if p.rate > 0:
                next_arrival += rng.expovariate(p.rate)
                delay = next_arrival - time.monotonic()
                if delay > 0:
                    blocking(self.stopping.wait, delay)
            while (fs.live_calls() - self._baseline >= p.concurrency
                   and not self.stopping.is_set()):
                with contextlib.suppress(AssertionError):  # re-check stopping every second
                    fs.wait_live_calls_below(p.concurrency + self._baseline, timeout=1.0)
            if self.stopping.is_set():
                break
            account = p.accounts[index % len(p.accounts)]
            talk = p.durations.sample(rng)
            handle = fs.place_call(account=account, destination=p.destination,
                                   talk_seconds=talk, reqtype=p.reqtype, context=p.context,
                                   ring_seconds=p.ring_seconds)
            self.handles.append((fs.now(), handle))
        for _, handle in self.handles:
            budget = (handle.talk_seconds or 0.0) + (p.ring_seconds or 0.0) + p.grace_seconds
            try:
                handle.wait_for(partial(_done, handle), timeout=budget, what="the end")
            except AssertionError:
                log.warning("call %s (%s) still up after %.0fs", handle.uuid or handle.a_uuid,
                            handle.account, budget)
        records = [CallRecord.from_handle(i, h, placed, p.allowed_seconds.get(h.account))
                   for i, (placed, h) in enumerate(self.handles)]
        return LoadReport(p, started, fs.now(), records)


def _done(handle: CallHandle) -> bool:
    reply = handle.originate_reply
    return handle.ended or (reply is not None and reply.startswith("-ERR"))
