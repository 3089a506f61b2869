"""`callmeter cdrs export`: windows, filters and both formats, from a real SQLite store."""

from __future__ import annotations

import argparse
import csv
import itertools
import json
from decimal import Decimal
from pathlib import Path

import pytest

from agent.cdr_export import add_arguments, parse_when, run
from rating.cdrs import call_cdr
from rating.store.sqlite import SqliteStore
from rating.timeutil import SECOND

T0 = 1_772_323_200 * SECOND  # 2026-03-01T00:00:00Z


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    path = tmp_path / "callmeter.db"
    store = SqliteStore(path)
    cdrs = [call_cdr(origin_id=f"c{n}", origin_host="fs1", order_time=T0 + n * 3600 * SECOND,
                     tenant="cgrates.org", account=account, destination="1002",
                     setup_time=T0 + n * 3600 * SECOND, answer_time=T0 + n * 3600 * SECOND,
                     usage=60 * SECOND, request_type="*prepaid", cost=Decimal("0.6"),
                     cost_details={"Cost": Decimal("0.6")}, extra_fields={"leg": "a,b"})
            for n, account in enumerate(["1001", "1002", "1001", "1003"])]
    store.append_cdrs([c.to_doc() for c in cdrs])
    store.close()
    return f"sqlite:///{path}"


def export(store_url: str, out: Path, *argv: str) -> int:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return run(parser.parse_args(["--store", store_url, "-o", str(out), *argv]))


def test_jsonl_export_of_a_window_keeps_the_cgrates_cdr_shape(store_url: str,
                                                              tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    assert export(store_url, out, "--since", "2026-03-01 01:00:00",
                  "--until", "2026-03-01T03:00:00Z") == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["OriginID"] for r in rows] == ["c1", "c2"]
    assert rows[0]["Usage"] == 60 * SECOND and rows[0]["Cost"] == 0.6
    assert rows[0]["CostDetails"] == {"Cost": 0.6}


def test_consecutive_windows_neither_repeat_nor_skip(store_url: str, tmp_path: Path) -> None:
    seen = []
    bounds = ["2026-03-01", "2026-03-01 02:00:00", "2026-03-02"]
    for start, end in itertools.pairwise(bounds):
        out = tmp_path / f"{len(seen)}.jsonl"
        assert export(store_url, out, "--since", start, "--until", end) == 0
        seen += [json.loads(line)["OriginID"] for line in out.read_text().splitlines()]
    assert seen == ["c0", "c1", "c2", "c3"]


def test_csv_export_with_account_filter(store_url: str, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    assert export(store_url, out, "--format", "csv", "--tenant", "cgrates.org",
                  "--account", "1001") == 0
    rows = list(csv.DictReader(out.open()))
    assert [r["OriginID"] for r in rows] == ["c0", "c2"]
    assert rows[0]["Cost"] == "0.6" and rows[0]["Usage"] == str(60 * SECOND)
    assert json.loads(rows[0]["ExtraFields"]) == {"leg": "a,b"}
    assert rows[0]["AnswerTime"] == "2026-03-01T00:00:00Z"


@pytest.mark.parametrize("argv", [["--since", "yesterday"], ["--since", "2026-03-02",
                                                             "--until", "2026-03-01"]])
def test_bad_windows_are_usage_errors(store_url: str, tmp_path: Path, argv: list[str]) -> None:
    assert export(store_url, tmp_path / "x", *argv) == 2


def test_unopenable_store_is_a_failure(tmp_path: Path) -> None:
    assert export("redis://127.0.0.1:1/0?socket_timeout=0.2", tmp_path / "x") == 1


def test_relative_since() -> None:
    assert parse_when("-1h", 10 * 3600 * SECOND) == 9 * 3600 * SECOND
