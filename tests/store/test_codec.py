"""The codec hands out a fresh object on every decode, even of text it just encoded."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from rating.store import codec
from rating.store.base import Commit, StoreError
from rating.store.memory import MemoryStore

DOC = {"ID": "cgrates.org:1", "BalanceMap": {"*monetary": [{"Value": "1.5"}]}, "N": [1, 2]}


def test_decoding_just_encoded_text_twice_gives_two_independent_equal_copies() -> None:
    text = codec.encode(DOC)

    first = codec.decode(text)
    first["BalanceMap"]["*monetary"][0]["Value"] = "0"
    second = codec.decode(text)

    assert second == DOC
    assert first is not second


def test_a_decoded_copy_never_aliases_the_encoded_document() -> None:
    doc = {"a": [1, {"b": "c"}]}
    copy = codec.decode(codec.encode(doc))
    doc["a"][1]["b"] = "changed"  # type: ignore[index]

    assert copy == {"a": [1, {"b": "c"}]}


def test_equal_text_from_elsewhere_decodes_to_the_same_value() -> None:
    text = codec.encode(DOC)
    elsewhere = "".join(list(text))  # an equal string that is another object

    assert codec.decode(elsewhere) == DOC
    assert codec.decode(text) == DOC


def test_tuples_and_int_keys_come_back_as_json_would_give_them() -> None:
    assert codec.decode(codec.encode({1: ("a", "b")})) == {"1": ["a", "b"]}


@pytest.mark.parametrize("doc", [{"a": 0.5}, [1, 2, [3e10]], 1.0, {"a": Decimal("1")}])
def test_floats_and_non_json_values_are_still_refused(doc: object) -> None:
    with pytest.raises(StoreError):
        codec.encode(doc)


def test_a_transaction_result_is_a_fresh_copy_each_time_it_is_read() -> None:
    store = MemoryStore()
    result: dict[str, Any] = {"Cost": "1", "List": [1]}
    got = store.transact("t:a", lambda doc: Commit({"ID": "t:a"}, result), "txn1")
    got["List"].append(2)
    result["List"].append(3)

    assert store.txn_result("t:a", "txn1") == (True, {"Cost": "1", "List": [1]})
    assert store.transact("t:a", lambda doc: Commit({"ID": "t:a"}, {}), "txn1") == {
        "Cost": "1", "List": [1]}
