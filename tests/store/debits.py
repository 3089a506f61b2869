"""A tiny pure debit on a JSON account document, for the store's tests and benchmark.

The real engine is elsewhere; this one is just enough to tell a correct store from a
wrong one: the balance is a Decimal string, a debit grants at most what is left, and the
account counts the debits it applied so a half-applied write would show.
"""

from __future__ import annotations

from decimal import Decimal

from rating.store import Commit, TxnFn
from rating.store.base import JSON


class NoAccount(Exception):
    """The account does not exist."""


def new_account(balance: Decimal | str) -> JSON:
    return {"Balance": str(Decimal(balance)), "Applied": 0, "Granted": "0"}


def set_balance(balance: Decimal | str) -> TxnFn:
    """Create (or reset) the account with this balance."""
    return lambda _account: Commit(new_account(balance), result="created")


def debit(asked: Decimal, cdr: JSON | None = None, job: JSON | None = None) -> TxnFn:
    """Grant min(asked, balance); result {"granted", "balance"}; optional CDR and outbox job."""

    def fn(account: JSON | None) -> Commit:
        if account is None:
            raise NoAccount("no such account")
        balance = Decimal(account["Balance"])
        granted = min(asked, balance)
        after = {
            "Balance": str(balance - granted),
            "Applied": account["Applied"] + 1,
            "Granted": str(Decimal(account["Granted"]) + granted),
        }
        return Commit(after, result={"granted": str(granted), "balance": after["Balance"]},
                      cdrs=[cdr] if cdr else [], outbox=[job] if job else [])

    return fn


def balance_of(account: JSON) -> Decimal:
    return Decimal(account["Balance"])
