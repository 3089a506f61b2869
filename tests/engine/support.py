"""Helpers for engine tests: a fixed clock, counting ids, CSV plans and balance set-up."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from rating.calldesc import CallDescriptor
from rating.engine import Engine
from rating.store.base import Commit, Store
from rating.store.memory import MemoryStore
from rating.timeutil import SECOND, parse_rfc3339

REPO = Path(__file__).resolve().parents[2]
TUTORIAL = REPO / "conf" / "tariffplans" / "tutorial"
#: A Monday, 13:00 UTC: PEAK in the tutorial plan.
MONDAY_1PM = "2014-08-04T13:00:00Z"


class Clock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def counter_ids(prefix: str = "id") -> Callable[[], str]:
    """new_id that yields id1, id2, ..."""
    counter = itertools.count(1)
    return lambda: f"{prefix}{next(counter)}"


def make_engine(store: Store | None = None, *, folder: Path | None = TUTORIAL,
                decimals: int = 5, clock: Clock | None = None) -> Engine:
    """An engine on a MemoryStore (or the given store) with a plan folder loaded."""
    engine = Engine(store or MemoryStore(), clock=clock or Clock(), new_id=counter_ids(),
                    rounding_decimals=decimals)
    if folder is not None:
        report = engine.load_folder(str(folder))
        assert report.ok, report.format()
    return engine


def write_plan(folder: Path, files: dict[str, str]) -> Path:
    """Write CSV files (header comment added) into folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, body in files.items():
        (folder / name).write_text("# header\n" + body.strip() + "\n")
    return folder


def cd(destination: str, seconds: float | Decimal, *, subject: str = "1001",
       account: str | None = None, start: str = MONDAY_1PM, **fields: Any) -> CallDescriptor:
    """A call descriptor starting at `start` lasting `seconds`."""
    ns, tz = parse_rfc3339(start)
    call = CallDescriptor(Tenant="cgrates.org", Category="call", Subject=subject,
                          Account=subject if account is None else account,
                          Destination=destination, TimeStart=ns,
                          TimeEnd=ns + int(Decimal(str(seconds)) * SECOND), tz=tz)
    return call.copy(**fields)


def balance(uuid: str, value: str | int | Decimal, **fields: Any) -> dict[str, Any]:
    """A balance document."""
    doc = {"Uuid": uuid, "ID": fields.pop("ID", uuid), "Value": str(value)}
    doc.update(fields)
    return doc


def put_account(store: Store, account_id: str, balances: dict[str, list[dict[str, Any]]],
                **flags: Any) -> None:
    """Create or replace an account document with these balances (test set-up only)."""

    def txn(doc: Any) -> Commit:
        new = {"ID": account_id, "BalanceMap": balances, "AllowNegative": False,
               "Disabled": False}
        new.update(flags)
        return Commit(new, None)

    store.transact(account_id, txn)


def values(engine: Engine, account: str, tenant: str = "cgrates.org") -> dict[str, Decimal]:
    """uuid -> value of every balance of an account."""
    acc = engine.get_account(tenant, account)
    return {b.Uuid: b.Value for _, b in acc.balances()}
