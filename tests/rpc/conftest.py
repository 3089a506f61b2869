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
from tests.support.redis_server import RedisServer

from .live import TRANSPORTS, Api, LiveDaemon
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


# -- a real `callmeter run` (tests/rpc/live.py), shared by the end-to-end modules ---------

@pytest.fixture(scope="session")
def live_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveDaemon]:
    """`callmeter run` on a SQLite file, tutorial plan loaded."""
    daemon = LiveDaemon(tmp_path_factory.mktemp("live-sqlite")).start()
    yield daemon
    daemon.stop()


@pytest.fixture(scope="session")
def live_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveDaemon]:
    """`callmeter run` on its own redis-server, tutorial plan loaded."""
    server = RedisServer().start()
    try:
        daemon = LiveDaemon(tmp_path_factory.mktemp("live-redis"), server.url).start()
        yield daemon
        daemon.stop()
    finally:
        server.cleanup()


@pytest.fixture(params=TRANSPORTS)
def api(request: pytest.FixtureRequest, live_sqlite: LiveDaemon) -> Iterator[Api]:
    """The SQLite daemon over TCP, then over HTTP."""
    client = live_sqlite.api(request.param)
    yield client
    client.close()


@pytest.fixture(params=[f"{store}-{transport}" for store in ("sqlite", "redis")
                        for transport in TRANSPORTS])
def store_api(request: pytest.FixtureRequest) -> Iterator[Api]:
    """Each store (SQLite, Redis) over each transport (TCP, HTTP)."""
    store, transport = request.param.split("-")
    daemon: LiveDaemon = request.getfixturevalue(f"live_{store}")
    client = daemon.api(transport)
    yield client
    client.close()
