"""Per-call queues and the timer heap: order per call, no stall, bounded, no drift."""

from __future__ import annotations

import gevent

from agent.freeswitch.dispatch import CallQueues
from agent.freeswitch.timers import Timers
from tests.support.net import wait_for


def _workers(queues: CallQueues, count: int) -> list[gevent.Greenlet]:
    return [gevent.spawn(queues.run_worker) for _ in range(count)]


def test_items_of_one_call_run_in_order_while_calls_run_side_by_side() -> None:
    seen: dict[str, list[int]] = {}
    running: set[str] = set()
    overlap: list[str] = []

    def handle(call: str, item: int) -> None:
        if call in running:
            overlap.append(call)
        running.add(call)
        gevent.sleep(0.001 * (item % 3))  # items yield, as store and switch calls do
        seen.setdefault(call, []).append(item)
        running.discard(call)

    queues = CallQueues(handle)
    workers = _workers(queues, 8)
    for item in range(50):
        for call in ("a", "b", "c"):
            queues.put(call, item)
    wait_for(lambda: queues.pending == 0 and queues.busy == 0, timeout=5, what="drained")
    gevent.killall(workers)
    assert seen == {call: list(range(50)) for call in "abc"}
    assert overlap == []  # never two workers on one call


def test_putting_never_blocks_and_beyond_the_bound_items_are_dropped_and_counted() -> None:
    queues = CallQueues(lambda call, item: None, max_pending=3)
    assert [queues.put("x", i) for i in range(5)] == [True, True, True, False, False]
    assert (queues.pending, queues.dropped, queues.depth("x")) == (3, 2, 3)


def test_a_failing_item_does_not_stop_its_call_or_the_worker() -> None:
    done: list[int] = []

    def handle(call: str, item: int) -> None:
        if item == 1:
            raise RuntimeError("boom")
        done.append(item)

    queues = CallQueues(handle)
    workers = _workers(queues, 1)
    for item in range(3):
        queues.put("a", item)
    wait_for(lambda: done == [0, 2], timeout=2, what="the other items")
    gevent.killall(workers)


def test_timers_fire_in_due_order_at_their_time_and_earlier_ones_jump_the_queue() -> None:
    fired: list[tuple[str, float]] = []
    timers = Timers(lambda call, item: fired.append((item, gevent.get_hub().loop.now())))
    runner = gevent.spawn(timers.run)
    start = timers._clock()
    timers.call_at(start + 0.20, "c", "late")
    timers.call_at(start + 0.05, "c", "early")
    gevent.sleep(0.01)
    timers.call_at(start + 0.02, "c", "earliest")  # wakes the sleeping loop
    timers.call_at(start - 1.0, "c", "past")
    wait_for(lambda: len(fired) == 4, timeout=2, what="all timers")
    runner.kill()
    assert [name for name, _ in fired] == ["past", "earliest", "early", "late"]
    assert len(timers) == 0
