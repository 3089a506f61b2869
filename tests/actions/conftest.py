"""Fixtures of the actions tests: stores on every local backend, a settable clock."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from rating.store import Store
from rating.store.memory import MemoryStore
from rating.store.redis import RedisStore
from rating.store.sqlite import SqliteStore

_prefixes = itertools.count()


@pytest.fixture(params=["memory", "sqlite", "redis"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The same test on the reference store, a real SQLite file and a real redis-server."""
    if request.param == "memory":
        store: Store = MemoryStore()
    elif request.param == "sqlite":
        store = SqliteStore(tmp_path / "callmeter.db")
    else:
        url = request.getfixturevalue("shared_redis_server").url
        store = RedisStore.from_url(f"{url}?prefix=act{next(_prefixes)}")
    yield store
    store.close()


class FakeClock:
    """A clock tests move by hand; the engine reads it through `now()`."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current

    def set(self, when: datetime) -> None:
        self.current = when


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 10, 12, 0, 0, tzinfo=UTC))
