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
from rating.store.sqlite import SqliteStore

BACKENDS = ["memory", "sqlite"]
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


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    name = request.param
    if name == "memory":
        opener = _memory_opener()
    elif name == "sqlite":
        opener = _sqlite_opener(tmp_path / "store" / "callmeter.db")
    else:  # pragma: no cover - the list above is the registry
        raise AssertionError(name)
    backend = Backend(name, opener)
    yield backend
    backend.close_all()


@pytest.fixture
def store(backend: Backend) -> Store:
    return backend.open()
