"""`callmeter console`: Key=Value parsing, command names, one-shot mode against a real server."""

from __future__ import annotations

import argparse
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from agent import console
from agent.console_commands import COMMANDS, UsageError, build_request, parse_value, split_line
from agent.rpc.access import AccessPolicy
from agent.rpc.context import CallContext
from agent.rpc.dispatcher import Dispatcher
from agent.rpc.methods import build_table
from agent.rpc.table import MethodTable

from .transport import tcp_server

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("text", "value"), [
    ('"cgrates.org"', "cgrates.org"), ("cgrates.org", "cgrates.org"), ("10", 10),
    ("0.1", Decimal("0.1")), ("true", True), ('["a", "b"]', ["a", "b"]),
    ('"\\*out"', "*out"), ("'single'", "single"),
    ('{"AllowNegative": true}', {"AllowNegative": True}),
])
def test_values_are_json_or_bare_text(text: str, value: Any) -> None:
    assert parse_value(text) == value


def test_the_seed_hints_map_to_their_methods() -> None:
    cases = {
        'balance_set Tenant="cgrates.org" Account="1003" Direction="\\*out" Value=12 '
        'BalanceID="23456"':
            ("APIerSv1.SetBalance", {"Tenant": "cgrates.org", "Account": "1003",
                                     "Direction": "*out", "Value": 12, "BalanceID": "23456"}),
        'balance_add Tenant="cgrates.org" Account="1003" BalanceId="123456" Value=10':
            ("APIerSv1.AddBalance", {"Tenant": "cgrates.org", "Account": "1003",
                                     "BalanceId": "123456", "Value": 10}),
        'balance_debit Tenant="cgrates.org" Account="1003" BalanceId="23456" Value=5 '
        'BalanceType="\\*monetary"':
            ("APIerSv1.DebitBalance", {"Tenant": "cgrates.org", "Account": "1003",
                                       "BalanceId": "23456", "Value": 5,
                                       "BalanceType": "*monetary"}),
        'debit Tenant="cgrates.org" Account="1001" CallDuration=500':
            ("Responder.Debit", {"Tenant": "cgrates.org", "Account": "1001", "CallDuration": 500}),
    }
    for line, expected in cases.items():
        assert build_request(*split_line(line)) == expected


def test_numbers_typed_for_string_fields_are_sent_as_strings() -> None:
    assert build_request(*split_line("account Tenant=cgrates.org Account=1003")) == (
        "APIerSv2.GetAccount", {"Tenant": "cgrates.org", "Account": "1003"})


def test_bare_value_commands_and_the_generic_call() -> None:
    assert build_request(*split_line("destination Value=DST_1")) == ("APIerSv1.GetDestination",
                                                                     "DST_1")
    assert build_request(*split_line('call APIerSv1.GetActions Value="A"')) == (
        "APIerSv1.GetActions", "A")


@pytest.mark.parametrize("line", ["nosuch X=1", "status Tenant", "call", ""])
def test_bad_command_lines_are_usage_errors(line: str) -> None:
    with pytest.raises(UsageError):
        build_request(*split_line(line))


def test_every_command_names_a_method_of_the_table() -> None:
    table = build_table()
    for name, command in COMMANDS.items():
        assert table.resolve(command.method), name


def _args(port: int, *command: str, **options: Any) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    console.add_arguments(parser)
    argv = [*command, "--server", f"127.0.0.1:{port}", "--timeout", "5"]
    for key, value in options.items():
        argv += [f"--{key}", value]
    return parser.parse_args(argv)


def test_one_shot_prints_the_result_as_json_and_exits_0(
        dispatcher: Dispatcher, capsys: pytest.CaptureFixture[str]) -> None:
    with tcp_server(dispatcher) as port:
        status = console.run(_args(port, "ping"))
    assert status == 0 and capsys.readouterr().out == '"Pong"\n'


def test_one_shot_errors_go_to_stderr_with_exit_1(
        dispatcher: Dispatcher, capsys: pytest.CaptureFixture[str]) -> None:
    with tcp_server(dispatcher) as port:
        status = console.run(_args(port, "account", "Tenant=cgrates.org"))
    assert status == 1
    assert capsys.readouterr().err == "error: MANDATORY_IE_MISSING: [Account]\n"


def test_an_unreachable_server_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.support.net import free_port

    assert console.run(_args(free_port(), "status")) == 2
    assert "cannot reach" in capsys.readouterr().err


def test_the_token_authenticates_the_connection(
        table: MethodTable, ctx: CallContext, capsys: pytest.CaptureFixture[str]) -> None:
    ctx.auth_token = "s3cret"
    with tcp_server(Dispatcher(table, ctx), access=AccessPolicy(auth_token="s3cret")) as port:
        assert console.run(_args(port, "ping", token="s3cret")) == 0
        assert console.run(_args(port, "ping", token="wrong")) == 2


def test_the_command_line_program_runs_one_command_against_a_real_server(
        dispatcher: Dispatcher) -> None:
    with tcp_server(dispatcher) as port:
        staged = subprocess.run(
            [sys.executable, "-m", "agent.console", "--server", f"127.0.0.1:{port}",
             'call APIerSv1.SetTPDestination TPid="TP1" ID="DST_1" Prefixes=["1001","1002"]'],
            capture_output=True, text=True, timeout=30, cwd=ROOT)
        shown = subprocess.run(
            [sys.executable, "-m", "agent.console", "--server", f"127.0.0.1:{port}",
             "call", "APIerSv1.GetTPDestination", "TPid=TP1", "ID=DST_1"],
            capture_output=True, text=True, timeout=30, cwd=ROOT)
        missing = subprocess.run(
            [sys.executable, "-m", "agent.console", "--server", f"127.0.0.1:{port}", "tpids",
             "Nothing=1"], capture_output=True, text=True, timeout=30, cwd=ROOT)
    assert (staged.returncode, staged.stdout) == (0, '"OK"\n'), staged.stderr
    assert shown.returncode == 0
    assert '"Prefixes": [\n    "1001",\n    "1002"\n  ]' in shown.stdout
    assert missing.returncode == 0  # unknown fields are ignored, as Go does


def test_the_repl_reads_commands_until_end_of_input(
        dispatcher: Dispatcher, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    lines = iter(["ping", "account Tenant=x", "quit"])
    monkeypatch.setattr("builtins.input", lambda prompt: next(lines))
    with tcp_server(dispatcher) as port:
        assert console.run(_args(port)) == 1  # the status of the last command
    out = capsys.readouterr()
    assert '"Pong"' in out.out and "MANDATORY_IE_MISSING: [Account]" in out.err
