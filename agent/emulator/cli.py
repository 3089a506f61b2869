"""`callmeter emulator`: the FreeSWITCH emulator alone, for manual tests and benchmarks.

    callmeter emulator --listen 127.0.0.1:8021 --password ClueCon

runs until SIGTERM or SIGINT, then says goodbye the way FreeSWITCH does on SIGTERM (SHUTDOWN,
calls hung up SYSTEM_SHUTDOWN, "The system is being shut down." to every client) and exits 0.
Any ESL client can drive it: `originate {cgr_account=1001,...}loopback/<ext>/<context> &park()`
(or bgapi originate) makes calls through the built-in dialplan (conf/freeswitch/dialplan).
The first line on stdout is "listening on HOST:PORT" (port 0 picks a free one).

With --load-calls N it also generates load once --load-wait-clients clients are connected
(see loadgen.py) and writes one JSON line per call and a summary to --load-report (stdout by
default); --exit-after-load stops it when the load is done.

The lead's agent/cli.py wires this in: add_emulator_arguments(parser) and run_emulator(args).
`python -m agent.emulator` runs the same without it.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def _listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host.strip("[]"), int(port)


def _allowed(text: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in filter(None, text.split(",")):
        account, sep, seconds = item.partition("=")
        try:
            out[account] = float(seconds)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected ACCOUNT=SECONDS, got {item!r}") from None
        if not sep or not account:
            raise argparse.ArgumentTypeError(f"expected ACCOUNT=SECONDS, got {item!r}")
    return out


def _durations(text: str) -> Any:
    from .loadgen import Durations
    try:
        return Durations.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_emulator_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `callmeter emulator` (and `python -m agent.emulator`)."""
    parser.add_argument("--listen", type=_listen, default=("127.0.0.1", 8021),
                        metavar="HOST:PORT",
                        help="event-socket address (default 127.0.0.1:8021; port 0: any free)")
    parser.add_argument("--password", default="ClueCon", help="ESL password (default ClueCon)")
    parser.add_argument("--dialplan", action="append", type=Path, default=[], metavar="FILE",
                        help="an extra XML dialplan file (contexts it defines replace the "
                             "built-in ones; repeatable)")
    parser.add_argument("--hostname", default="", help="FreeSWITCH-Hostname (default: this host)")
    parser.add_argument("--heartbeat", type=float, default=20.0, metavar="SECONDS",
                        help="HEARTBEAT interval (default 20, as FreeSWITCH)")
    parser.add_argument("--log-level", default="INFO",
                        choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="default INFO")
    load = parser.add_argument_group("load generation (for the agent benchmark)")
    load.add_argument("--load-calls", type=int, default=0, metavar="N",
                      help="place N calls (default 0: no load)")
    load.add_argument("--load-rate", type=float, default=5.0, metavar="PER_SECOND",
                      help="Poisson arrival rate (0: as fast as --load-concurrency allows)")
    load.add_argument("--load-concurrency", type=int, default=50, metavar="N",
                      help="at most N calls up at once (default 50)")
    load.add_argument("--load-durations", type=_durations, default="exp:30", metavar="DIST",
                      help="talk time: fixed:S, uniform:LO:HI, exp:MEAN, lognormal:MU:SIGMA "
                           "(default exp:30)")
    load.add_argument("--load-accounts", default="1001", metavar="A,B,...",
                      help="cgr_account of the calls, used in turn (default 1001)")
    load.add_argument("--load-allowed", type=_allowed, default={}, metavar="ACCOUNT=S,...",
                      help="talk seconds each account is allowed (for cut-off lateness)")
    load.add_argument("--load-reqtype", default="*prepaid", help="cgr_reqtype (default *prepaid)")
    load.add_argument("--load-destination", default="1002", help="the called number")
    load.add_argument("--load-seed", type=int, default=0, help="random seed (default 0)")
    load.add_argument("--load-wait-clients", type=int, default=1, metavar="N",
                      help="start once N ESL clients are connected (default 1: the agent)")
    load.add_argument("--load-report", type=Path, metavar="FILE",
                      help="JSON lines, one per call then a summary (default stdout)")
    load.add_argument("--exit-after-load", action="store_true",
                      help="stop (SIGTERM-style) once the load is done")


def run_emulator(args: argparse.Namespace) -> int:
    """Run until SIGTERM/SIGINT (or the end of the load with --exit-after-load); exit code."""
    from ..logsetup import setup_logging
    from .api import Emulator
    from .loadgen import LoadGenerator, LoadProfile

    if not logging.getLogger().handlers:
        setup_logging(args.log_level)
    host, port = args.listen
    try:
        emulator = Emulator(password=args.password, host=host, port=port,
                            dialplan_files=args.dialplan, hostname=args.hostname,
                            heartbeat_interval=args.heartbeat).start()
    except OSError as exc:
        print(f"callmeter emulator: cannot listen on {host}:{port}: {exc}", file=sys.stderr)
        return 1
    print(f"listening on {emulator.host}:{emulator.port}", flush=True)
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()
    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    generator: LoadGenerator | None = None
    loader: threading.Thread | None = None
    if args.load_calls > 0:
        profile = LoadProfile(
            calls=args.load_calls, rate=args.load_rate, concurrency=args.load_concurrency,
            durations=args.load_durations, accounts=tuple(args.load_accounts.split(",")),
            allowed_seconds=args.load_allowed, destination=args.load_destination,
            reqtype=args.load_reqtype, seed=args.load_seed)
        generator = LoadGenerator(emulator, profile)
        loader = threading.Thread(target=_load, name="emulator-load", daemon=True,
                                  args=(emulator, generator, args, stop))
        loader.start()
    try:
        stop.wait()
    finally:
        if generator is not None:
            generator.stop()
        log.info("stopping: the SIGTERM shutdown sequence")
        emulator.shutdown()
        emulator.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def _load(emulator: Any, generator: Any, args: argparse.Namespace, stop: threading.Event) -> None:
    try:
        if args.load_wait_clients > 0:
            emulator.wait_connections(args.load_wait_clients, timeout=365 * 86400)
        log.info("placing %d calls", args.load_calls)
        report = generator.run()
        if args.load_report is not None:
            report.write_jsonl(args.load_report)
        else:
            report.write_jsonl(sys.stdout)
        log.info("load done: %s", report.summary())
    except Exception:
        log.exception("load generation failed")
    finally:
        if args.exit_after_load:
            stop.set()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m agent.emulator",
        description="The FreeSWITCH 1.11 event-socket emulator (what `callmeter emulator` runs).")
    add_emulator_arguments(parser)
    return run_emulator(parser.parse_args(argv))
