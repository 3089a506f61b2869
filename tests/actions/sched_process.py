"""A process running callmeter's scheduler component alone on a store, for the tests that
need several real processes (``python -m tests.actions.sched_process STORE_URL ...``).

It wires what ``callmeter run`` wires for the scheduler (Engine, Supervisor,
SchedulerComponent with the scheduler config) and nothing else, prints ``ready`` and runs
until SIGTERM. ``--account-delay`` slows every run on an account down, so a test can kill
the process in the middle of one.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402 - gevent patches the standard library first
import dataclasses  # noqa: E402
import logging  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import uuid  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from types import SimpleNamespace  # noqa: E402
from typing import Any  # noqa: E402

import gevent  # noqa: E402
from gevent.event import Event  # noqa: E402

from agent.config import Config, Duration, SchedulerConfig  # noqa: E402
from agent.scheduler import SchedulerComponent  # noqa: E402
from agent.supervisor import Supervisor  # noqa: E402
from rating.engine import Engine  # noqa: E402
from rating.store import open_store  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("store_url")
    parser.add_argument("--node", default="node")
    parser.add_argument("--lease", default="30s")
    parser.add_argument("--poll", default="100ms")
    parser.add_argument("--catch-up", default="once")
    parser.add_argument("--account-delay", type=float, default=0.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format=f"%(asctime)s {args.node} %(name)s %(message)s")
    store = open_store(args.store_url)
    engine = Engine(store, clock=lambda: datetime.now(UTC), new_id=lambda: str(uuid.uuid4()))
    if args.account_delay:
        real = engine.run_actions

        def slow(*a: Any, **kw: Any) -> Any:
            gevent.sleep(args.account_delay)
            return real(*a, **kw)

        engine.run_actions = slow  # type: ignore[method-assign]
    config = dataclasses.replace(Config(), scheduler=SchedulerConfig(
        catch_up=args.catch_up, poll_interval=Duration.parse(args.poll),
        lease=Duration.parse(args.lease)))
    daemon = SimpleNamespace(config=config, supervisor=Supervisor(), node_id=args.node)
    component = SchedulerComponent(daemon, engine)  # type: ignore[arg-type]
    stop = Event()
    gevent.signal_handler(signal.SIGTERM, stop.set)
    component.start()
    print("ready", flush=True)
    stop.wait()
    component.stop(5.0)
    daemon.supervisor.stop(5.0)
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
