"""The agent as real processes: killed and restarted, two of them on one Redis, a store outage."""

from __future__ import annotations

import math
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from agent.emulator import Emulator
from rating.store import open_store
from rating.store.base import Store
from tests.support.net import wait_for
from tests.support.redis_server import RedisServer

from .proxy import PausableProxy
from .support import (
    PARK_ALL,
    AgentProcess,
    Rig,
    balance,
    cdrs,
    make_engine,
    set_balance,
    sleep,
    stop_emulator,
)


def _connected(fs: Emulator) -> None:
    """The agent process holds its four connections (events, two control, query)."""
    wait_for(lambda: fs.connection_count() >= 4, timeout=15, what="the agent's connections")


def _cost(billmsec: str | int) -> Decimal:
    return Decimal(math.ceil(int(billmsec) / 1000)) * Decimal("0.01")


def test_an_agent_killed_mid_call_resumes_it_after_a_restart_and_bills_it_to_the_second(
        fs: Emulator, store: Store, tmp_path: Path) -> None:
    set_balance(store, "1001", "1.00")
    url = f"sqlite:///{tmp_path / 'callmeter.db'}"
    first = AgentProcess(tmp_path, [fs], url).start()
    second = AgentProcess(tmp_path, [fs], url)
    try:
        _connected(fs)
        call = fs.place_call("1001", "1002", talk_seconds=4.5)
        call.wait_answered(timeout=5)
        sleep(1.0)
        first.kill()  # kill -9: no goodbye, nothing flushed
        second.start()
        variables = call.wait_complete(timeout=15)
        expected = Decimal("1.00") - _cost(variables["billmsec"])
        wait_for(lambda: balance(store, "1001") == expected and cdrs(store, "1001"),
                 timeout=10, what="the settlement by the restarted agent")
        assert call.hangup_cause == "NORMAL_CLEARING"  # neither cut nor backstopped
        assert "resumed after a restart" in second.log()
        assert cdrs(store, "1001")[0]["Usage"] == int(variables["billmsec"]) * 1_000_000
        assert second.terminate() == 0
    finally:
        first.kill()
        second.kill()


@pytest.fixture
def second_fs() -> Iterator[Emulator]:
    emulator = Emulator(dialplan_files=[PARK_ALL]).start()
    yield emulator
    stop_emulator(emulator)


@pytest.mark.redis
def test_two_agents_on_one_redis_never_overdraw_a_shared_account(
        fs: Emulator, second_fs: Emulator, redis_server: RedisServer, plan_dir: Path,
        tmp_path: Path) -> None:
    shared = open_store(redis_server.url)
    assert make_engine(shared).load_folder(str(plan_dir)).ok
    set_balance(shared, "1001", "0.60")  # one minute, shared by ten calls on two hosts
    agents = [AgentProcess(tmp_path, [fs], redis_server.url, name="east").start(),
              AgentProcess(tmp_path, [second_fs], redis_server.url, name="west").start()]
    try:
        _connected(fs)
        _connected(second_fs)
        calls = [emu.place_call("1001", "1002", talk_seconds=30)
                 for _ in range(5) for emu in (fs, second_fs)]
        for call in calls:
            call.wait_complete(timeout=30)
        wait_for(lambda: len(cdrs(shared, "1001")) == len(calls), timeout=10,
                 what="every call settled")
        assert balance(shared, "1001") == Decimal("0")  # all of it used, none overdrawn
        paid = {c["OriginID"]: Decimal(c["Cost"]) / Decimal("0.01") for c in cdrs(shared)}
        assert sum(paid.values()) == 60
        for call in calls:  # each cut when its paid seconds ended (200 ms cut-off bound)
            assert int(call.variables["billmsec"]) <= paid[call.uuid] * 1000 + 200
    finally:
        for agent in agents:
            agent.kill()
        shared.close()


@pytest.mark.redis
def test_a_store_outage_of_five_seconds_keeps_calls_up_denies_new_ones_and_loses_nothing(
        fs: Emulator, redis_server: RedisServer, plan_dir: Path) -> None:
    direct = open_store(redis_server.url)
    assert make_engine(direct).load_folder(str(plan_dir)).ok
    set_balance(direct, "1001", "1.00")
    proxy = PausableProxy(redis_server.port)
    store = open_store(f"redis://127.0.0.1:{proxy.port}/0?socket_timeout=1")
    rig = Rig([fs], store).start()
    try:
        call = fs.place_call("1001", "1002", talk_seconds=8)
        call.wait_answered(timeout=5)
        sleep(1.0)
        proxy.pause()
        denied = fs.place_call("1001", "1002", talk_seconds=5)
        assert denied.wait_hangup(timeout=5) == "CALL_REJECTED"
        assert any(c.endswith("cgr_notify SERVER_ERROR: STORE_UNAVAILABLE")
                   for _, c in denied.commands)
        sleep(4.0)
        proxy.resume()
        variables = call.wait_complete(timeout=10)
        rig.wait_settled(call.uuid, timeout=10)
        assert call.hangup_cause == "NORMAL_CLEARING"
        assert balance(direct, "1001") == Decimal("1.00") - _cost(variables["billmsec"])
        assert [c["OriginID"] for c in cdrs(direct, "1001")] == [call.uuid]
    finally:
        rig.stop()
        proxy.close()
        store.close()
        direct.close()
