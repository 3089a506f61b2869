"""Types of record other than *voice: SMS counts and data volumes (units are "nanoseconds")."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from rating.calldesc import CallDescriptor
from rating.engine import Engine

from .support import balance, cd, make_engine, put_account, values, write_plan

ACC = "cgrates.org:1001"
PLAN = {
    "Timings.csv": "DAY,*any,*any,*any,*any,08:00:00\nNIGHT,*any,*any,*any,*any,00:00:00",
    "Destinations.csv": "DST_SMS,44\nDST_NET,*data",
    "Rates.csv": ("RT_SMS,0,0.1,1,1,0\nRT_DATA,0,0.01,1024,1024,0\n"
                  "RT_SMS_NIGHT,0,0.05,1,1,0"),
    "DestinationRates.csv": ("DR_DAY,DST_SMS,RT_SMS,*up,4,0,\nDR_DAY,DST_NET,RT_DATA,*up,4,0,\n"
                             "DR_NIGHT,DST_SMS,RT_SMS_NIGHT,*up,4,0,"),
    "RatingPlans.csv": "RP,DR_DAY,DAY,10\nRP,DR_NIGHT,NIGHT,10",
    "RatingProfiles.csv": "cgrates.org,sms,1001,2014-01-01T00:00:00Z,RP,\n"
                          "cgrates.org,data,1001,2014-01-01T00:00:00Z,RP,",
}


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return make_engine(folder=write_plan(tmp_path, PLAN))


def sms(count: int, **fields: Any) -> CallDescriptor:
    call = cd("447700900123", 0, Category="sms", ToR="*sms", **fields)
    call.TimeEnd = call.TimeStart + count  # one SMS = one unit of "duration"
    return call


def test_sms_units_are_consumed_one_per_message(engine: Engine) -> None:
    put_account(engine.store, ACC, {"*sms": [balance("s", 10)],
                                    "*monetary": [balance("m", 1)]})
    cc = engine.debit(sms(3), debit_id="d1")
    assert cc.Cost == 0
    assert values(engine, "1001") == {"s": Decimal(7), "m": Decimal(1)}


def test_sms_are_paid_with_money_when_units_run_out(engine: Engine) -> None:
    put_account(engine.store, ACC, {"*sms": [balance("s", 1)],
                                    "*monetary": [balance("m", 1)]})
    cc = engine.debit(sms(3), debit_id="d1")
    assert cc.Cost == Decimal("0.2")
    assert values(engine, "1001") == {"s": Decimal(0), "m": Decimal("0.8")}


def test_sms_max_usage_counts_messages(engine: Engine) -> None:
    put_account(engine.store, ACC, {"*monetary": [balance("m", "0.35")]})
    assert engine.max_session_time(sms(10)) == 3


def test_non_voice_calls_keep_the_rate_in_force_at_their_start(engine: Engine) -> None:
    # a "long" SMS batch starting 07:59:59 is priced at the night rate throughout
    batch = sms(5, start="2014-08-04T07:59:59Z")
    assert engine.get_cost(batch).Cost == Decimal("0.25")


def test_data_volume_is_rated_in_its_increments(engine: Engine) -> None:
    put_account(engine.store, ACC, {"*monetary": [balance("m", 20)]})
    session = cd("*data", 0, Category="data", ToR="*data", Destination="*data")
    session.TimeEnd = session.TimeStart + 1_048_576  # 1 MiB
    assert engine.get_cost(session).Cost == Decimal("10.24")
    session.TimeEnd = session.TimeStart + 1000  # rounded up to one 1024-byte increment
    cc = engine.debit(session, debit_id="d1")
    assert (cc.Cost, cc.rated_usage) == (Decimal("0.01"), 1024)


def test_data_balance_with_factor(engine: Engine) -> None:
    put_account(engine.store, ACC, {"*data": [balance("d", 100, RatingSubject="*zero1024",
                                                      Factor={"*data": "1024"})]})
    session = cd("*data", 0, Category="data", ToR="*data", Destination="*data")
    session.TimeEnd = session.TimeStart + 10 * 1024
    engine.debit(session, debit_id="d1")
    assert values(engine, "1001") == {"d": Decimal(90)}  # ten KiB = ten units
