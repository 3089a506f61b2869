"""A child process for the concurrency tests: G greenlets debiting one account for S seconds.

    python -m tests.store.hammer URL ACCOUNT WORKER SECONDS GREENLETS

gevent monkey-patches the process first, as the agent does. Every debit has a unique txn
id; one whose outcome is unknown (store unavailable, conflicts) is retried with the same
id until it resolves, and some applied ids are sent again on purpose: both must come back
with the first result. Prints one JSON line per txn id: {"txn", "granted"} when applied,
{"txn", "unresolved": true} if it never resolved; then {"mismatches": [...], "errors": {}}
(errors: how many times each StoreError was seen and retried) at the end.
"""

from gevent import monkey

monkey.patch_all()

import json  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from decimal import Decimal  # noqa: E402

import gevent  # noqa: E402
import gevent.pool  # noqa: E402

from rating.store import StoreError, open_store  # noqa: E402
from tests.store.debits import debit  # noqa: E402

RESOLVE_GRACE = 30.0  # seconds after the run an unknown outcome may take to resolve


def main(url: str, account: str, worker: str, seconds: float, greenlets: int) -> None:
    store = open_store(url, run_blocking=gevent.get_hub().threadpool.apply)
    deadline = time.monotonic() + seconds
    results: dict[str, str | None] = {}
    mismatches: list[str] = []
    errors: dict[str, int] = {}

    def resolve(txn_id: str, asked: Decimal) -> str | None:
        give_up = deadline + RESOLVE_GRACE
        while time.monotonic() < give_up:
            try:
                return str(store.transact(account, debit(asked), txn_id=txn_id)["granted"])
            except StoreError as exc:
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                gevent.sleep(0.05)
        return None

    def loop(g: int) -> None:
        rnd = random.Random(f"{worker}-{g}")
        n = 0
        while time.monotonic() < deadline:
            n += 1
            txn_id = f"{worker}-g{g}-{n}"
            asked = Decimal(rnd.randrange(1, 200)) / 100
            results[txn_id] = granted = resolve(txn_id, asked)
            if granted is not None and rnd.random() < 0.05:  # a duplicate, on purpose
                again = resolve(txn_id, Decimal("99"))
                if again is not None and again != granted:
                    mismatches.append(f"{txn_id}: {granted} then {again}")

    pool = gevent.pool.Pool(greenlets)
    for g in range(greenlets):
        pool.spawn(loop, g)
    pool.join()
    for txn_id, granted in results.items():
        line = {"txn": txn_id, "granted": granted} if granted is not None else {
            "txn": txn_id, "unresolved": True}
        print(json.dumps(line))
    print(json.dumps({"mismatches": mismatches, "errors": errors}))
    store.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5]))
