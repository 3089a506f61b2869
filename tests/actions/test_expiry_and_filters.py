"""ExpiryTime keywords resolved at execution time, and action Filter conditions."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from rating.action_model import resolve_expiry
from rating.balances import Balance
from rating.errors import ServerError
from rating.structmatch import balance_fields, matches, parse_condition
from rating.timeutil import ZERO_TIME_NS, to_ns

NOW = datetime(2026, 1, 31, 10, 0, 0, tzinfo=UTC)


def at(text: str, zone: ZoneInfo | None = None) -> int:
    return to_ns(datetime.fromisoformat(text).replace(tzinfo=zone or UTC))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", ZERO_TIME_NS), ("*unlimited", ZERO_TIME_NS),
     ("*now", at("2026-01-31 10:00:00")),
     ("+720h", at("2026-03-02 10:00:00")),
     ("*daily", at("2026-02-01 10:00:00")),
     ("*monthly", at("2026-03-03 10:00:00")),  # Go AddDate: Jan 31 + 1 month = Mar 3
     ("*month", at("2026-03-03 10:00:00")),
     ("*month+1h", at("2026-03-03 11:00:00")),
     ("*yearly", at("2027-01-31 10:00:00")),
     ("*month_end", at("2026-01-31 23:59:59")),
     ("*month_end+24h", at("2026-02-01 23:59:59")),
     ("2026-05-01T00:00:00Z", at("2026-05-01 00:00:00")),
     ("2026-05-01 12:00:00", at("2026-05-01 12:00:00")),
     ("1780000000", 1_780_000_000 * 10**9),
     ("next week", None), ("*month_endish", None), ("+soon", None)],
)
def test_expiry_time_keywords(text: str, expected: int | None) -> None:
    assert resolve_expiry(text, to_ns(NOW), UTC) == expected


def test_month_end_is_the_last_second_of_the_month_in_the_configured_zone() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    assert resolve_expiry("*month_end", to_ns(NOW), berlin) == \
        at("2026-01-31 23:59:59", berlin)


B = Balance("u1", "*default", Decimal(-3), ExpirationDate=to_ns(NOW) - 1, Weight=Decimal(10),
            DestinationIDs={"NAT": True})


@pytest.mark.parametrize(
    ("condition", "expected"),
    [('{"Value":{"*lt":0}}', True), ('{"Value":{"*gte":0}}', False),
     ('{"*and":[{"Value":{"*lt":0}},{"Id":{"*eq":"*default"}}]}', True),
     ('{"*or":[{"Value":{"*gt":0}},{"ID":"*default"}]}', True),
     ('{"*not":[{"ID":"*default"}]}', False), ('{"ExpirationDate":{"*exp":true}}', True),
     ('{"DestinationIDs":{"*has":["NAT"]}}', True), ('{"Type":"*monetary"}', True),
     ('{"Weight":10,"Disabled":false}', True), ('{"Blocker":{"*gt":0}}', False),
     ('{"ExpirationDate":{"*lt":"2027-01-01T00:00:00Z"}}', True)],
)
def test_filter_conditions(condition: str, expected: bool) -> None:
    cond = parse_condition(condition)
    assert matches(cond, balance_fields("*monetary", B), to_ns(NOW)) is expected


@pytest.mark.parametrize("condition", ["[]", '{"Colour":1}', '{"Value":{"*near":0}}',
                                       '{"*and":{"Value":1}}', "{"])
def test_bad_filter_conditions_are_refused(condition: str) -> None:
    with pytest.raises(ServerError):
        parse_condition(condition)
