"""A real `callmeter run` (subprocess, SQLite or Redis store) for end-to-end API tests.

``LiveDaemon`` starts the daemon, loads the tutorial tariff plan through the API and hands
out ``Api`` clients bound to one transport (TCP or HTTP), so each test runs the same calls
over both. Tests arrange balances through a store handle of their own on the daemon's
store (``seed_account``), the way a second callmeter host sharing the store would.
"""

from __future__ import annotations

import json
import socket
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

from agent.rpc import jsonvalue
from rating.accounts import Account
from rating.balances import Balance
from rating.store import Commit, Store, open_store
from rating.store.base import CdrQuery
from rating.tariffdocs import ALL_KINDS, META
from tests.support.daemon import ROOT, CallmeterProcess

from .transport import LineClient, post_json

TUTORIAL = ROOT / "conf" / "tariffplans" / "tutorial"
TRANSPORTS = ("tcp", "http")
TENANT = "cgrates.org"


class LiveDaemon:
    """One `callmeter run` with the tutorial plan loaded; stop() ends it."""

    def __init__(self, workdir: Path, store_url: str | None = None) -> None:
        overrides = {"store": {"url": store_url}} if store_url else {}
        overrides["general"] = {"log_level": "INFO"}
        self.proc = CallmeterProcess(workdir, overrides)
        self.store_url = store_url or f"sqlite:///{workdir / 'callmeter.db'}"
        self._store: Store | None = None

    def start(self) -> LiveDaemon:
        self.proc.start()
        self.api("tcp").ok("APIerSv1.LoadTariffPlanFromFolder", {"FolderPath": str(TUTORIAL)})
        return self

    def stop(self) -> None:
        if self._store is not None:
            self._store.close()
        self.proc.stop()

    def api(self, transport: str) -> Api:
        return Api(self, transport)

    @property
    def store(self) -> Store:
        """The test's own handle on the daemon's store."""
        if self._store is None:
            self._store = open_store(self.store_url)
        return self._store


class Api:
    """JSON-RPC calls to a LiveDaemon over one transport."""

    def __init__(self, daemon: LiveDaemon, transport: str) -> None:
        assert transport in TRANSPORTS
        self.daemon = daemon
        self.transport = transport
        self._client: LineClient | None = None
        self._next_id = 0

    def __call__(self, method: str, params: Any, wrap: bool = True) -> dict[str, Any]:
        """The reply document of one request (params wrapped in [] unless wrap=False)."""
        self._next_id += 1
        doc = {"method": method, "params": [params] if wrap else params, "id": self._next_id}
        if self.transport == "http":
            status, reply = post_json(f"{self.daemon.proc.base_url}/jsonrpc", doc)
            assert status == 200, (status, reply)
        else:
            if self._client is None:
                self._client = LineClient(self.daemon.proc.rpc_port, timeout=10)
            self._client.send(doc)
            reply = self._client.reply()
        assert reply["id"] == self._next_id, reply
        result: dict[str, Any] = reply
        return result

    def ok(self, method: str, params: Any, wrap: bool = True) -> Any:
        reply = self(method, params, wrap)
        assert reply["error"] is None, (method, params, reply)
        return reply["result"]

    def error(self, method: str, params: Any, wrap: bool = True) -> str:
        reply = self(method, params, wrap)
        assert reply["result"] is None and reply["error"], (method, params, reply)
        text: str = reply["error"]
        return text

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def unique(prefix: str) -> str:
    """An account or object name no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def seed_account(store: Store, account: str, balances: list[tuple[str, str, str]] = (),
                 allow_negative: bool = False, disabled: bool = False,
                 tenant: str = TENANT) -> str:
    """Create (or replace) an account with balances [(type, ID, value)]; its name."""
    key = f"{tenant}:{account}"
    acc = Account(key, AllowNegative=allow_negative, Disabled=disabled)
    for btype, bid, value in balances:
        acc.BalanceMap.setdefault(btype, []).append(
            Balance(str(uuid.uuid4()), bid, Decimal(value)))
    store.transact(key, lambda doc: Commit(acc.to_doc(), "OK"))
    return account


def add_balance(store: Store, account: str, btype: str, bid: str, value: str,
                tenant: str = TENANT) -> None:
    """Add a balance to an existing account, keeping everything else it holds."""
    key = f"{tenant}:{account}"

    def txn(doc: Any) -> Commit:
        acc = Account.from_doc(doc)
        if not any(bid == b.ID for b in acc.BalanceMap.get(btype, [])):
            acc.BalanceMap.setdefault(btype, []).append(
                Balance(str(uuid.uuid4()), bid, Decimal(value)))
        return Commit(acc.to_doc(), "OK")

    store.transact(key, txn)


def balance_values(store: Store, account: str, tenant: str = TENANT) -> dict[str, Decimal]:
    """{balance ID: value} of an account as stored."""
    doc = store.get_account(f"{tenant}:{account}")
    assert doc is not None
    return {b["ID"]: Decimal(b["Value"]) for chain in (doc.get("BalanceMap") or {}).values()
            for b in chain}


def snapshot(store: Store) -> str:
    """Everything the store holds that the API can change, as text."""
    docs: dict[str, Any] = {}
    kinds = [*ALL_KINDS, META, "action_tasks", "tpindex"]
    kinds += [f"tp:{entry.rsplit(':', 1)[0]}:{entry.rsplit(':', 1)[1]}"
              for entry in store.list_ids("tpindex")]
    for kind in kinds:
        docs[kind] = store.get_many(kind, store.list_ids(kind))
    accounts = {key: store.get_account(key) for key in store.list_accounts()}
    cdrs, _ = store.query_cdrs(CdrQuery(limit=10_000))
    return json.dumps({"docs": docs, "accounts": accounts, "cdrs": cdrs}, sort_keys=True,
                      default=str)


def raw_exchange(port: int, data: bytes, replies: int, timeout: float = 10) -> list[dict[str, Any]]:
    """Send bytes on a fresh TCP connection and read `replies` reply lines."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        buffer = b""
        out = []
        while len(out) < replies:
            while b"\n" not in buffer:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError(f"closed after {len(out)} replies")
                buffer += chunk
            line, buffer = buffer.split(b"\n", 1)
            out.append(jsonvalue.loads(line))
        return out
