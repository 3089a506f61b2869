"""Leader/follower batching and the connection gate, with plain threads."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from rating.store.base import StoreUnavailable
from rating.store.batching import Gate, LeaderBatcher, Request
from tests.support.net import wait_for


def test_a_lone_caller_runs_its_own_item() -> None:
    batches: list[list[int]] = []

    def run(batch: list[Request]) -> None:
        batches.append([r.item for r in batch])
        for r in batch:
            r.result = r.item * 2

    batcher = LeaderBatcher(run)

    assert batcher.submit(21) == 42
    assert batches == [[21]]


def test_concurrent_callers_share_batches_and_each_gets_its_own_result() -> None:
    sizes: list[int] = []
    release = threading.Event()

    def run(batch: list[Request]) -> None:
        sizes.append(len(batch))
        release.wait(5)  # the first batch holds on until everyone has queued
        for r in batch:
            r.result = r.item * 2

    batcher = LeaderBatcher(run)
    with ThreadPoolExecutor(20) as pool:
        futures = [pool.submit(batcher.submit, i) for i in range(20)]
        wait_for(lambda: batcher.queued >= 19, timeout=10, what="19 callers to queue")
        release.set()
        results = [f.result(timeout=10) for f in futures]

    assert results == [i * 2 for i in range(20)]
    assert sum(sizes) == 20 and len(sizes) == 2  # the leader alone, then everyone else


def test_an_error_reaches_only_its_own_caller() -> None:
    def run(batch: list[Request]) -> None:
        for r in batch:
            if r.item < 0:
                r.error = ValueError(f"bad {r.item}")
            else:
                r.result = r.item

    batcher = LeaderBatcher(run)

    with pytest.raises(ValueError, match="bad -1"):
        batcher.submit(-1)
    assert batcher.submit(3) == 3


def test_a_batch_that_blows_up_fails_its_callers_and_the_batcher_goes_on() -> None:
    calls = 0

    def run(batch: list[Request]) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("connection lost")
        for r in batch:
            r.result = "ok"

    batcher = LeaderBatcher(run)

    with pytest.raises(RuntimeError):
        batcher.submit(1)
    assert batcher.submit(2) == "ok"


def test_an_item_left_without_outcome_is_reported_unavailable() -> None:
    batcher = LeaderBatcher(lambda batch: None)

    with pytest.raises(StoreUnavailable):
        batcher.submit(1)


def test_the_gate_admits_n_holders_and_times_out_the_next() -> None:
    gate = Gate(2)

    assert gate.acquire(0.01) and gate.acquire(0.01)
    assert gate.acquire(0.05) is False
    gate.release()
    assert gate.acquire(0.01) is True


def test_a_waiter_gets_the_place_that_frees_up() -> None:
    gate = Gate(1)
    gate.acquire(0.01)
    got: list[bool] = []
    waiter = threading.Thread(target=lambda: got.append(gate.acquire(5)))
    waiter.start()

    gate.release()
    waiter.join(5)

    assert got == [True]
