"""`callmeter console`: a JSON-RPC client like cgr-console.

    callmeter console                       # REPL, prompt "callmeter> ", history, completion
    callmeter console 'balance_add Tenant="cgrates.org" Account="1003" BalanceId="123456" Value=10'
    callmeter console call APIerSv2.GetAccount Tenant=cgrates.org Account=1001

Arguments are ``Key=Value`` with JSON values (``Value=10``, ``Account="1003"``,
``AccountIDs=["1001","1002"]``) or bare text (``Tenant=cgrates.org``). The reply's result
is printed as indented JSON; an error goes to stderr and the exit status is 1 (2 when the
server cannot be reached).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import ssl
import sys
from typing import Any

from agent.config import Address
from agent.console_commands import COMMANDS, UsageError, build_request, field_names, split_line
from agent.rpc import jsonvalue
from agent.rpc.errors import RpcError

PROMPT = "callmeter> "
HISTORY_FILE = "~/.callmeter_history"
HISTORY_LENGTH = 1000


class ApiError(Exception):
    """The server answered with an error; the text is the server's."""


class RpcClient:
    """One TCP connection speaking the Go JSON-RPC codec, one request at a time."""

    def __init__(self, server: str, timeout: float, token: str = "",
                 cafile: str | None = None, tls: bool = False) -> None:
        address = Address.parse(server)
        self.timeout = timeout
        sock = socket.create_connection((address.host, address.port), timeout=timeout)
        if tls or cafile:
            context = ssl.create_default_context(cafile=cafile)
            sock = context.wrap_socket(sock, server_hostname=address.host)
        self.sock = sock
        self.buffer = b""
        self.next_id = 1
        if token:
            self.call("CoreSv1.Auth", {"Token": token})

    def call(self, method: str, params: Any) -> Any:
        """The result of one call; raise ApiError with the server's error text."""
        request_id, self.next_id = self.next_id, self.next_id + 1
        doc = {"method": method, "params": [params], "id": request_id}
        self.sock.sendall(jsonvalue.dumps(doc).encode() + b"\n")
        reply = self._reply()
        if reply.get("id") != request_id:
            raise ApiError(f"reply for id {reply.get('id')!r}, expected {request_id}")
        if reply.get("error"):
            raise ApiError(str(reply["error"]))
        return reply.get("result")

    def _reply(self) -> dict[str, Any]:
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        try:
            reply = jsonvalue.loads(line)
        except RpcError as exc:
            raise ConnectionError(f"unreadable reply: {exc}") from None
        if not isinstance(reply, dict):
            raise ConnectionError("the reply is not a JSON object")
        return reply

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `callmeter console` (the lead's CLI adds them to its subparser)."""
    parser.add_argument("command", nargs="*",
                        help="one command to run, e.g. 'status' (without it: interactive)")
    parser.add_argument("--server", default="127.0.0.1:2012",
                        help="JSON-RPC address, host:port (default 127.0.0.1:2012)")
    parser.add_argument("--timeout", type=float, default=10.0,
                        help="seconds to wait for connecting and for each reply (default 10)")
    parser.add_argument("--token", default="", help="listen.auth_token of the server")
    parser.add_argument("--tls", action="store_true", help="connect with TLS")
    parser.add_argument("--cafile", default=None,
                        help="CA or self-signed certificate to trust (implies --tls)")


def run(args: argparse.Namespace) -> int:
    """Run one command or the REPL; the exit status."""
    try:
        client = RpcClient(args.server, args.timeout, args.token, args.cafile, args.tls)
    except ApiError as exc:
        print(f"callmeter console: authentication failed: {exc}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:
        print(f"callmeter console: cannot reach {args.server}: {exc}", file=sys.stderr)
        return 2
    try:
        if args.command:
            return execute(client, " ".join(args.command))
        return repl(client)
    finally:
        client.close()


def execute(client: RpcClient, line: str) -> int:
    """Run one command line and print its result; the exit status."""
    try:
        command, tokens = split_line(line)
        if command == "help":
            print_help()
            return 0
        method, params = build_request(command, tokens)
        result = client.call(method, params)
    except UsageError as exc:
        print(f"usage: {exc}", file=sys.stderr)
        return 1
    except ApiError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (OSError, ConnectionError) as exc:
        print(f"callmeter console: connection lost: {exc}", file=sys.stderr)
        return 2
    print(jsonvalue.pretty(result))
    return 0


def print_help() -> None:
    width = max(len(name) for name in COMMANDS)
    for name, command in sorted(COMMANDS.items()):
        print(f"  {name:<{width}}  {command.method:<36} {command.help}")
    print(f"  {'call':<{width}}  <Service.Method> Key=Value...       any API method")


def repl(client: RpcClient) -> int:
    """The interactive loop; returns 0 at end of input or `quit`."""
    history = _setup_readline()
    status = 0
    try:
        while True:
            try:
                line = input(PROMPT).strip()
            except EOFError:
                print()
                return status
            except KeyboardInterrupt:
                print()
                continue
            if line in ("quit", "exit"):
                return status
            if line:
                status = execute(client, line)
                if status == 2:
                    return status
    finally:
        history()


def _setup_readline() -> Any:
    """History in ~/.callmeter_history and completion of command and argument names."""
    try:
        import readline
    except ImportError:  # not every Python has it; the REPL works without
        return lambda: None
    path = os.path.expanduser(HISTORY_FILE)
    with contextlib.suppress(OSError):
        readline.read_history_file(path)
    readline.set_history_length(HISTORY_LENGTH)
    readline.set_completer(_completer(readline))
    readline.set_completer_delims(" \t")
    readline.parse_and_bind("tab: complete")

    def save() -> None:
        with contextlib.suppress(OSError):
            readline.write_history_file(path)

    return save


def _completer(readline: Any) -> Any:
    def complete(text: str, state: int) -> str | None:
        words = readline.get_line_buffer().split()
        if len(words) == 0 or (len(words) == 1 and not readline.get_line_buffer().endswith(" ")):
            options = [n + " " for n in [*COMMANDS, "call", "help", "quit"] if n.startswith(text)]
        else:
            options = [f"{n}=" for n in field_names(words[0]) if n.startswith(text)]
        return options[state] if state < len(options) else None

    return complete


def main(argv: list[str] | None = None) -> int:
    """Run the console on its own (`python -m agent.console`)."""
    parser = argparse.ArgumentParser(prog="callmeter console", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
