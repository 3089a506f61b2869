"""How much load the FreeSWITCH emulator itself carries (issue 6), so the agent benchmark
knows the emulator is not its bottleneck. Prints one JSON object per measurement.

    /work/venv/bin/python bench/emulator.py            # about a minute
    /work/venv/bin/python bench/emulator.py --quick    # smoke run

- calls_unobserved / calls: postpaid calls (no agent involved: the callee answers at once)
  through the load generator, without and with one ESL client subscribed to
  "event plain ALL" reading everything: calls completed per second and events delivered per
  second to that client.
- prepaid_floor: prepaid calls authorized by a minimal blocking stand-in agent (one
  connection reading CHANNEL_PARK, one sending uuid_setvar x2 + uuid_transfer): the park to
  uuid_transfer latency the load generator measures when the agent costs almost nothing.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.emulator import Emulator
from agent.emulator.loadgen import Durations, LoadGenerator, LoadProfile
from agent.freeswitch import wire


class Reader:
    """An ESL connection that counts (and optionally hands over) the events it receives."""

    def __init__(self, port: int, subscribe: str, keep: bool = False) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.parser = wire.MessageParser()
        self.events = 0
        self.kept: list[wire.Event] = []
        self.cond = threading.Condition()
        self.keep = keep
        self._send(b"auth ClueCon\n\n")
        self._send(f"event plain {subscribe}\n\n".encode())
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _run(self) -> None:
        self.sock.settimeout(None)
        try:
            while data := self.sock.recv(1 << 16):
                for message in self.parser.feed(data):
                    if message.is_event:
                        with self.cond:
                            self.events += 1
                            if self.keep:
                                self.kept.append(wire.parse_event(message))
                            self.cond.notify_all()
        except OSError:
            pass

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


class Api:
    """A blocking "api" connection: one command at a time, each waiting for its reply."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.parser = wire.MessageParser()
        self.pending: list[wire.Message] = []
        self._next()  # auth/request
        self.call("auth ClueCon")

    def _next(self) -> wire.Message:
        while not self.pending:
            self.pending += self.parser.feed(self.sock.recv(1 << 16))
        return self.pending.pop(0)

    def call(self, line: str) -> wire.Message:
        self.sock.sendall(f"{line}\n\n".encode())
        return self._next()


def stand_in_agent(port: int, stop: threading.Event) -> None:
    parks = Reader(port, "CHANNEL_PARK", keep=True)
    api = Api(port)
    done = 0
    while not stop.is_set():
        with parks.cond:
            parks.cond.wait_for(lambda n=done: len(parks.kept) > n or stop.is_set(), timeout=1)
            todo = parks.kept[done:]
        done += len(todo)
        for event in todo:
            uuid = event.unique_id
            if event.get("Call-Direction") != "inbound" or not uuid:
                continue
            api.call(f"api uuid_setvar {uuid} cgr_notify AUTH_OK")
            api.call(f"api uuid_setvar {uuid} execute_on_answer sched_hangup +60 ALLOTTED_TIMEOUT")
            api.call(f"api uuid_transfer {uuid} 1002 XML callmeter_prepaid")
    parks.close()


def bench_calls(calls: int, concurrency: int, subscriber: bool) -> dict[str, object]:
    with Emulator(heartbeat_interval=20.0) as fs:
        reader = Reader(fs.port, "ALL") if subscriber else None
        profile = LoadProfile(calls=calls, rate=0, concurrency=concurrency,
                              durations=Durations("fixed", 1.0), reqtype="*postpaid")
        started = time.monotonic()
        report = LoadGenerator(fs, profile).run()
        seconds = time.monotonic() - started
        if reader is not None:
            reader.close()
    completed = report.summary()["completed"]
    out: dict[str, object] = {
        "bench": "emulator.calls" if subscriber else "emulator.calls_unobserved",
        "calls": calls, "concurrency": concurrency, "completed": completed,
        "seconds": round(seconds, 2), "calls_per_second": round(completed / seconds, 1)}
    if reader is not None:
        out["events_delivered"] = reader.events
        out["events_per_second"] = round(reader.events / seconds, 1)
    return out


def bench_prepaid_floor(calls: int, concurrency: int, rate: float) -> dict[str, object]:
    with Emulator() as fs:
        stop = threading.Event()
        agent = threading.Thread(target=stand_in_agent, args=(fs.port, stop), daemon=True)
        agent.start()
        fs.wait_connections(2)
        profile = LoadProfile(calls=calls, rate=rate, concurrency=concurrency,
                              durations=Durations("fixed", 0.5))
        report = LoadGenerator(fs, profile).run()
        stop.set()
        agent.join(5)
    summary = report.summary()
    return {"bench": "emulator.prepaid_floor", "calls": calls, "rate": rate,
            "concurrency": concurrency, "answered": summary["answered"],
            "park_to_transfer_ms": summary["park_to_transfer_ms"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    quick = parser.parse_args().quick
    for subscriber in (False, True):
        print(json.dumps(bench_calls(200 if quick else 2000, 100 if quick else 500, subscriber)),
              flush=True)
    for rate in (20.0, 50.0):
        print(json.dumps(bench_prepaid_floor(50 if quick else 500, 50 if quick else 200, rate)),
              flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
