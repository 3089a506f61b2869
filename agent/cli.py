"""The `callmeter` command: run, console, load, demo, emulator.

Heavy imports happen inside each subcommand so `callmeter --help` is instant and gevent
patches the standard library before anything networked is imported.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from . import __version__

if TYPE_CHECKING:
    from .config import Config

EXIT_USAGE = 2  # bad config or arguments

DESCRIPTION = """\
callmeter: live prepaid credit control for FreeSWITCH.

It authorizes every prepaid call before it rings through, debits the account while the
call runs and hangs the call up when the money is gone. Admins and billing scripts manage
accounts, balances and tariffs over a CGRateS v0.10 compatible JSON-RPC API.
"""

RUN_HELP = """\
Run the daemon: store, rating engine, JSON-RPC API (TCP 127.0.0.1:2012, HTTP
127.0.0.1:2080 with /jsonrpc, /healthz, /metrics) and the FreeSWITCH connections listed
under freeswitch.connections. Without --config it reads $CALLMETER_CONFIG, else
/etc/callmeter/callmeter.yaml if present, else built-in defaults (SQLite in
/var/lib/callmeter or ~/.local/state/callmeter). Logs go to stderr. SIGTERM/SIGINT stop
it gracefully, SIGHUP reloads the config file. Exit code 2 means a bad config.
"""


def patch_gevent() -> None:
    """Monkey-patch the standard library for gevent, first and once."""
    from gevent import monkey

    if not monkey.is_module_patched("socket"):
        monkey.patch_all()


def _config(args: argparse.Namespace) -> Config | None:
    """The configuration `args` names, or None after printing why it is unusable."""
    from .config import ConfigError, load_config

    try:
        return load_config(args.config)
    except ConfigError as exc:
        print(f"callmeter: bad configuration: {exc}", file=sys.stderr)
        return None


def cmd_run(args: argparse.Namespace) -> int:
    from .config import config_path
    from .logsetup import setup_logging

    config = _config(args)
    if config is None:
        return EXIT_USAGE
    setup_logging(config.general.log_level)
    from .daemon import Daemon

    path = config_path(args.config)
    return Daemon(config, str(path) if path else None).run()


def cmd_check_config(args: argparse.Namespace) -> int:
    config = _config(args)
    if config is None:
        return EXIT_USAGE
    print(f"{config.source}: OK")
    return 0


def cmd_console(args: argparse.Namespace) -> int:
    from . import console

    return console.run(args)


def cmd_load(args: argparse.Namespace) -> int:
    """Load (or check) a CGRateS CSV tariff-plan folder into the configured store."""
    from rating.store import StoreError, open_store

    from .components import make_engine
    from .config import store_url

    config = _config(args)
    if config is None:
        return EXIT_USAGE
    url, _ = store_url(config)
    try:
        store = open_store(url, sqlite_synchronous=config.store.sqlite_synchronous)
    except StoreError as exc:
        print(f"callmeter load: cannot open the store {url}: {exc}", file=sys.stderr)
        return 1
    try:
        report = make_engine(store, config).load_folder(args.folder, dry_run=args.dry_run)
    except StoreError as exc:
        print(f"callmeter load: store error: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    print(report.format())
    if report.invalid_path:
        return EXIT_USAGE
    return 0 if report.ok else 1


def cmd_cdrs_export(args: argparse.Namespace) -> int:
    from . import cdr_export

    return cdr_export.run(args)


def cmd_demo(args: argparse.Namespace) -> int:
    from . import demo

    return demo.run(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="callmeter", description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Run `callmeter <command> --help` for the options of a command.")
    parser.add_argument("--version", action="version", version=f"callmeter {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="<command>", required=True)

    run = sub.add_parser("run", help="run the daemon (the service systemd starts)",
                         description=RUN_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("-c", "--config", metavar="FILE",
                     help="YAML config file (default: $CALLMETER_CONFIG, then "
                          "/etc/callmeter/callmeter.yaml, then built-in defaults)")
    run.set_defaults(func=cmd_run)

    check = sub.add_parser("check-config", help="validate a config file and exit",
                           description="Parse and validate the config as `run` would; "
                                       "exit 0 if it is good, 2 with the problem otherwise.")
    check.add_argument("-c", "--config", metavar="FILE", help="YAML config file")
    check.set_defaults(func=cmd_check_config)

    from . import console

    con = sub.add_parser(
        "console", help="JSON-RPC client: interactive REPL, or one command and exit",
        description="A cgr-console style client for callmeter's JSON-RPC API. Without a "
                    "command it opens a `callmeter> ` prompt (history, tab completion, `help`); "
                    "with one it runs it and exits non-zero on error. Example: callmeter "
                    "console 'balance_add Tenant=\"cgrates.org\" Account=\"1003\" "
                    "BalanceId=\"123456\" Value=10'",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    console.add_arguments(con)
    con.set_defaults(func=cmd_console)

    load = sub.add_parser(
        "load", help="load a CGRateS CSV tariff-plan folder into the store",
        description="Read a folder of CGRateS v0.10 CSV files (Destinations.csv, Rates.csv, "
                    "...; see conf/tariffplans/tutorial) and write it to the store named by "
                    "the config, all or nothing. Every problem is reported with file, line "
                    "and column. A running callmeter picks the new tariffs up within a second.")
    load.add_argument("folder", help="the tariff-plan folder")
    load.add_argument("--dry-run", action="store_true",
                      help="only check the folder (and its references to the store)")
    load.add_argument("-c", "--config", metavar="FILE",
                      help="YAML config file naming the store (same lookup as `run`)")
    load.set_defaults(func=cmd_load)
    cdrs = sub.add_parser("cdrs", help="CDRs for the billing system",
                          description="Work with the stored call and *cdrlog CDRs.")
    cdrs_sub = cdrs.add_subparsers(dest="cdrs_command", metavar="<action>", required=True)
    from . import cdr_export

    export = cdrs_sub.add_parser(
        "export", help="write CDRs as CSV or JSON lines",
        description="Stream the CDRs of a time window (by order time) from the store named "
                    "by the config, as CSV or JSON lines, to stdout or a file.")
    cdr_export.add_arguments(export)
    export.set_defaults(func=cmd_cdrs_export)

    from . import demo

    dem = sub.add_parser(
        "demo", help="see prepaid enforcement: emulated FreeSWITCH calls against callmeter",
        description="Starts the FreeSWITCH emulator and a callmeter on a throw-away SQLite "
                    "store (or uses a running one with --server), gives a few accounts some "
                    "credit, places calls and shows a live table of calls, balances and "
                    "cut-offs. Takes about half a minute (15 s with --quick).")
    demo.add_arguments(dem)
    dem.set_defaults(func=cmd_demo)
    from .emulator.cli import add_emulator_arguments, run_emulator

    emu = sub.add_parser(
        "emulator", help="run the FreeSWITCH event-socket emulator alone",
        description="A FreeSWITCH 1.11 event socket (inbound ESL) with emulated channels, "
                    "for trying callmeter and any ESL client without a switch. It accepts "
                    "originate from any client, e.g. `api originate {cgr_account=1001,"
                    "cgr_reqtype=*prepaid}loopback/1002/callmeter_prepaid &park()`, and runs "
                    "until SIGTERM or SIGINT.")
    add_emulator_arguments(emu)
    emu.set_defaults(func=run_emulator)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    patch_gevent()  # before the subcommands' modules import socket, ssl or threading
    parser = build_parser()
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
