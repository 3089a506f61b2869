"""Helpers of the JSON-RPC tests: calling a dispatcher, a recording engine, store snapshots."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from agent.rpc import jsonvalue
from agent.rpc.dispatcher import Dispatcher
from rating.store.memory import MemoryStore


def call(
    dispatcher: Dispatcher, method: str, params: Any, id: Any = 1, v2: bool = False
) -> dict[str, Any]:
    """Send one request through the full text pipeline and decode the reply."""
    doc: dict[str, Any] = {"method": method, "params": params, "id": id}
    if v2:
        doc["jsonrpc"] = "2.0"
    reply = dispatcher.handle_bytes(jsonvalue.dumps(doc).encode())
    assert reply is not None and reply.endswith(b"\n")
    decoded: dict[str, Any] = jsonvalue.loads(reply)
    return decoded


def snapshot(store: MemoryStore) -> str:
    """Everything the store holds, as text, to prove a rejected request changed nothing."""
    parts = {"docs": store._docs, "accounts": store._accounts, "cdrs": list(store._cdrs.values())}
    return json.dumps(parts, sort_keys=True, default=str)


class RecordingEngine:
    """Records each engine call (name, args, kwargs) and answers a canned result.

    Only for checking what the API layer hands to the engine; the real engine's behaviour
    is tested in rating/ and end to end once it is wired in.
    """

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self.results: dict[str, Any] = {}
        self.raises: dict[str, Exception] = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)

        def record(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, args, kwargs))
            if name in self.raises:
                raise self.raises[name]
            return self.results.get(name, {"called": name, "Cost": Decimal("0.1")})

        return record

    @property
    def last(self) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
        return self.calls[-1]
