"""Run the FreeSWITCH agent on its own: store, engine and agent, no API listeners.

    python -m agent.freeswitch.standalone -c callmeter.yaml [--load TARIFF_DIR]

For the agent's process-level tests (kill -9, two processes on one Redis) and its
benchmark; production runs the same agent inside `callmeter run`. SIGTERM or SIGINT stop
it the way the daemon would (sessions persisted, calls left up unless
sessions.hangup_on_shutdown).
"""

from __future__ import annotations

from gevent import monkey

if not monkey.is_module_patched("socket"):
    monkey.patch_all()

import argparse
import logging
import signal
import socket
import sys
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import gevent
from gevent.event import Event

from agent.config import ConfigError, load_config, store_url
from agent.logsetup import setup_logging
from agent.supervisor import Supervisor
from rating.engine import Engine
from rating.store import open_store

from .agent import FreeSwitchAgent

log = logging.getLogger(__name__)


def build_engine(config_url: str, synchronous: str, decimals: int, tenant: str,
                 category: str) -> Engine:
    """The engine on the configured store (SQLite commits run off the event loop)."""
    store = open_store(config_url, sqlite_synchronous=synchronous,
                       run_blocking=gevent.get_hub().threadpool.apply)
    return Engine(store, clock=lambda: datetime.now(UTC), new_id=lambda: uuid.uuid4().hex,
                  rounding_decimals=decimals, default_tenant=tenant, default_category=category)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("--load", help="a tariff-plan folder to load first")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"callmeter: {exc}", file=sys.stderr)
        return 2
    setup_logging(config.general.log_level)
    general = config.general
    engine = build_engine(store_url(config)[0], config.store.sqlite_synchronous,
                          general.rounding_decimals, general.default_tenant,
                          general.default_category)
    if args.load:
        report = engine.load_folder(args.load)
        if not report.ok:
            print(report.format(), file=sys.stderr)
            return 1
    supervisor = Supervisor()
    agent = FreeSwitchAgent(config, engine, supervisor, general.node_id or socket.gethostname())
    stop = Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        gevent.signal_handler(signum, stop.set)
    agent.start()
    log.info("FreeSWITCH agent running (pid-level standalone mode)")
    stop.wait()
    agent.stop(general.shutdown_timeout.seconds)
    supervisor.stop(timeout=1.0)
    engine.store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
