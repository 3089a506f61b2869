"""Fixtures of the JSON-RPC tests. The servers run under gevent, so sockets are patched
before anything else opens one (a no-op when the suite is already patched)."""

from __future__ import annotations

from gevent import monkey

if not monkey.is_module_patched("socket"):
    monkey.patch_all()

from collections.abc import Iterator
from typing import Any

import pytest

from agent.rpc.context import CallContext
from agent.rpc.dispatcher import Dispatcher
from agent.rpc.methods import build_table
from agent.rpc.table import MethodTable
from rating.store.memory import MemoryStore

from .support import RecordingEngine, call


@pytest.fixture(scope="session")
def table() -> MethodTable:
    return build_table()


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def ctx(store: MemoryStore) -> CallContext:
    return CallContext(store=store)


@pytest.fixture
def dispatcher(table: MethodTable, ctx: CallContext) -> Dispatcher:
    return Dispatcher(table, ctx)


@pytest.fixture
def engine(ctx: CallContext) -> Iterator[RecordingEngine]:
    recording = RecordingEngine()
    ctx.engine = recording
    yield recording
    ctx.engine = None


@pytest.fixture
def rpc(dispatcher: Dispatcher) -> Any:
    """rpc(method, params) -> the reply document, through the whole text pipeline."""
    return lambda method, params, **kw: call(dispatcher, method, params, **kw)
