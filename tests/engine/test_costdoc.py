"""The stored form of a debit's CallCost reads back as the same CallCost (costdoc)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from rating import costdoc, money
from rating.callcost import CallCost

from .support import balance, cd, make_engine, put_account

ENGINE = make_engine()
V1 = json.loads((Path(__file__).parent / "costdoc_v1.json").read_text())


def through_json(doc: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(json.dumps(doc))
    return result


def shape(cc: CallCost) -> Any:
    return money.jsonable(cc.to_json())


def test_a_version_1_document_of_an_earlier_release_still_reads_back() -> None:
    cc = costdoc.from_doc(V1["document"])

    assert shape(cc) == V1["call_cost_json"]


CASES: dict[str, tuple[dict[str, Any], str, int, dict[str, Any]]] = {
    "money with connect fee": ({"*monetary": [balance("m", 10)]}, "1002", 95, {}),
    "free units then money, rounded": (
        {"*monetary": [balance("m", 10)],
         "*voice": [balance("v", 20 * 10**9, RatingSubject="*zero1s")]},
        "1002", 95, {"PerformRounding": True}),
    "priced units": ({"*monetary": [balance("m", 10)],
                      "*voice": [balance("v", 600 * 10**9, RatingSubject="1001")]},
                     "1003", 130, {}),
    "two money balances, the first runs out": (
        {"*monetary": [balance("a", "0.3", Weight="20"), balance("b", 10)]},
        "1002", 300, {}),
    "local time zone": ({"*monetary": [balance("m", 10)]}, "1002", 61,
                        {"start": "2014-08-04T13:00:00+02:00"}),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_debits_document_reads_back_as_the_same_call_cost(name: str) -> None:
    balances, destination, seconds, fields = CASES[name]
    put_account(ENGINE.store, "cgrates.org:1001", balances)
    cc = ENGINE.debit(cd(destination, seconds, **fields), debit_id=f"costdoc-{name}")

    again = costdoc.from_doc(through_json(costdoc.to_doc(cc)))

    assert shape(again) == shape(cc)
    assert again.tz.utcoffset(None) == cc.tz.utcoffset(None)
    assert [ts.rate_interval is None for ts in again.Timespans] == [
        ts.rate_interval is None for ts in cc.Timespans]


def test_a_summary_of_another_shape_is_kept_as_it_is() -> None:
    put_account(ENGINE.store, "cgrates.org:1001", {"*monetary": [balance("m", 10)]})
    cc = ENGINE.debit(cd("1002", 30), debit_id="costdoc-summary")
    cc.AccountSummary = {"Tenant": "cgrates.org", "ID": "1001", "Extra": 1,
                         "BalanceSummaries": [{"UUID": "m", "Value": Decimal("1.50")}]}

    again = costdoc.from_doc(through_json(costdoc.to_doc(cc)))

    assert again.AccountSummary == {"Tenant": "cgrates.org", "ID": "1001", "Extra": 1,
                                    "BalanceSummaries": [{"UUID": "m",
                                                          "Value": Decimal("1.5")}]}


def test_an_unknown_version_is_refused() -> None:
    with pytest.raises(ValueError, match="version"):
        costdoc.from_doc({**V1["document"], "V": 3})
