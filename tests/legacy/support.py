"""Helpers of the older-API tests: the test tariff plan, an engine with its action side,
an in-process dispatcher, and the seed documents' examples read from the fixture files."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from agent.rpc import jsonvalue
from agent.rpc.context import CallContext
from agent.rpc.dispatcher import Dispatcher
from agent.rpc.engine_adapter import EngineAdapter
from agent.rpc.methods import build_table
from agent.rpc.wiring import domain_error_types
from rating.engine import Engine
from rating.store.base import Store

HERE = Path(__file__).resolve().parent
TARIFF_PLAN = HERE / "tariffplan"
SEEDS = HERE.parent / "fixtures" / "seeds"
TENANT, SUBJECT = "vdf", "rif"
#: The documents' CallDescriptor, as their Python snippet writes it.
DOC_CD = {"Tor": 0, "CstmId": "vdf", "Subject": "rif", "DestinationPrefix": "0256",
          "TimeStart": "2012-02-02T17:30:00Z", "TimeEnd": "2012-02-02T18:30:00Z"}
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def make_engine(store: Store, clock: Callable[[], datetime] = lambda: NOW) -> Engine:
    return Engine(store, clock=clock, new_id=lambda: str(uuid.uuid4()))


class Rpc:
    """JSON-RPC calls through a real dispatcher, method table and EngineAdapter."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dispatcher = Dispatcher(
            build_table(), CallContext(store=engine.store, engine=EngineAdapter(engine)),
            domain_errors=domain_error_types())

    def __call__(self, method: str, params: Any) -> dict[str, Any]:
        data = jsonvalue.dumps({"id": 1, "method": method, "params": [params]})
        reply = self.dispatcher.handle_bytes(data.encode())
        assert reply is not None
        doc: dict[str, Any] = jsonvalue.loads(reply)
        return doc

    def ok(self, method: str, params: Any) -> Any:
        reply = self(method, params)
        assert reply["error"] is None, (method, params, reply)
        return reply["result"]

    def error(self, method: str, params: Any) -> str:
        reply = self(method, params)
        assert reply["result"] is None and reply["error"], (method, params, reply)
        text: str = reply["error"]
        return text

    def balances(self, account: str = SUBJECT, tenant: str = TENANT,
                 btype: str | None = None) -> dict[str, Decimal]:
        """{balance ID: value} as APIerSv2.GetAccount (the v0.10 API) shows them."""
        acc = self.ok("APIerSv2.GetAccount", {"Tenant": tenant, "Account": account})
        return {b["ID"]: b["Value"] for kind, chain in (acc["BalanceMap"] or {}).items()
                for b in chain if btype in (None, kind)}

    def load_plan(self) -> None:
        """The test tariff plan, its *asap top-ups run (as a scheduler reload does)."""
        self.ok("APIerSv1.LoadTariffPlanFromFolder", {"FolderPath": str(TARIFF_PLAN)})
        self.ok("APIerSv1.ReloadScheduler", {})


def seed_text(prefix: str) -> str:
    """A seed document's text (001_..., 004_...)."""
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path.read_text()


def python_snippet(text: str) -> str:
    """The documents' smallest Python client, as written, with the Python 3 fix applied:
    ``sendall`` gets bytes (``.encode()``) and ``print`` is a function."""
    start = text.index('cd = {"Tor"')
    end = text.index("print s.recv(4096)") + len("print s.recv(4096)")
    snippet = text[start:end]
    for statement in ("s = socket", "s.sendall", "print s.recv"):  # 004 lost its line ends
        snippet = snippet.replace(" " + statement, "\n" + statement)
    snippet = snippet.replace('"params": [cd]})))', '"params": [cd]})).encode())')
    return snippet.replace("print s.recv(4096)", "print(s.recv(4096))")


def curl_urls(text: str) -> list[str]:
    """Every ``curl "URL"`` example of a document, in order."""
    return re.findall(r'curl "([^"]+)"', text)
