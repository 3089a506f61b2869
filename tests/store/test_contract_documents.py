"""Contract: documents by kind and id, the same on every backend."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rating.store import Store, StoreError

DOC = {"ID": "DR_1", "Rate": "0.0123456789012345678901", "Units": 60_000_000_000,
       "Big": 2**70, "Nested": [{"a": None, "b": True}, "ü€𝄞"]}


def test_put_then_get_returns_an_equal_independent_copy(store: Store) -> None:
    store.put("Rates", "DR_1", DOC)

    got = store.get("Rates", "DR_1")

    assert got == DOC
    got["ID"] = "changed"
    assert store.get("Rates", "DR_1") == DOC


def test_money_strings_and_big_integers_round_trip_exactly(store: Store) -> None:
    store.put("Rates", "DR_1", DOC)

    got = store.get("Rates", "DR_1")

    assert Decimal(got["Rate"]) == Decimal("0.0123456789012345678901")
    assert got["Big"] == 2**70


def test_get_of_a_missing_document_is_none(store: Store) -> None:
    assert store.get("Rates", "nope") is None


def test_put_replaces_the_document(store: Store) -> None:
    store.put("Rates", "DR_1", {"v": 1})
    store.put("Rates", "DR_1", {"v": 2})

    assert store.get("Rates", "DR_1") == {"v": 2}


def test_kinds_are_separate_namespaces(store: Store) -> None:
    store.put("Rates", "X", {"k": "rate"})
    store.put("Destinations", "X", {"k": "dest"})

    assert store.get("Rates", "X") == {"k": "rate"}
    assert store.get("Destinations", "X") == {"k": "dest"}
    assert store.list_ids("Timings") == []


def test_get_many_returns_only_existing_documents(store: Store) -> None:
    store.put_many("Rates", {"A": {"v": 1}, "B": {"v": 2}})

    assert store.get_many("Rates", ["A", "B", "C"]) == {"A": {"v": 1}, "B": {"v": 2}}
    assert store.get_many("Rates", []) == {}


def test_put_many_adds_and_replace_all_drops_the_others(store: Store) -> None:
    store.put_many("Rates", {"A": {"v": 1}, "B": {"v": 2}})
    store.put_many("Rates", {"C": {"v": 3}})
    assert store.list_ids("Rates") == ["A", "B", "C"]

    store.put_many("Rates", {"B": {"v": 20}, "D": {"v": 4}}, replace_all=True)

    assert store.list_ids("Rates") == ["B", "D"]
    assert store.get("Rates", "B") == {"v": 20}


def test_put_many_with_replace_all_and_no_documents_empties_the_kind(store: Store) -> None:
    store.put_many("Rates", {"A": {"v": 1}})

    store.put_many("Rates", {}, replace_all=True)

    assert store.list_ids("Rates") == []


def test_many_documents_in_one_put_many(store: Store) -> None:
    docs = {f"DST_{i:05d}": {"Prefixes": [str(4900 + i)]} for i in range(3000)}

    store.put_many("Destinations", docs, replace_all=True)

    assert store.list_ids("Destinations") == sorted(docs)
    assert store.get("Destinations", "DST_02999") == {"Prefixes": ["7899"]}


def test_delete_reports_whether_the_document_existed(store: Store) -> None:
    store.put("Rates", "A", {"v": 1})

    assert store.delete("Rates", "A") is True
    assert store.delete("Rates", "A") is False
    assert store.get("Rates", "A") is None
    assert store.list_ids("Rates") == []


def test_list_ids_is_sorted_and_filters_by_prefix(store: Store) -> None:
    ids = ["RP_b", "RP_a", "DR_1", "RP_ä", "RP", "RPX", "Rp_1"]
    store.put_many("Mixed", {i: {} for i in ids})

    assert store.list_ids("Mixed") == sorted(ids)
    assert store.list_ids("Mixed", "RP_") == ["RP_a", "RP_b", "RP_ä"]
    assert store.list_ids("Mixed", "RP") == ["RP", "RPX", "RP_a", "RP_b", "RP_ä"]
    assert store.list_ids("Mixed", "zz") == []


@pytest.mark.parametrize("doc", [
    {"Rate": 0.1},
    {"Nested": [1, 2, {"x": 1e3}]},
    {"Rate": Decimal("0.1")},
    {"nan": float("nan")},
    {1: object()},
])
def test_documents_with_floats_or_non_json_values_are_refused(store: Store, doc: object) -> None:
    with pytest.raises(StoreError):
        store.put("Rates", "A", doc)
    with pytest.raises(StoreError):
        store.put_many("Rates", {"B": {"ok": 1}, "A": doc})

    assert store.get("Rates", "A") is None
    assert store.get("Rates", "B") is None


@pytest.mark.parametrize("bad", ["", "a\x00b", "line\nbreak", "tab\there", "\x1f", None, 5])
def test_bad_ids_and_kinds_are_refused(store: Store, bad: object) -> None:
    with pytest.raises(StoreError):
        store.put("Rates", bad, {})  # type: ignore[arg-type]
    with pytest.raises(StoreError):
        store.put(bad, "A", {})  # type: ignore[arg-type]
    with pytest.raises(StoreError):
        store.put_many("Rates", {"ok": {}, bad: {}})  # type: ignore[dict-item]

    assert store.list_ids("Rates") == []


def test_ping_and_describe(store: Store) -> None:
    store.ping()

    assert isinstance(store.describe(), str) and store.describe()


def test_many_documents_merge_into_a_kind_without_replacing_it(store: Store) -> None:
    store.put_many("Destinations", {"KEEP": {"v": 0}, "DST_00001": {"old": True}})
    docs = {f"DST_{i:05d}": {"Prefixes": [str(i)]} for i in range(2500)}

    store.put_many("Destinations", docs)

    assert store.list_ids("Destinations") == sorted([*docs, "KEEP"])
    assert store.get("Destinations", "DST_00001") == {"Prefixes": ["1"]}
    assert store.get_many("Destinations", ["KEEP", "DST_02499"]) == {
        "KEEP": {"v": 0}, "DST_02499": {"Prefixes": ["2499"]}}
