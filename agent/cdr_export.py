"""`callmeter cdrs export`: CDRs from the store to CSV or JSON lines, for billing systems.

    callmeter cdrs export --since 2026-03-01 --until 2026-04-01 --format csv -o march.csv
    callmeter cdrs export --since -24h --account 1001 --format jsonl

CDRs come out in the order they were made (their OrderTime); ``--since`` is inclusive and
``--until`` exclusive, so consecutive windows never repeat or skip a CDR. Times are RFC3339,
``YYYY-MM-DD[ HH:MM:SS]`` (UTC), unix seconds, or ``-<duration>`` (that long ago). JSON
lines hold the CDR as CGRateS marshals it (Usage in ns, CostDetails the EventCost); CSV has
one column per field, Usage in nanoseconds, ExtraFields and CostDetails as JSON text. The
store is read page by page, so an export of any size runs in bounded memory; it can run
while callmeter runs.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from rating.cdr_query import CdrFilter, scan
from rating.cdrs import Cdr, json_text
from rating.timeutil import TimeFormatError, parse_api_time, parse_go_duration

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
CSV_FIELDS = ("CGRID", "RunID", "OrderID", "OriginHost", "Source", "OriginID", "ToR",
              "RequestType", "Tenant", "Category", "Account", "Subject", "Destination",
              "SetupTime", "AnswerTime", "Usage", "Cost", "CostSource", "ExtraInfo", "PreRated",
              "Partial", "ExtraFields", "CostDetails")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `callmeter cdrs export`."""
    parser.add_argument("-c", "--config", metavar="FILE",
                        help="callmeter config file (its store.url is read)")
    parser.add_argument("--store", metavar="URL", help="store URL (overrides the config)")
    parser.add_argument("--since", metavar="TIME", help="first CDR made at or after TIME")
    parser.add_argument("--until", metavar="TIME", help="CDRs made before TIME")
    parser.add_argument("--format", choices=("csv", "jsonl"), default="jsonl")
    parser.add_argument("-o", "--output", metavar="FILE", help="write here (default stdout)")
    parser.add_argument("--tenant", action="append", default=[], help="only this tenant")
    parser.add_argument("--account", action="append", default=[], help="only this account")
    parser.add_argument("--run-id", action="append", default=[], help="only this RunID")


def parse_when(text: str, now_ns: int) -> int:
    """An export bound: API times, ``YYYY-MM-DD`` or ``-<duration>`` ago (ValueError)."""
    text = text.strip()
    try:
        if text.startswith("-"):
            return now_ns - parse_go_duration(text[1:])
        if len(text) == 10 and text[4] == "-" and text[7] == "-":
            text += " 00:00:00"
        ns = parse_api_time(text, now_ns)[0]
    except TimeFormatError as exc:
        raise ValueError(f"{text!r} is not a time: {exc}") from None
    if ns is None:
        raise ValueError(f"{text!r} is not a time")
    return ns


def export_filter(args: argparse.Namespace, now_ns: int) -> CdrFilter:
    """The CDR filter the options describe."""
    f = CdrFilter()
    since = parse_when(args.since, now_ns) if args.since else None
    until = parse_when(args.until, now_ns) if args.until else None
    if since is not None and until is not None and until <= since:
        raise ValueError("--until must be after --since")
    if since is not None or until is not None:
        f.ranges["OrderTime"] = (since, until)
    for option, field in (("tenant", "Tenant"), ("account", "Account"), ("run_id", "RunID")):
        values = getattr(args, option)
        if values:
            f.include[field] = frozenset(values)
    return f


def csv_row(cdr: Cdr) -> dict[str, Any]:
    """One CSV row (times RFC3339, money exact, maps as JSON text)."""
    row = cdr.to_json()
    row["Usage"] = cdr.Usage
    row["Cost"] = json_text(cdr.Cost)
    row["ExtraFields"] = json_text(cdr.ExtraFields)
    row["CostDetails"] = "" if cdr.CostDetails is None else json_text(cdr.CostDetails)
    row["PreRated"] = str(cdr.PreRated).lower()
    row["Partial"] = str(cdr.Partial).lower()
    return {k: row[k] for k in CSV_FIELDS}


def write(cdrs: Iterator[Cdr], fmt: str, out: IO[str]) -> int:
    """Write every CDR; how many were written."""
    count = 0
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
        writer.writeheader()
        for cdr in cdrs:
            writer.writerow(csv_row(cdr))
            count += 1
        return count
    for cdr in cdrs:
        out.write(json_text(cdr.to_json()) + "\n")
        count += 1
    return count


@contextmanager
def _output(path: str | None) -> Iterator[IO[str]]:
    if path is None:
        yield sys.stdout
        return
    with open(path, "w", encoding="utf-8", newline="") as handle:
        yield handle


def run(args: argparse.Namespace) -> int:
    """`callmeter cdrs export`: 0 when written, 2 for bad options, 1 if the store failed."""
    from agent.config import ConfigError, load_config, store_url
    from rating.store import StoreError, open_store

    now = time.time_ns()
    try:
        cdr_filter = export_filter(args, now)
        url = args.store or store_url(load_config(args.config))[0]
    except (ValueError, ConfigError) as exc:
        print(f"callmeter cdrs export: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        store = open_store(url)
    except (StoreError, OSError) as exc:
        print(f"callmeter cdrs export: cannot open the store {url}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    try:
        with _output(args.output) as out:
            count = write(scan(store, cdr_filter), args.format, out)
    except (StoreError, OSError) as exc:
        print(f"callmeter cdrs export: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        store.close()
    print(f"{count} CDR(s) exported", file=sys.stderr)
    return EXIT_OK

