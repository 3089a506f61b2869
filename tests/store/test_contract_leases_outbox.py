"""Contract: leases with expiry, and the outbox of side-effect jobs."""

from __future__ import annotations

import pytest

from rating.store import Commit, Store, StoreError
from tests.support.net import wait_for

ACCT = "cgrates.org:1001"


def test_a_free_lease_is_taken_and_shows_its_owner(store: Store) -> None:
    assert store.acquire_lease("scheduler", "host-a", 10_000) is True

    assert store.lease_owner("scheduler") == "host-a"
    assert store.lease_owner("other") is None


def test_a_held_lease_is_refused_to_others_and_renewed_by_its_owner(store: Store) -> None:
    store.acquire_lease("scheduler", "host-a", 10_000)

    assert store.acquire_lease("scheduler", "host-b", 10_000) is False
    assert store.acquire_lease("scheduler", "host-a", 10_000) is True
    assert store.lease_owner("scheduler") == "host-a"


def test_only_the_owner_releases_a_lease(store: Store) -> None:
    store.acquire_lease("scheduler", "host-a", 10_000)

    assert store.release_lease("scheduler", "host-b") is False
    assert store.lease_owner("scheduler") == "host-a"
    assert store.release_lease("scheduler", "host-a") is True
    assert store.lease_owner("scheduler") is None
    assert store.release_lease("scheduler", "host-a") is False
    assert store.acquire_lease("scheduler", "host-b", 10_000) is True


def test_an_expired_lease_is_free_for_anyone(store: Store) -> None:
    store.acquire_lease("session:abc", "host-a", 150)

    wait_for(lambda: store.lease_owner("session:abc") is None, timeout=5, what="lease expiry")

    assert store.acquire_lease("session:abc", "host-b", 10_000) is True
    assert store.lease_owner("session:abc") == "host-b"
    assert store.release_lease("session:abc", "host-a") is False


def test_bad_lease_names_are_refused(store: Store) -> None:
    with pytest.raises(StoreError):
        store.acquire_lease("", "host-a", 1000)
    with pytest.raises(StoreError):
        store.acquire_lease("x", "bad\nowner", 1000)


def _queue_jobs(store: Store, *jobs: dict[str, object]) -> None:
    store.transact(ACCT, lambda acct: Commit.keep(outbox=list(jobs)))


def test_claimed_jobs_are_not_claimed_again_until_their_lease_ends(store: Store) -> None:
    _queue_jobs(store, {"n": 1}, {"n": 2})

    claimed = store.outbox_claim("w1", 10, lease_ms=1000, now_ms=5_000)

    assert sorted(j["job"]["n"] for j in claimed) == [1, 2]
    assert all(j["attempts"] == 0 and j["due_ms"] == 0 for j in claimed)
    assert len({j["id"] for j in claimed}) == 2
    assert store.outbox_claim("w2", 10, lease_ms=1000, now_ms=5_999) == []
    again = store.outbox_claim("w2", 10, lease_ms=1000, now_ms=6_000)
    assert sorted(j["id"] for j in again) == sorted(j["id"] for j in claimed)


def test_claim_respects_the_limit(store: Store) -> None:
    _queue_jobs(store, *({"n": i} for i in range(5)))

    first = store.outbox_claim("w", 2, 1000, 100)
    second = store.outbox_claim("w", 10, 1000, 100)

    assert len(first) == 2 and len(second) == 3
    assert sorted(j["job"]["n"] for j in first + second) == [0, 1, 2, 3, 4]


def test_a_retried_job_is_due_again_at_its_new_time_with_its_attempts(store: Store) -> None:
    _queue_jobs(store, {"n": 1})
    [job] = store.outbox_claim("w", 10, 1000, now_ms=100)

    store.outbox_retry(job["id"], due_ms=50_000, attempts=1)

    assert store.outbox_claim("w", 10, 1000, now_ms=49_999) == []
    [again] = store.outbox_claim("w", 10, 1000, now_ms=50_000)
    assert again == {"id": job["id"], "due_ms": 50_000, "attempts": 1, "job": {"n": 1}}


def test_a_done_job_is_gone(store: Store) -> None:
    _queue_jobs(store, {"n": 1}, {"n": 2})
    jobs = store.outbox_claim("w", 10, 1000, now_ms=100)

    store.outbox_done(jobs[0]["id"])
    store.outbox_done("no-such-job")

    left = store.outbox_claim("w", 10, 1000, now_ms=10_000)
    assert [j["id"] for j in left] == [jobs[1]["id"]]


def test_the_outbox_starts_empty(store: Store) -> None:
    assert store.outbox_claim("w", 10, 1000, now_ms=10**13) == []
