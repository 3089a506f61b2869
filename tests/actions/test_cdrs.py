"""CDR records: identity, shapes, storage round trips and GetCDRs filters."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC
from decimal import Decimal
from typing import Any

import pytest

from rating.cdr_query import count_cdrs, filter_from_args, find_cdrs, store_query
from rating.cdrlog import build_template, cdrlog_cdr, parse_template, render
from rating.cdrs import Cdr, call_cdr, cgr_id, json_text
from rating.errors import ServerError
from rating.store import Store
from rating.timeutil import SECOND

T0 = 1_700_000_000 * SECOND  # 2023-11-14T22:13:20Z


def make_call(n: int, **over: Any) -> Cdr:
    args: dict[str, Any] = dict(
        origin_id=f"call-{n}", origin_host="10.0.0.1", order_time=T0 + n * SECOND,
        tenant="cgrates.org", account="1001", destination="1002", setup_time=T0 + n * SECOND,
        answer_time=T0 + n * SECOND + 2 * SECOND, usage=67 * SECOND, request_type="*prepaid",
        cost=Decimal("0.67"))
    args.update(over)
    return call_cdr(**args)


def test_cgrid_is_sha1_of_origin_id_then_origin_host() -> None:
    expected = hashlib.sha1(b"abc-12310.0.0.1").hexdigest()
    assert cgr_id("abc-123", "10.0.0.1") == expected
    assert expected == make_call(1, origin_id="abc-123").CGRID


def test_call_cdr_defaults_subject_to_account_and_run_to_default() -> None:
    cdr = make_call(1)
    assert (cdr.Subject, cdr.RunID, cdr.ToR, cdr.OrderID) == ("1001", "*default", "*voice",
                                                             T0 + SECOND)


def test_call_cdr_refuses_negative_usage() -> None:
    with pytest.raises(ValueError, match="usage"):
        make_call(1, usage=-1)


def test_external_cdr_shape_has_usage_text_and_seconds_times() -> None:
    cdr = make_call(1, answer_time=T0 + 1_500_000_000, cost_details={"Cost": Decimal("0.67")})
    ext = cdr.to_external()
    assert ext["Usage"] == "1m7s"
    assert ext["AnswerTime"] == "2023-11-14T22:13:21Z"
    assert ext["CostDetails"] == '{"Cost":0.67}'
    assert ext["Cost"] == Decimal("0.67")
    assert set(ext) == {"CGRID", "RunID", "OrderID", "OriginHost", "Source", "OriginID", "ToR",
                        "RequestType", "Tenant", "Category", "Account", "Subject",
                        "Destination", "SetupTime", "AnswerTime", "Usage", "ExtraFields",
                        "CostSource", "Cost", "CostDetails", "ExtraInfo", "PreRated"}


def test_external_cdr_of_data_has_usage_in_units() -> None:
    assert make_call(1, tor="*data", usage=2048).to_external()["Usage"] == "2048"


def test_unrated_cdr_has_cost_minus_one_and_null_details() -> None:
    ext = make_call(1, cost=Decimal(-1)).to_external()
    assert ext["Cost"] == Decimal(-1) and ext["CostDetails"] == "null"


def test_json_text_writes_decimals_as_exact_numbers() -> None:
    value = {"a": [Decimal("0.1"), Decimal("10.500"), 3, None, True, "é\""]}
    assert json_text(value) == '{"a":[0.1,10.5,3,null,true,"é\\""]}'
    assert json.loads(json_text(value), parse_float=Decimal)["a"][1] == Decimal("10.5")


def test_stored_cdr_round_trips_through_every_store(any_store: Store) -> None:
    cdr = make_call(1, extra_fields={"cgr_reqtype": "*prepaid"},
                    cost_details={"Charges": [{"Cost": Decimal("0.01")}], "Usage": 67})
    any_store.append_cdrs([cdr.to_doc()])
    docs, _ = any_store.query_cdrs(store_query(filter_from_args({}, v1=False, now_ns=T0,
                                                                 tz=UTC)))
    assert [Cdr.from_doc(d) for d in docs] == [cdr]


# -- *cdrlog ---------------------------------------------------------------------------

def test_cdrlog_template_overrides_defaults_with_the_seed_extra_parameters() -> None:
    template = build_template('{"Category":"^activation","Destination":"Your sign up Bonus"}')
    values = {"BalanceType": "*monetary", "Tenant": "cgrates.org", "Account": "Nick_Test_123",
              "ActionValue": "99"}
    cdr = cdrlog_cdr(values=values, template=template, run_id="*topup", origin_id="u1",
                     now_ns=T0)
    assert (cdr.Category, cdr.Destination, cdr.ToR, cdr.Account, cdr.Subject) == (
        "activation", "Your sign up Bonus", "*monetary", "Nick_Test_123", "Nick_Test_123")
    assert (cdr.Cost, cdr.RequestType, cdr.OriginHost, cdr.Source) == (
        Decimal(99), "*none", "127.0.0.1", "*cdrlog")
    assert (cdr.RunID, cdr.Usage, cdr.PreRated, cdr.SetupTime) == ("*topup", 1, True, T0)
    assert cgr_id("u1", "") == cdr.CGRID


@pytest.mark.parametrize(
    ("rule", "expected"),
    [("~Account", "1001"), ("^const", "const"), ("plain text", "plain text"),
     ("~Tenant;^:;~Account", "cgrates.org:1001"), ("~Unknown", "Unknown")])
def test_cdrlog_rules(rule: str, expected: str) -> None:
    assert render(rule, {"Account": "1001", "Tenant": "cgrates.org"}) == expected


def test_cdrlog_unknown_template_fields_go_to_extra_fields_and_bad_numbers_are_skipped() -> None:
    cdr = cdrlog_cdr(values={}, template={"Note": "^hi", "Cost": "^x", "Usage": "^7",
                                          "PreRated": "^false"},
                     run_id="*debit", origin_id="u2", now_ns=T0)
    assert cdr.ExtraFields == {"Note": "hi"}
    assert (cdr.Cost, cdr.Usage, cdr.PreRated) == (Decimal(-1), 7, True)


@pytest.mark.parametrize("text", ["{", "[1]", '{"a": 1}'])
def test_cdrlog_bad_extra_parameters_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_template(text)


def test_cdrlog_extra_data_overrides_the_template() -> None:
    template = build_template('{"Category":"^x"}', {"Category": "^y", "Cost": Decimal("1.5")})
    assert template["Category"] == "^y" and template["Cost"] == "1.5"


# -- GetCDRs filters ---------------------------------------------------------------------

@pytest.fixture
def stored(any_store: Store) -> Store:
    cdrs = [make_call(1), make_call(2, account="1002", destination="4930"),
            make_call(3, run_id="*rated", cost=Decimal(-1), usage=10 * SECOND),
            make_call(4, tenant="other.org", extra_fields={"vendor": "x"}),
            make_call(5, request_type="*postpaid", answer_time=None, usage=0)]
    any_store.append_cdrs([c.to_doc() for c in cdrs])
    return any_store


def origins(store: Store, args: dict[str, Any], v1: bool = False) -> list[str]:
    f = filter_from_args(args, v1=v1, now_ns=T0, tz=UTC)
    return [c.OriginID for c in find_cdrs(store, f)]


@pytest.mark.parametrize(
    ("args", "expected"),
    [({}, [1, 2, 3, 4, 5]),
     ({"Accounts": ["1002"]}, [2]),
     ({"Tenants": ["cgrates.org"], "Accounts": ["1001"]}, [1, 3, 5]),
     ({"NotTenants": ["cgrates.org"]}, [4]),
     ({"RunIDs": ["*rated"]}, [3]),
     ({"OriginIDs": ["call-2", "call-4"]}, [2, 4]),
     ({"DestinationPrefixes": ["49"]}, [2]),
     ({"NotDestinationPrefixes": ["10"]}, [2]),
     ({"RequestTypes": ["*postpaid"]}, [5]),
     ({"MinUsage": "1m"}, [1, 2, 4]),
     ({"MaxUsage": "10s"}, [5]),
     ({"MinCost": Decimal(0)}, [1, 2, 4, 5]),
     ({"Costs": ["-1"]}, [3]),
     ({"ExtraFields": {"vendor": ""}}, [4]),
     ({"NotExtraFields": {"vendor": "x"}}, [1, 2, 3, 5]),
     ({"AnswerTimeStart": "2023-11-14T22:13:24Z"}, [2, 3, 4]),
     ({"CreatedAtStart": str(T0 + 2 * SECOND), "CreatedAtEnd": str(T0 + 4 * SECOND)}, [2, 3]),
     ({"OrderIDStart": T0 + 4 * SECOND}, [4, 5]),
     ({"Limit": 2, "Offset": 1}, [2, 3]),
     ({"OrderBy": "OrderID;desc", "Limit": 2}, [5, 4]),
     ({"OrderBy": "Usage"}, [5, 3, 1, 2, 4])],
)
def test_v2_filters_select_the_documented_cdrs(stored: Store, args: dict[str, Any],
                                               expected: list[int]) -> None:
    assert origins(stored, args) == [f"call-{n}" for n in expected]


@pytest.mark.parametrize(
    ("args", "expected"),
    [({"CgrIds": [cgr_id("call-2", "10.0.0.1")]}, [2]),
     ({"MediationRunIds": ["*default"], "ReqTypes": ["*prepaid"]}, [1, 2, 4]),
     ({"SkipErrors": True}, [1, 2, 4, 5]),
     ({"TimeStart": "2023-11-14 22:13:23", "TimeEnd": "2023-11-14T22:13:25Z"}, [1, 2])],
)
def test_v1_attr_get_cdrs_filters(stored: Store, args: dict[str, Any], expected: list[int]) -> None:
    assert origins(stored, args, v1=True) == [f"call-{n}" for n in expected]


def test_count_ignores_limit(stored: Store) -> None:
    f = filter_from_args({"Tenants": ["cgrates.org"], "Limit": 1}, v1=False, now_ns=T0, tz=UTC)
    assert count_cdrs(stored, f) == 4


@pytest.mark.parametrize("args", [{"AnswerTimeStart": "yesterday"}, {"MinUsage": "ten"},
                                  {"OrderBy": "Colour"}, {"MinCost": "x"}])
def test_bad_filters_are_server_errors(args: dict[str, Any]) -> None:
    with pytest.raises(ServerError):
        filter_from_args(args, v1=False, now_ns=T0, tz=UTC)


def test_tenant_and_account_lists_become_an_indexed_store_query() -> None:
    f = filter_from_args({"Tenants": ["t"], "Accounts": ["a", "b"], "CGRIDs": ["x"]},
                         v1=False, now_ns=T0, tz=UTC)
    q = store_query(f)
    assert (q.accounts, q.cgr_ids) == (("t:a", "t:b"), ("x",))
