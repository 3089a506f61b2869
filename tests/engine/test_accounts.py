"""Accounts through the Engine: life cycle, API shapes (SPEC.md A.1, E.3, E.4)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rating import money
from rating.accounts import Account
from rating.balances import Balance
from rating.engine import Engine
from rating.errors import NotFound
from rating.timeutil import ZERO_TIME_NS, format_time
from rating.triggers import (
    ActionTrigger,
    BalanceFilter,
    CounterFilter,
    UnitCounter,
    time_from_json,
)

from .support import balance, make_engine, put_account


@pytest.fixture
def engine() -> Engine:
    return make_engine(folder=None)


def test_set_account_creates_then_updates_flags(engine: Engine) -> None:
    created = engine.set_account("cgrates.org", "alice")
    assert (created.ID, created.AllowNegative, created.Disabled) == (
        "cgrates.org:alice", False, False)
    engine.set_account("cgrates.org", "alice", allow_negative=True)
    updated = engine.set_account("cgrates.org", "alice", disabled=True)
    assert (updated.AllowNegative, updated.Disabled) == (True, True)
    assert engine.get_account("cgrates.org", "alice").UpdateTime is not None


def test_set_account_keeps_balances(engine: Engine) -> None:
    put_account(engine.store, "cgrates.org:alice", {"*monetary": [balance("m", 5)]})
    engine.set_account("cgrates.org", "alice", allow_negative=True)
    assert engine.get_account("cgrates.org", "alice").BalanceMap["*monetary"][0].Value == 5


def test_missing_accounts_are_not_found(engine: Engine) -> None:
    with pytest.raises(NotFound) as err:
        engine.get_account("cgrates.org", "nobody")
    assert str(err.value) == "NOT_FOUND"
    with pytest.raises(NotFound):
        engine.remove_account("cgrates.org", "nobody")


def test_remove_account_deletes_it(engine: Engine) -> None:
    engine.set_account("cgrates.org", "alice")
    engine.remove_account("cgrates.org", "alice")
    with pytest.raises(NotFound):
        engine.get_account("cgrates.org", "alice")


def test_list_accounts_filters_and_paginates(engine: Engine) -> None:
    for name in ("a", "b", "c"):
        engine.set_account("cgrates.org", name)
    engine.set_account("other.org", "z")
    assert [a.ID for a in engine.list_accounts("cgrates.org")] == [
        "cgrates.org:a", "cgrates.org:b", "cgrates.org:c"]
    assert [a.ID for a in engine.list_accounts("cgrates.org", offset=1, limit=1)] == [
        "cgrates.org:b"]
    assert [a.ID for a in engine.list_accounts("cgrates.org", ids=["c", "nope"])] == [
        "cgrates.org:c"]
    assert len(engine.list_accounts()) == 4


def full_account() -> Account:
    bf = BalanceFilter(ID="b1", Type="*monetary", Weight=Decimal(10),
                       DestinationIDs={"DST_1002": True, "DST_X": False},
                       Value={"Method": "", "Params": None, "Static": "2"})
    trigger = ActionTrigger("STD", "LOW", "*min_balance", Decimal(2), True, 60 * 10**9,
                            None, 1_400_000_000 * 10**9, bf, Decimal(10), "LOG", 0, True,
                            1_500_000_000 * 10**9)
    counters = {"*monetary": [UnitCounter("*event", [CounterFilter(Decimal("1.5"), bf)])]}
    voice = Balance("u2", "free", Decimal(120_000_000_000), 1_700_000_000 * 10**9,
                    Decimal(20), {"DST_1003": True}, "*zero60s", {"call": True},
                    {"SG": True}, None, {"PEAK": True}, False, {"*voice": Decimal(60)}, True,
                    {"*out": True})
    return Account("cgrates.org:1001", {"*monetary": [Balance("u1", "*default",
                                                              Decimal("10.5"))],
                                        "*voice": [voice]}, counters, [trigger], True,
                   False, 1_600_000_000 * 10**9)


def test_account_documents_round_trip_every_field() -> None:
    account = full_account()
    doc = account.to_doc()
    json.dumps(doc)  # storable as is: no Decimal, no datetime
    again = Account.from_doc(json.loads(json.dumps(doc)))
    assert again.to_json() == account.to_json()
    assert again.to_doc() == doc


def test_v2_account_shape_matches_the_cgrates_wire_example() -> None:
    account = Account("cgrates.org:1001", {"*voice": [Balance(
        "uuid-1", "free", Decimal(120000000000), 1_700_000_000 * 10**9, Decimal(20),
        {"DST_1003": True})]}, UpdateTime=1_600_000_000 * 10**9)
    shape = account.to_json()
    assert list(shape) == ["ID", "BalanceMap", "UnitCounters", "ActionTriggers",
                           "AllowNegative", "Disabled", "UpdateTime"]
    (b,) = shape["BalanceMap"]["*voice"]
    assert b == {"Uuid": "uuid-1", "ID": "free", "Value": Decimal(120000000000),
                 "ExpirationDate": "2023-11-14T22:13:20Z", "Weight": Decimal(20),
                 "DestinationIDs": {"DST_1003": True}, "RatingSubject": "", "Categories": None,
                 "SharedGroups": None, "Timings": None, "TimingIDs": None, "Disabled": False,
                 "Factor": None, "Blocker": False}
    assert shape["UnitCounters"] is None and shape["ActionTriggers"] is None
    assert json.loads(json.dumps(money.jsonable(shape)))["UpdateTime"] == "2020-09-13T12:26:40Z"


def test_empty_accounts_have_a_null_balance_map() -> None:
    assert Account("cgrates.org:x").to_json()["BalanceMap"] is None


def test_v1_old_structure() -> None:
    shape = full_account().to_old_json()
    assert shape["Id"] == "*out:cgrates.org:1001"
    assert sorted(shape["BalanceMap"]) == ["*monetary*out", "*voice*out"]
    voice = shape["BalanceMap"]["*voice*out"][0]
    assert (voice["Id"], voice["DestinationIds"], voice["Category"], voice["SharedGroup"],
            voice["TimingIDs"]) == ("free", "DST_1003", "call", "SG", "PEAK")
    (trigger,) = shape["ActionTriggers"]
    assert (trigger["Id"], trigger["BalanceType"], trigger["BalanceDestinationIds"],
            trigger["ActionsId"]) == ("STD", "*monetary", "DST_1002;DST_X", "LOG")
    (counter,) = shape["UnitCounters"]
    assert counter["BalanceType"] == "*monetary"
    assert counter["Balances"][0]["Value"] == Decimal("1.5")


def test_account_summary_shape() -> None:
    summary = full_account().summary()
    assert summary == {"Tenant": "cgrates.org", "ID": "1001", "BalanceSummaries": [
        {"UUID": "u1", "ID": "*default", "Type": "*monetary", "Value": Decimal("10.5"),
         "Disabled": False},
        {"UUID": "u2", "ID": "free", "Type": "*voice", "Value": Decimal(120000000000),
         "Disabled": False}], "AllowNegative": True, "Disabled": False}


def test_balance_summary_id_falls_back_to_uuid() -> None:
    assert Balance("u9").summary("*sms")["ID"] == "u9"


def test_directions_appear_only_on_balances_that_have_them() -> None:
    account = full_account()
    assert "Directions" not in account.BalanceMap["*monetary"][0].to_json()
    assert account.BalanceMap["*voice"][0].to_json()["Directions"] == {"*out": True}


@given(st.one_of(st.none(), st.just(ZERO_TIME_NS),
                 st.integers(min_value=-62135596800 * 10**9, max_value=253402300799 * 10**9)))
def test_an_update_time_reads_back_as_written_without_parsing_its_text(ns: int | None) -> None:
    # the account remembers the texts it wrote: that is only right if parsing gives ns back
    expected = None if ns in (None, ZERO_TIME_NS) else ns
    assert time_from_json(format_time(ns)) == expected
    doc = Account("t:a", UpdateTime=ns).to_doc()
    assert Account.from_doc(doc).UpdateTime == expected
    assert Account.from_doc(json.loads(json.dumps(doc))).UpdateTime == expected


def test_a_stored_balance_leaves_out_the_fields_at_their_defaults() -> None:
    plain = Balance("u", "*default", Decimal("1.5")).to_doc()
    assert plain == {"Uuid": "u", "ID": "*default", "Value": "1.5", "Weight": "0"}
    assert Balance.from_json(plain) == Balance("u", "*default", Decimal("1.5"))
    empty_maps = Balance("u", DestinationIDs={}, Categories={}, Timings=[], Factor={})
    assert Balance.from_json(json.loads(json.dumps(empty_maps.to_doc()))) == empty_maps
