"""Contract: CDRs stored by (CGRID, RunID), queried in OrderTime order with a cursor."""

from __future__ import annotations

import random

import pytest

from rating.store import CdrQuery, Store, StoreError
from rating.store.base import JSON

T0 = 1_700_000_000_000_000_000


def make_cdrs(n: int = 60, seed: int = 7) -> list[JSON]:
    rnd = random.Random(seed)
    cdrs = []
    for i in range(n):
        cdrs.append({
            "CGRID": f"cgr{i // 2:03d}",          # two runs per call
            "RunID": ["*default", "retail"][i % 2],
            "OrderTime": T0 + rnd.randrange(20) * 1_000,  # many ties on purpose
            "Tenant": "cgrates.org",
            "Account": f"10{rnd.randrange(4)}",
            "OriginID": f"origin-{i // 2 % 7}",
            "Cost": f"{rnd.randrange(1000)}.{rnd.randrange(100000):05d}",
        })
    return cdrs


def expected(cdrs: list[JSON], q: CdrQuery) -> list[JSON]:
    """The reference answer, written independently of every backend."""
    def ok(c: JSON) -> bool:
        return ((not q.accounts or f"{c['Tenant']}:{c['Account']}" in q.accounts)
                and (not q.origin_ids or c["OriginID"] in q.origin_ids)
                and (not q.cgr_ids or c["CGRID"] in q.cgr_ids)
                and (not q.run_ids or c["RunID"] in q.run_ids)
                and (q.since_ns is None or c["OrderTime"] >= q.since_ns)
                and (q.until_ns is None or c["OrderTime"] < q.until_ns))
    return sorted(filter(ok, cdrs), key=lambda c: (c["OrderTime"], c["CGRID"], c["RunID"]))


def all_pages(store: Store, q: CdrQuery) -> list[JSON]:
    rows: list[JSON] = []
    cursor = q.cursor
    for _ in range(1000):
        page, cursor = store.query_cdrs(CdrQuery(**{**q.__dict__, "cursor": cursor}))
        assert len(page) <= q.limit
        rows.extend(page)
        if cursor is None:
            return rows
        assert page, "a cursor must never come with an empty page"
    raise AssertionError("paging did not end")


QUERIES = {
    "everything": CdrQuery(),
    "time range": CdrQuery(since_ns=T0 + 5_000, until_ns=T0 + 12_000),
    "since only": CdrQuery(since_ns=T0 + 15_000),
    "until only": CdrQuery(until_ns=T0 + 3_000),
    "one account": CdrQuery(accounts=("cgrates.org:101",)),
    "two accounts and time": CdrQuery(accounts=("cgrates.org:100", "cgrates.org:103"),
                                      since_ns=T0 + 4_000),
    "origin ids": CdrQuery(origin_ids=("origin-3", "origin-5")),
    "cgr ids": CdrQuery(cgr_ids=("cgr004", "cgr010", "cgr999")),
    "run id": CdrQuery(run_ids=("retail",)),
    "origin and account": CdrQuery(origin_ids=("origin-1",), accounts=("cgrates.org:102",)),
    "no match": CdrQuery(accounts=("other:1",)),
    "empty range": CdrQuery(since_ns=T0 + 5_000, until_ns=T0 + 5_000),
}


@pytest.fixture
def loaded(store: Store) -> tuple[Store, list[JSON]]:
    cdrs = make_cdrs()
    store.append_cdrs(cdrs[:30])
    store.append_cdrs(cdrs[30:])
    return store, cdrs


@pytest.mark.parametrize("name", list(QUERIES))
@pytest.mark.parametrize("limit", [1, 7, 100])
def test_query_pages_give_exactly_the_matching_cdrs_in_order(
        loaded: tuple[Store, list[JSON]], name: str, limit: int) -> None:
    store, cdrs = loaded
    q = CdrQuery(**{**QUERIES[name].__dict__, "limit": limit})

    rows = all_pages(store, q)

    assert rows == expected(cdrs, q)


def test_a_full_last_page_has_no_cursor(store: Store) -> None:
    store.append_cdrs(make_cdrs(4))

    page, cursor = store.query_cdrs(CdrQuery(limit=4))

    assert len(page) == 4 and cursor is None


def test_a_cdr_with_the_same_cgrid_and_runid_replaces_the_stored_one(store: Store) -> None:
    first = {"CGRID": "c1", "RunID": "*default", "OrderTime": T0, "Tenant": "t",
             "Account": "a", "OriginID": "o1", "Cost": "1"}
    second = {**first, "OrderTime": T0 + 5, "Cost": "2"}
    store.append_cdrs([first])

    store.append_cdrs([second])

    assert store.query_cdrs(CdrQuery())[0] == [second]
    assert store.query_cdrs(CdrQuery(until_ns=T0 + 1))[0] == []
    assert store.query_cdrs(CdrQuery(origin_ids=("o1",)))[0] == [second]
    assert store.query_cdrs(CdrQuery(accounts=("t:a",)))[0] == [second]


def test_a_replacing_cdr_may_move_to_another_account_and_origin(store: Store) -> None:
    first = {"CGRID": "c1", "RunID": "*default", "OrderTime": T0, "Tenant": "t",
             "Account": "a", "OriginID": "o1"}
    moved = {**first, "Account": "b", "OriginID": "o2", "OrderTime": T0 + 1}
    store.append_cdrs([first])

    store.append_cdrs([moved])

    assert store.query_cdrs(CdrQuery())[0] == [moved]
    assert store.query_cdrs(CdrQuery(accounts=("t:a",)))[0] == []
    assert store.query_cdrs(CdrQuery(accounts=("t:b",)))[0] == [moved]
    assert store.query_cdrs(CdrQuery(origin_ids=("o1",)))[0] == []
    assert store.query_cdrs(CdrQuery(cgr_ids=("c1",)))[0] == [moved]


def test_cdrs_missing_optional_fields_are_stored(store: Store) -> None:
    store.append_cdrs([{"CGRID": "c1", "RunID": "r"}])

    assert store.query_cdrs(CdrQuery())[0] == [{"CGRID": "c1", "RunID": "r"}]
    assert store.query_cdrs(CdrQuery(accounts=(":",)))[0] == [{"CGRID": "c1", "RunID": "r"}]


@pytest.mark.parametrize("bad", [
    {"RunID": "r"},
    {"CGRID": "c", "RunID": ""},
    {"CGRID": "c", "RunID": "r", "OrderTime": "1700"},
    {"CGRID": "c", "RunID": "r", "OrderTime": 1.5},
    {"CGRID": "c", "RunID": "r", "Cost": 0.6},
    {"CGRID": "c", "RunID": "r", "Account": 5},
    "not a dict",
])
def test_a_bad_cdr_is_refused_and_nothing_of_the_batch_is_stored(store: Store, bad: JSON) -> None:
    good = {"CGRID": "ok", "RunID": "r"}

    with pytest.raises(StoreError):
        store.append_cdrs([good, bad])

    assert store.query_cdrs(CdrQuery())[0] == []


@pytest.mark.parametrize("query", [
    CdrQuery(limit=0),
    CdrQuery(limit=10**6),
    CdrQuery(cursor="not-a-cursor!"),
    CdrQuery(cursor="bm9wZQ"),
    CdrQuery(since_ns="yesterday"),  # type: ignore[arg-type]
])
def test_bad_queries_are_refused(store: Store, query: CdrQuery) -> None:
    with pytest.raises(StoreError):
        store.query_cdrs(query)


def test_a_cursor_stays_valid_when_new_cdrs_arrive(store: Store) -> None:
    cdrs = make_cdrs(20)
    store.append_cdrs(cdrs)
    first, cursor = store.query_cdrs(CdrQuery(limit=5))

    late = {"CGRID": "late", "RunID": "r", "OrderTime": T0 - 1}  # sorts before the cursor
    store.append_cdrs([late])
    rest = all_pages(store, CdrQuery(limit=5, cursor=cursor))

    assert first + rest == expected(cdrs, CdrQuery())
