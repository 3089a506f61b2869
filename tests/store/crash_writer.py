"""A child process for the crash test: threads debiting one SQLite account non-stop.

    python -m tests.store.crash_writer DB_PATH ACCOUNT ROUND THREADS SYNCHRONOUS

Each debit also writes a CDR and an outbox job. After a debit is acknowledged (transact
returned) it prints "ack TXN GRANTED" and flushes, so the parent knows what a client was
told before it kills this process with SIGKILL.
"""

from __future__ import annotations

import sys
import threading
from decimal import Decimal

from rating.store.sqlite import SqliteStore
from tests.store.debits import debit


def main(path: str, account: str, round_id: str, threads: int, synchronous: str) -> None:
    store = SqliteStore(path, synchronous=synchronous)
    out = threading.Lock()
    tenant, name = account.split(":")

    def loop(t: int) -> None:
        n = 0
        while True:
            n += 1
            txn = f"{round_id}-t{t}-{n}"
            cdr = {"CGRID": txn, "RunID": "*default", "OrderTime": n, "Tenant": tenant,
                   "Account": name}
            result = store.transact(account, debit(Decimal("0.07"), cdr=cdr, job={"txn": txn}),
                                    txn_id=txn)
            with out:
                sys.stdout.write(f"ack {txn} {result['granted']}\n")
                sys.stdout.flush()

    workers = [threading.Thread(target=loop, args=(t,), daemon=True) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
