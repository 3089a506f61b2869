"""Timings: daily windows, weights, takeovers and time zones (SPEC.md B.1, B.3)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rating.engine import Engine
from rating.errors import UnauthorizedDestination
from rating.timeutil import SECOND

from .support import balance, cd, make_engine, put_account, values, write_plan

PLAN = {
    "Timings.csv": ("DAY,*any,*any,*any,*any,08:00:00;18:59:59\n"
                    "HAPPY_HOUR,*any,*any,*any,*any,12:00:00;12:59:59\n"
                    "MORNING_ONLY,*any,*any,*any,*any,06:00:00;09:59:59\n"
                    "SUNDAY,*any,*any,*any,0,00:00:00"),
    "Destinations.csv": "D,1\nD_GAP,2",
    "Rates.csv": ("R_DAY,0,0.6,60s,1s,0s\nR_NIGHT,0,0.3,60s,1s,0s\n"
                  "R_HAPPY,0,0.06,60s,1s,0s\nR_SUNDAY,0,0,60s,1s,0s"),
    "DestinationRates.csv": ("DR_DAY,D,R_DAY,*up,4,0,\nDR_NIGHT,D,R_NIGHT,*up,4,0,\n"
                             "DR_HAPPY,D,R_HAPPY,*up,4,0,\nDR_SUN,D,R_SUNDAY,*up,4,0,\n"
                             "DR_GAP,D_GAP,R_DAY,*up,4,0,"),
    "RatingPlans.csv": ("RP,DR_DAY,DAY,10\nRP,DR_NIGHT,*any,0\nRP,DR_HAPPY,HAPPY_HOUR,20\n"
                        "RP,DR_SUN,SUNDAY,30\nRP,DR_GAP,MORNING_ONLY,10"),
    "RatingProfiles.csv": "cgrates.org,call,*any,2014-01-01T00:00:00Z,RP,",
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return make_engine(folder=write_plan(tmp_path_factory.mktemp("tm") / "p", PLAN))


@pytest.mark.parametrize(("start", "seconds", "cost"), [
    ("2014-08-04T10:00:00Z", 60, "0.6"),  # day rate (0.01/s)
    ("2014-08-04T20:00:00Z", 60, "0.3"),  # night: only the weight-0 *any interval
    # the day window includes 18:59:59 and ends at 19:00:00
    ("2014-08-04T18:59:00Z", 120, "0.9"),
    # happy hour (weight 20) starts in the middle of a day-rate span and takes over
    ("2014-08-04T11:59:30Z", 60, "0.33"),
    # and gives way again at 13:00
    ("2014-08-04T12:59:30Z", 60, "0.33"),
    # Sunday (weight 30) from midnight: the Saturday-night part is 0.005/s, Sunday free
    ("2014-08-09T23:59:00Z", 120, "0.3"),
])
def test_rates_follow_the_timings_in_force(engine: Engine, start: str, seconds: int,
                                           cost: str) -> None:
    assert engine.get_cost(cd("100", seconds, start=start)).Cost == Decimal(cost)


def test_timings_are_read_in_the_zone_the_call_time_was_given_in(engine: Engine) -> None:
    # the same instant: 18:00 in UTC is day, 20:00 at +02:00 is night (Go evaluates a
    # time.Time in its own location)
    utc = engine.get_cost(cd("100", 60, start="2014-08-04T18:00:00Z"))
    local = engine.get_cost(cd("100", 60, start="2014-08-04T20:00:00+02:00"))
    assert (utc.Cost, local.Cost) == (Decimal("0.6"), Decimal("0.3"))
    assert local.to_json()["Timespans"][0]["TimeStart"] == "2014-08-04T20:00:00+02:00"


def test_a_call_that_outlives_every_timing_is_unauthorized(engine: Engine) -> None:
    # D_GAP is only priced 06:00-10:00; a call from 09:59 runs past it
    assert engine.get_cost(cd("200", 30, start="2014-08-04T09:59:00Z")).Cost == Decimal("0.3")
    with pytest.raises(UnauthorizedDestination):
        engine.get_cost(cd("200", 120, start="2014-08-04T09:59:00Z"))
    with pytest.raises(UnauthorizedDestination):
        engine.get_cost(cd("200", 30, start="2014-08-04T12:00:00Z"))


def test_unit_balances_with_timings_are_used_only_while_active(engine: Engine) -> None:
    sunday = {"Years": [], "Months": [], "MonthDays": [], "WeekDays": [1],
              "StartTime": "00:00:00", "EndTime": ""}
    put_account(engine.store, "cgrates.org:1001", {
        "*voice": [balance("monday_minutes", 600 * SECOND, Timings=[sunday])],
        "*monetary": [balance("m", 10)]})
    engine.debit(cd("100", 60, start="2014-08-05T10:00:00Z"), debit_id="tuesday")
    assert values(engine, "1001") == {"monday_minutes": Decimal(600 * SECOND),
                                      "m": Decimal("9.4")}
    engine.debit(cd("100", 60, start="2014-08-04T10:00:00Z"), debit_id="monday")
    assert values(engine, "1001") == {"monday_minutes": Decimal(540 * SECOND),
                                      "m": Decimal("9.4")}


def test_midnight_splits_voice_spans(engine: Engine) -> None:
    cc = engine.get_cost(cd("100", 120, start="2014-08-04T23:59:00Z"))
    assert [ts.end - ts.start for ts in cc.Timespans] == [60 * SECOND, 60 * SECOND]
    assert cc.Timespans[0].duration_index == 60 * SECOND
