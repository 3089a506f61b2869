"""Fixtures of the agent tests: emulators, a SQLite store with the test plan, the rig."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.emulator import Emulator
from rating.store.base import Store

from .support import PARK_ALL, Rig, make_engine, open_sqlite, stop_emulator, write_plan


@pytest.fixture
def fs() -> Iterator[Emulator]:
    emulator = Emulator(dialplan_files=[PARK_ALL]).start()
    yield emulator
    stop_emulator(emulator)


@pytest.fixture
def plan_dir(tmp_path: Path) -> Path:
    return write_plan(tmp_path / "plan")


@pytest.fixture
def store(tmp_path: Path, plan_dir: Path) -> Iterator[Store]:
    db = open_sqlite(tmp_path / "callmeter.db")
    report = make_engine(db).load_folder(str(plan_dir))
    assert report.ok, report.format()
    yield db
    db.close()


@pytest.fixture
def rig_factory(fs: Emulator, store: Store) -> Iterator[object]:
    rigs: list[Rig] = []

    def make(**sessions: object) -> Rig:
        rig = Rig([fs], store, **sessions).start()
        rigs.append(rig)
        return rig

    yield make
    for rig in rigs:
        rig.stop()
