"""rating/legacy.py: the 2012 CallDescriptor and CallCost, the 2013 names, as tables."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from rating import legacy, money
from rating.calldesc import CallDescriptor
from rating.engine import Engine
from rating.errors import ServerError
from rating.store.memory import MemoryStore
from rating.timeutil import SECOND, parse_rfc3339

from .support import TARIFF_PLAN

START = parse_rfc3339("2012-02-02T17:30:00Z")[0]
HOUR = 3600 * SECOND


@pytest.mark.parametrize(("raw", "old"), [
    ({"CstmId": "vdf"}, True),
    ({"DestinationPrefix": "0256"}, True),
    ({"Amount": 1}, True),
    ({"amount": Decimal("1.5")}, True),  # Go matches names case-insensitively
    ({"cstmID": "vdf"}, True),
    ({"Tor": 0}, True),
    ({"TOR": 1}, True),
    ({"ToR": 0}, False),  # v0.10's spelling: a text, so a number is a type error there
    ({"TOR": "*voice"}, False),
    ({"Tor": True}, False),
    ({"CstmId": None, "Tenant": "t"}, False),
    ({"Tenant": "cgrates.org", "Destination": "1003", "Direction": "*out"}, False),
    ("vdf", False),
    (None, False),
])
def test_a_request_is_old_when_it_uses_a_name_only_2012_had(raw: Any, old: bool) -> None:
    assert legacy.is_old_call(raw) is old


@pytest.mark.parametrize(("tor", "category", "expected", "reply"), [
    ("", "", "call", 0),
    ("0", "", "call", 0),
    ("1", "", "1", 1),
    ("sms", "", "sms", "sms"),
    ("0", "premium", "premium", 0),
])
def test_tor_selects_the_category_and_is_echoed_as_sent(tor: str, category: str, expected: str,
                                                       reply: Any) -> None:
    call = legacy.OldCall(tor=tor, category=category)
    assert call.category_or("call") == expected
    assert call.tor_reply() == reply


@pytest.mark.parametrize(("text", "direction"), [
    ("", "*out"), ("OUT", "*out"), ("out", "*out"), ("*out", "*out"), ("OUTBOUND", "*out"),
    ("IN", "*in"), ("*in", "*in"), ("inbound", "*in"),
])
def test_directions_of_every_era_map_to_out_and_in(text: str, direction: str) -> None:
    assert legacy.normal_direction(text) == direction


def test_an_unknown_direction_is_refused_with_the_accepted_values() -> None:
    with pytest.raises(ServerError) as info:
        legacy.normal_direction("sideways")
    assert str(info.value) == "SERVER_ERROR: Direction 'sideways': use OUT or IN"


@pytest.mark.parametrize(("seconds", "ns"), [
    (Decimal(100), 100 * SECOND), (Decimal("1.5"), 1_500_000_000), (Decimal(0), 0),
    (Decimal("0.000000001"), 1),
])
def test_seconds_become_whole_nanoseconds(seconds: Decimal, ns: int) -> None:
    assert legacy.seconds_to_ns(seconds) == ns
    assert legacy.ns_to_seconds(ns) == seconds


@pytest.mark.parametrize("seconds", [Decimal("-1"), Decimal("0.0000000001")])
def test_negative_or_sub_nanosecond_seconds_are_refused(seconds: Decimal) -> None:
    with pytest.raises(ServerError):
        legacy.seconds_to_ns(seconds)


def test_minus_one_stays_minus_one_for_unlimited() -> None:
    assert legacy.ns_to_seconds(-1) == -1


def test_old_names_map_to_the_v0_10_call_descriptor() -> None:
    call = legacy.OldCall(tor="0", tenant="vdf", subject="rif", destination="0256",
                          direction="OUT", time_start=START, time_end=START + HOUR)
    cd = legacy.call_descriptor(call, tor_kind="*voice", now_ns=0, default_category="call")
    assert (cd.Tenant, cd.Category, cd.Subject, cd.Account, cd.Destination, cd.ToR,
            cd.Direction, cd.TimeStart, cd.duration) == (
        "vdf", "call", "rif", "", "0256", "*voice", "*out", START, HOUR)


@pytest.mark.parametrize(("start", "end", "usage", "expected"), [
    (None, None, None, (1000, 1000)),  # no times: a zero-length call starting now
    (START, None, None, (START, START)),
    (START, START + HOUR, None, (START, START + HOUR)),
    (START, START + HOUR, 100 * SECOND, (START, START + 100 * SECOND)),  # Amount wins
    (None, None, 5 * SECOND, (1000, 1000 + 5 * SECOND)),
])
def test_missing_times_default_to_now_and_a_requested_usage_sets_the_end(
        start: int | None, end: int | None, usage: int | None, expected: tuple[int, int]) -> None:
    call = legacy.OldCall(time_start=start, time_end=end)
    cd = legacy.call_descriptor(call, tor_kind="*voice", now_ns=1000, default_category="call",
                                usage_ns=usage)
    assert (cd.TimeStart, cd.TimeEnd) == expected


def test_an_end_before_the_start_is_refused() -> None:
    call = legacy.OldCall(time_start=START, time_end=START - 1)
    with pytest.raises(ServerError):
        legacy.call_descriptor(call, tor_kind="*voice", now_ns=0, default_category="call")


@pytest.mark.parametrize(("amount", "usage"), [
    (None, None), (Decimal(0), None), (Decimal(100), 100 * SECOND),
])
def test_amount_is_the_requested_usage_in_seconds(amount: Decimal | None,
                                                  usage: int | None) -> None:
    assert legacy.requested_usage(legacy.OldCall(amount=amount)) == usage


# -- the old CallCost of real ratings --------------------------------------------------------

@pytest.fixture(scope="module")
def engine() -> Engine:
    engine = Engine(MemoryStore(), clock=lambda: datetime(2026, 1, 1, tzinfo=UTC),
                    new_id=lambda: str(uuid.uuid4()))
    assert engine.load_folder(str(TARIFF_PLAN)).ok
    return engine


def _rated(engine: Engine, dest: str, duration: int) -> Any:
    return engine.get_cost(CallDescriptor(Tenant="vdf", Subject="rif", Destination=dest,
                                          TimeStart=START, TimeEnd=START + duration))


def test_the_old_call_cost_has_exactly_the_documented_fields(engine: Engine) -> None:
    cc = _rated(engine, "0256", HOUR)
    old = legacy.old_call_cost(cc, legacy.OldCall(tor="0"))
    assert list(old) == ["TOR", "CstmId", "Subject", "DestinationPrefix", "Cost", "ConnectFee",
                         "Timespans"]
    assert (old["TOR"], old["CstmId"], old["Subject"], old["DestinationPrefix"]) == (
        0, "vdf", "rif", "0256")


@pytest.mark.parametrize(("dest", "duration", "cost", "fee"), [
    ("0256", HOUR, Decimal(36), Decimal("0.1")),  # 0.01/s and a 0.1 connect fee
    ("0257", HOUR, Decimal(72), Decimal(0)),  # 1.2/min in whole minutes
    ("0257", 61 * SECOND, Decimal("2.4"), Decimal(0)),  # 61 s cost two minutes
    ("0256", 0, Decimal(0), Decimal(0)),  # a zero-length call
])
def test_old_cost_excludes_the_connect_fee_and_both_add_up_to_the_v0_10_cost(
        engine: Engine, dest: str, duration: int, cost: Decimal, fee: Decimal) -> None:
    cc = _rated(engine, dest, duration)
    old = legacy.old_call_cost(cc, legacy.OldCall())
    assert (old["Cost"], old["ConnectFee"]) == (cost, fee)
    assert old["Cost"] + old["ConnectFee"] == cc.Cost


def test_old_timespans_carry_the_rate_but_no_increment_lists(engine: Engine) -> None:
    old = legacy.old_call_cost(_rated(engine, "0256", HOUR), legacy.OldCall())
    (span,) = old["Timespans"]
    assert span == {
        "TimeStart": "2012-02-02T17:30:00Z", "TimeEnd": "2012-02-02T18:30:00Z",
        "Cost": Decimal(36), "CallDuration": Decimal(3600),
        "Interval": {"StartTime": "00:00:00", "Weight": Decimal(10),
                     "ConnectFee": Decimal("0.1"), "Price": Decimal("0.6"),
                     "PricedUnits": Decimal(60), "RateIncrements": Decimal(1),
                     "RoundingMethod": "*up", "RoundingDecimals": 4},
        "MinuteInfo": None}


@pytest.mark.parametrize("dest", ["0256", "0257"])
def test_the_documented_one_hour_call_fits_one_4096_byte_read(engine: Engine, dest: str) -> None:
    old = legacy.old_call_cost(_rated(engine, dest, HOUR), legacy.OldCall(tor="0"))
    reply = json.dumps({"id": 1, "result": money.jsonable(old), "error": None})
    assert len(reply.encode()) < 1024
    assert '"Increments"' not in reply and '"CompressFactor"' not in reply


# -- 2013 management names --------------------------------------------------------------------

@pytest.mark.parametrize(("balance_id", "btype"), [
    ("MONETARY", "*monetary"), ("SMS", "*sms"), ("INTERNET", "*data"),
    ("INTERNET_TIME", "*generic"), ("MINUTES", "*voice"), ("minutes", "*voice"),
])
def test_2013_balance_ids_name_v0_10_balance_types(balance_id: str, btype: str) -> None:
    assert legacy.is_old_balance_id(balance_id)
    assert legacy.balance_type(balance_id) == btype


@pytest.mark.parametrize("balance_id", ["*monetary", "free_sms", "", "CREDIT"])
def test_other_balance_ids_are_not_2013_types(balance_id: str) -> None:
    assert not legacy.is_old_balance_id(balance_id)
    with pytest.raises(ServerError):
        legacy.balance_type(balance_id)


@pytest.mark.parametrize(("btype", "api", "stored"), [
    ("*voice", Decimal(100), Decimal(100 * SECOND)),
    ("*generic", Decimal("1.5"), Decimal(1_500_000_000)),
    ("*monetary", Decimal("1.5"), Decimal("1.5")),
    ("*sms", Decimal(3), Decimal(3)),
])
def test_time_balances_are_seconds_in_the_old_api_and_nanoseconds_stored(
        btype: str, api: Decimal, stored: Decimal) -> None:
    assert legacy.to_stored_units(btype, api) == stored
    assert legacy.from_stored_units(btype, stored) == api


@pytest.mark.parametrize(("text", "negative"), [
    ("*prepaid", False), ("prepaid", False), ("*postpaid", True), ("POSTPAID", True),
])
def test_account_types_set_allow_negative(text: str, negative: bool) -> None:
    assert legacy.allows_negative(text) is negative


def test_an_unknown_account_type_is_refused() -> None:
    with pytest.raises(ServerError):
        legacy.allows_negative("*rated")


@pytest.mark.parametrize(("text", "v010"), [
    ("", "*max_event_counter"), ("*max_counter", "*max_event_counter"),
    ("*min_counter", "*min_event_counter"), ("*min_balance", "*min_balance"),
])
def test_2013_threshold_types_map_to_v0_10(text: str, v010: str) -> None:
    assert legacy.threshold_type(text) == v010
