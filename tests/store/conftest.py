"""One parametrised `store` fixture over every backend, on real files and real servers.

Each test gets its own namespace: a fresh SQLite file, or a fresh key prefix on the
session's Redis servers (standalone, Cluster, Sentinel), which are started once and
stopped at the end of the run.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from rating.store import Store
from rating.store.memory import MemoryStore
from rating.store.redis import RedisStore
from rating.store.sqlite import SqliteStore
from tests.support.redis_server import RedisClusterGroup, RedisSentinelGroup

BACKENDS = ["memory", "sqlite", "redis", "redis-cluster", "redis-sentinel"]
_names = itertools.count()


@dataclass
class Backend:
    """Opens stores that share one namespace; closes them all at the end of the test."""

    name: str
    opener: Callable[..., Store]
    opened: list[Store] = field(default_factory=list)

    def open(self, **options: Any) -> Store:
        store = self.opener(**options)
        self.opened.append(store)
        return store

    def close_all(self) -> None:
        for store in self.opened:
            store.close()


def _memory_opener() -> Callable[..., Store]:
    shared = MemoryStore()
    return lambda **_options: shared


def _sqlite_opener(path: Path) -> Callable[..., Store]:
    return lambda **options: SqliteStore(path, **options)


def _redis_opener(url: str) -> Callable[..., Store]:
    """Stores on url under a prefix of their own; options become url options."""
    prefix = f"t{next(_names)}"

    def opener(**options: Any) -> Store:
        query = "&".join(f"{k}={v}" for k, v in {"prefix": prefix, **options}.items())
        sep = "&" if "?" in url else "?"
        return RedisStore.from_url(f"{url}{sep}{query}")

    return opener


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[RedisClusterGroup]:
    """Three cluster masters on loopback, shared by the whole run."""
    group = RedisClusterGroup(3).start()
    yield group
    group.cleanup()


@pytest.fixture(scope="session")
def redis_sentinel() -> Iterator[RedisSentinelGroup]:
    """A master, a replica and a Sentinel, shared by the whole run (tests that fail over
    make their own group)."""
    group = RedisSentinelGroup().start()
    yield group
    group.cleanup()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    name = request.param
    if name == "memory":
        opener = _memory_opener()
    elif name == "sqlite":
        opener = _sqlite_opener(tmp_path / "store" / "callmeter.db")
    elif name == "redis":
        opener = _redis_opener(request.getfixturevalue("shared_redis_server").url)
    elif name == "redis-cluster":
        opener = _redis_opener(request.getfixturevalue("redis_cluster").url)
    elif name == "redis-sentinel":
        opener = _redis_opener(request.getfixturevalue("redis_sentinel").url)
    else:  # pragma: no cover - the list above is the registry
        raise AssertionError(name)
    backend = Backend(name, opener)
    yield backend
    backend.close_all()


@pytest.fixture
def store(backend: Backend) -> Store:
    return backend.open()
