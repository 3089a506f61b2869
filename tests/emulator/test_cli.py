"""`callmeter emulator` / `python -m agent.emulator`: its own process, a clean SIGTERM stop,
originate from any client, and the load generator writing its report."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from agent.emulator.cli import add_emulator_arguments
from agent.emulator.process import EmulatorProcess

from .esl import Esl


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_emulator_arguments(parser)
    return parser.parse_args(list(argv))


def test_arguments() -> None:
    args = parse("--listen", "0.0.0.0:8022", "--password", "x", "--load-allowed", "a=12,b=3.5")
    assert args.listen == ("0.0.0.0", 8022) and args.password == "x"
    assert args.load_allowed == {"a": 12.0, "b": 3.5}
    assert str(parse().load_durations) == "exp:30"
    for bad in (["--listen", "8021"], ["--load-durations", "normal:3"],
                ["--load-allowed", "a"]):
        with pytest.raises(SystemExit):
            parse(*bad)


def test_runs_in_its_own_process_until_sigterm() -> None:
    with EmulatorProcess(password="secret", args=["--hostname", "emu"]) as fs:
        client = Esl(fs.port, password="secret")
        client.command("event plain CHANNEL_PARK")
        uuid = "12345678-1234-4234-8234-123456789012"
        # bgapi: a prepaid call parks unanswered, so a plain "api originate" would wait for it.
        reply = client.command(f"bgapi originate {{origination_uuid={uuid},cgr_account=1001,"
                               "cgr_reqtype=*prepaid}loopback/1002/callmeter_prepaid &park()")
        assert reply.reply_text.startswith("+OK Job-UUID: ")
        parked = client.wait_event("CHANNEL_PARK")  # the -b leg, in callmeter_prepaid
        assert parked.get("FreeSWITCH-Hostname") == "emu"
        assert parked.get("variable_cgr_account") == "1001"
        assert fs.stop() == 0
        assert client.wait_eof()
        assert client.messages[-1].text() == "The system is being shut down.\n"


def test_load_generation_writes_a_report(tmp_path: Path) -> None:
    report = tmp_path / "load.jsonl"
    args = ["--load-calls", "3", "--load-rate", "0", "--load-durations", "fixed:0.1",
            "--load-reqtype", "*postpaid", "--load-report", str(report), "--exit-after-load"]
    with EmulatorProcess(args=args) as fs:
        client = Esl(fs.port)  # the client the load waits for (an agent, in a benchmark)
        assert client.wait_eof(timeout=20)  # it stops by itself once the load is done
        assert fs.stop() == 0
    lines = [json.loads(line) for line in report.read_text().splitlines()]
    assert [line["kind"] for line in lines] == ["call"] * 3 + ["summary"]
    assert lines[-1]["hangup_causes"] == {"NORMAL_CLEARING": 3}
