"""GetCost: spans, increments, connect fee, rounding and MaxCost on worked examples.

Numbers are worked by hand from SPEC.md B.3-B.5a with the tutorial plan (D = 5 unless said).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from rating.calldesc import CallDescriptor
from rating.errors import (
    MaxUsageExceeded,
    RatingPlanNotFound,
    ServerError,
    UnauthorizedDestination,
)
from rating.timeutil import SECOND

from .support import cd, make_engine, write_plan

ENGINE = make_engine()


@pytest.mark.parametrize(("subject", "destination", "seconds", "start", "cost", "usage"), [
    # B.5a: fee 0.4 + first minute 0.2 + 70 s x round(round(70*0.1/60, 5)/70, 5) = 0.00167
    ("1001", "1002", 130, "2014-08-04T13:00:00Z", "0.7169", 130),
    # a 20 s call lasts (and costs) one whole 60 s increment
    ("1001", "1002", 20, "2014-08-04T13:00:00Z", "0.6", 60),
    ("1001", "1002", 60, "2014-08-04T13:00:00Z", "0.6", 60),
    # 61.5 s: [60, 62) at 1 s increments: 0.00333 / 2 = 0.001665 -> 0.00167 (*middle)
    ("1001", "1002", 61.5, "2014-08-04T13:00:00Z", "0.6034", 62),
    # 0.01 per second; MaxCost *disconnect does not limit GetCost
    ("1001", "1003", 30, "2014-08-04T13:00:00Z", "0.3", 30),
    # MaxCost 0.5 *free caps GetCost
    ("1001", "1004", 100, "2014-08-04T13:00:00Z", "0.5", 100),
    ("1001", "1004", 40, "2014-08-04T13:00:00Z", "0.4", 40),
    # prefix "10" (DST_FS): 30 s increments for the first minute, then 10 s:
    # 0.8 + 2 x 0.2 + [60, 80): 0.06667 / 2 = 0.033335 -> 0.03334 x 2 -> *up 4 = 1.2667
    ("1001", "1005", 75, "2014-08-04T13:00:00Z", "1.2667", 80),
    # RP_1002 on a Monday at 13:00 is PEAK: same as RP_1001
    ("1002", "1002", 130, "2014-08-04T13:00:00Z", "0.7169", 130),
    # ... at 20:00 OFFPEAK_EVENING: 0.2 + 0.1 + 70 x 0.00083 (0.05833 / 70) = 0.3581
    ("1002", "1002", 130, "2014-08-04T20:00:00Z", "0.3581", 130),
    # ... on Saturday OFFPEAK_WEEKEND
    ("1002", "1002", 130, "2014-08-09T13:00:00Z", "0.3581", 130),
    # ... early morning OFFPEAK_MORNING
    ("1002", "1002", 130, "2014-08-05T03:00:00Z", "0.3581", 130),
    # PEAK until 19:00, then the evening rate; the fee is the first span's (PEAK, 0.4)
    ("1002", "1002", 130, "2014-08-04T18:59:00Z", "0.6581", 130),
    # Friday 23:59:30 (evening rate, 60 s first increment) crosses midnight into Saturday:
    # the span stretches to 00:00:30 and swallows the Saturday part
    ("1002", "1002", 60, "2014-08-08T23:59:30Z", "0.3", 60),
    # fallback subject GERMANY: mobile prefix, 60 s increments, rounding *middle 2
    ("1003", "+4915112345", 90, "2014-08-04T13:00:00Z", "0.29", 120),
    ("1003", "+493012345", 59, "2014-08-04T13:00:00Z", "0.08", 60),
    # a subject without a profile uses *any (RP_1002)
    ("9999", "1002", 130, "2014-08-04T13:00:00Z", "0.7169", 130),
])
def test_get_cost_worked_examples(subject: str, destination: str, seconds: float, start: str,
                                  cost: str, usage: int) -> None:
    cc = ENGINE.get_cost(cd(destination, seconds, subject=subject, start=start))
    assert cc.Cost == Decimal(cost)
    assert cc.rated_usage == usage * SECOND


def test_get_cost_records_the_match_and_the_spans() -> None:
    cc = ENGINE.get_cost(cd("1002", 130))
    first, second = cc.Timespans
    assert (first.matched_subject, first.matched_prefix, first.matched_dest_id,
            first.rating_plan_id) == ("*out:cgrates.org:call:1001", "1002", "DST_1002", "RP_1001")
    assert (first.duration_index, second.duration_index) == (60 * SECOND, 130 * SECOND)
    fee, minute = first.increments
    assert (fee.duration, fee.cost, minute.duration, minute.cost) == (
        0, Decimal("0.4"), 60 * SECOND, Decimal("0.2"))
    (per_second,) = second.increments
    assert (per_second.duration, per_second.cost, per_second.count) == (
        SECOND, Decimal("0.00167"), 70)


def test_get_cost_json_has_the_responder_callcost_shape() -> None:
    shape = ENGINE.get_cost(cd("1002", 130)).to_json()
    assert list(shape) == ["Category", "Tenant", "Subject", "Account", "Destination", "ToR",
                           "Cost", "Timespans", "RatedUsage", "AccountSummary"]
    span = shape["Timespans"][1]
    assert span["TimeStart"] == "2014-08-04T13:01:00Z"
    assert span["Increments"] == [{"Duration": SECOND, "Cost": Decimal("0.00167"),
                                   "BalanceInfo": {"Unit": None, "Monetary": None,
                                                   "AccountID": ""},
                                   "CompressFactor": 70}]
    assert span["RateInterval"]["Rating"]["Rates"][1] == {
        "GroupIntervalStart": 60 * SECOND, "Value": Decimal("0.1"), "RateIncrement": SECOND,
        "RateUnit": 60 * SECOND}
    assert shape["RatedUsage"] == 130 * SECOND


def test_event_cost_sums_increments_without_destination_rate_rounding() -> None:
    # 1004 is capped at 0.5 by MaxCost *free in the CallCost, but the EventCost is the
    # plain sum of its increments, as APIerSv1.GetCost answers in CGRateS.
    ec = ENGINE.get_event_cost(cd("1004", 100))
    assert ec["Cost"] == Decimal("1")
    assert ec["Usage"] == 100 * SECOND
    charge = ec["Charges"][0]
    assert [i["Cost"] for i in charge["Increments"]] == [Decimal("0"), Decimal("0.01")]
    rating = ec["Rating"][charge["RatingID"]]
    assert rating["MaxCostStrategy"] == "*free"
    assert ec["RatingFilters"][rating["RatingFiltersID"]]["DestinationID"] == "DST_1004"


def test_event_cost_ids_are_stable_for_the_same_call() -> None:
    assert ENGINE.get_event_cost(cd("1002", 130)) == ENGINE.get_event_cost(cd("1002", 130))


def test_loop_index_above_zero_pays_no_connect_fee() -> None:
    cc = ENGINE.get_cost(cd("1002", 130, LoopIndex=Decimal(1)))
    assert cc.Cost == Decimal("0.3169")


def test_duration_index_keeps_group_interval_start_counting_from_call_start() -> None:
    # the 10 s after the first 100 s of a call: per-second rate, no fee
    call = cd("1002", 10, start="2014-08-04T13:01:40Z", LoopIndex=Decimal(1),
              DurationIndex=110 * SECOND)
    cc = ENGINE.get_cost(call)
    # offsets 100..110 s: the per-second row (0.1/60 s), not the first-minute row (0.2)
    assert cc.Cost == Decimal("0.0167")
    (span,) = cc.Timespans
    assert (span.increments[0].duration, span.increments[0].count) == (SECOND, 10)
    assert cc.rated_usage == 10 * SECOND


def test_zero_duration_costs_nothing_and_carries_the_match() -> None:
    cc = ENGINE.get_cost(cd("1002", 0))
    assert cc.Cost == 0
    (span,) = cc.Timespans
    assert span.duration == 0 and span.matched_dest_id == "DST_1002"


@pytest.mark.parametrize(("subject", "destination", "tenant", "error"), [
    ("1001", "2000", "cgrates.org", UnauthorizedDestination),  # own profile, no match
    ("1001", "1002", "other.org", RatingPlanNotFound),  # no profile, no *any
])
def test_rating_errors_are_cgrates_errors(subject: str, destination: str, tenant: str,
                                          error: type[Exception]) -> None:
    with pytest.raises(error):
        ENGINE.get_cost(cd(destination, 30, subject=subject, Tenant=tenant))


@pytest.mark.parametrize("seconds", [-1, 72 * 3600 + 1])
def test_negative_or_absurd_usage_is_max_usage_exceeded(seconds: int) -> None:
    with pytest.raises(MaxUsageExceeded) as err:
        ENGINE.get_cost(cd("1002", seconds))
    assert str(err.value) == "MAX_USAGE_EXCEEDED"


def test_a_call_before_any_activation_is_unauthorized() -> None:
    with pytest.raises(UnauthorizedDestination):
        ENGINE.get_cost(cd("1002", 60, start="2010-01-01T00:00:00Z"))


ACTIVATIONS = {
    "Destinations.csv": "DST_X,55",
    "Rates.csv": "RT_OLD,0,0.6,60s,1s,0s\nRT_NEW,0,1.2,60s,1s,0s\nRT_ANY,0,6,60s,1s,0s",
    "DestinationRates.csv": ("DR_OLD,DST_X,RT_OLD,*up,4,0,\nDR_NEW,DST_X,RT_NEW,*up,4,0,\n"
                             "DR_ANY,*any,RT_ANY,*up,4,0,"),
    "RatingPlans.csv": "RP_OLD,DR_OLD,*any,10\nRP_NEW,DR_NEW,*any,10\nRP_ANY,DR_ANY,*any,10",
    "RatingProfiles.csv": ("t,call,alice,2020-01-01T12:00:00Z,RP_OLD,\n"
                           "t,call,alice,2020-01-01T12:01:00Z,RP_NEW,\n"
                           "t,call,*any,2019-01-01T00:00:00Z,RP_ANY,"),
}


@pytest.fixture(scope="module")
def activations(tmp_path_factory: pytest.TempPathFactory) -> object:
    folder = write_plan(tmp_path_factory.mktemp("act") / "plan", ACTIVATIONS)
    return make_engine(folder=Path(folder))


@pytest.mark.parametrize(("start", "seconds", "cost"), [
    ("2020-01-01T12:00:00Z", 30, "0.3"),  # old plan: 0.01/s
    ("2020-01-01T12:00:30Z", 60, "0.9"),  # 30 s old + 30 s new (0.02/s)
    ("2020-01-01T12:05:00Z", 10, "0.2"),  # new plan only
    # before alice's first activation: the gap is rated by *any (0.1/s), then old plan
    ("2020-01-01T11:59:50Z", 20, "1.1"),
])
def test_calls_are_split_at_rating_plan_activations(activations: object, start: str,
                                                    seconds: int, cost: str) -> None:
    call = cd("55123", seconds, subject="alice", start=start, Tenant="t")
    assert activations.get_cost(call).Cost == Decimal(cost)  # type: ignore[attr-defined]


@pytest.mark.parametrize(("args", "cost"), [
    ({"Tenant": "cgrates.org", "Category": "call", "Subject": "1001", "Destination": "1002",
      "AnswerTime": "2014-08-04T13:00:00Z", "Usage": "2m10s"}, "0.7169"),
    ({"Subject": "1001", "Destination": "1002", "AnswerTime": "2014-08-04 13:00:00",
      "Usage": 130_000_000_000}, "0.7169"),
    ({"Account": "1001", "Destination": "1002", "SetupTime": "1407157200",
      "Usage": "60s", "ToR": "*voice", "RequestType": "*prepaid"}, "0.6"),
])
def test_api_usage_arguments_become_call_descriptors(args: dict[str, object],
                                                     cost: str) -> None:
    call = CallDescriptor.from_usage(args, now_ns=0)
    assert ENGINE.get_cost(call).Cost == Decimal(cost)


def test_api_usage_bare_numbers_are_nanoseconds_and_now_is_the_default_start() -> None:
    call = CallDescriptor.from_usage({"Usage": "60"}, now_ns=1_000)
    assert (call.TimeStart, call.duration) == (1_000, 60)


@pytest.mark.parametrize("args", [{"Usage": "soon"}, {"AnswerTime": "yesterday"},
                                  {"Tenant": 5}, []])
def test_bad_api_usage_arguments_are_server_errors(args: object) -> None:
    with pytest.raises(ServerError):
        CallDescriptor.from_usage(args, now_ns=0)  # type: ignore[arg-type]


@pytest.mark.parametrize("shape", [
    {"TimeStart": "yesterday"}, {"DurationIndex": "long"}, {"MaxRate": "cheap"},
    {"Tenant": 7}, {"DryRun": "yes"}, {"Increments": [1]}, "not an object",
])
def test_bad_call_descriptor_json_is_a_server_error(shape: object) -> None:
    with pytest.raises(ServerError) as err:
        CallDescriptor.from_json(shape)  # type: ignore[arg-type]
    assert str(err.value).startswith("SERVER_ERROR: ")


def test_call_descriptor_json_round_trips() -> None:
    call = cd("1002", 130, LoopIndex=Decimal(2), MaxCostSoFar=Decimal("0.1"),
              ExtraFields={"a": "b"}, DryRun=True)
    again = CallDescriptor.from_json(call.to_json())
    assert again.to_json() == call.to_json()


def test_increment_rounding_can_make_a_longer_call_cheaper(tmp_path: Path) -> None:
    # Same as CGRateS (SPEC.md B.4); documented in docs/compat.md.
    folder = write_plan(tmp_path, {
        "Destinations.csv": "D,1", "Rates.csv": "R,0,0.000894,60s,1s,0s",
        "DestinationRates.csv": "DR,D,R,*middle,6,0,", "RatingPlans.csv": "RP,DR,*any,10",
        "RatingProfiles.csv": "cgrates.org,call,*any,2014-01-01T00:00:00Z,RP,"})
    engine = make_engine(folder=folder)
    assert engine.get_cost(cd("100", 10)).Cost == Decimal("0.0002")
    assert engine.get_cost(cd("100", 11)).Cost == Decimal("0.00011")


def test_equal_prefix_destinations_pick_the_heavier_plan_entry(tmp_path: Path) -> None:
    folder = write_plan(tmp_path, {
        "Destinations.csv": "D_A,55\nD_B,55",
        "Rates.csv": "R_CHEAP,0,0.6,60s,1s,0s\nR_DEAR,0,1.2,60s,1s,0s",
        "DestinationRates.csv": "DR_A,D_A,R_CHEAP,*up,4,0,\nDR_B,D_B,R_DEAR,*up,4,0,",
        "RatingPlans.csv": "RP,DR_A,*any,10\nRP,DR_B,*any,20",
        "RatingProfiles.csv": "cgrates.org,call,*any,2014-01-01T00:00:00Z,RP,"})
    engine = make_engine(folder=folder)
    for _ in range(2):  # the second answer comes from the lookup memo
        cc = engine.get_cost(cd("5512", 10))
        assert (cc.Cost, cc.Timespans[0].matched_dest_id) == (Decimal("0.2"), "D_B")


@pytest.mark.parametrize(("subject", "destination", "cost"), [
    ("1001", "1002", "0.7169"), ("1001", "1003", "1.3"), ("1001", "1004", "0.5"),
    ("1001", "1005", "1.4334"), ("1002", "1002", "0.7169"), ("1003", "+4915123", "0.41"),
])
def test_the_tutorial_readme_prices(subject: str, destination: str, cost: str) -> None:
    assert ENGINE.get_cost(cd(destination, 130, subject=subject)).Cost == Decimal(cost)
