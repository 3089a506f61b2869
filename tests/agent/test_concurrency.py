"""Many calls on one account never get more talk time than the account can pay."""

from __future__ import annotations

import math
from decimal import Decimal

from agent.emulator import Emulator
from rating.store.base import Store

from .support import balance, cdrs, set_balance

CALLS = 20


def test_twenty_calls_on_one_account_share_exactly_its_three_minutes(
        fs: Emulator, store: Store, rig_factory) -> None:
    set_balance(store, "1001", "1.80")  # 180 s at 1 cent per second
    rig = rig_factory(debit_interval="500ms")
    calls = [fs.place_call("1001", "1002", talk_seconds=60) for _ in range(CALLS)]
    for call in calls:
        call.wait_complete(timeout=30)
    for call in calls:
        rig.wait_settled(call.uuid)
    assert balance(store, "1001") == Decimal("0")
    billed = [math.ceil(int(c.variables["billmsec"]) / 1000) for c in calls]
    assert sum(billed) == 180  # every paid second was talked, none more
    costs = [Decimal(c["Cost"]) for c in cdrs(store, "1001")]
    assert len(costs) == CALLS and sum(costs) == Decimal("1.80")
    assert all(c.hangup_cause == "MANAGER_REQUEST" for c in calls)
