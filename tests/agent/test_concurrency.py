"""Many calls on one account never get more talk time than the account can pay."""

from __future__ import annotations

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
    assert balance(store, "1001") == Decimal("0")  # all of it granted, nothing overdrawn
    paid = {c["OriginID"]: Decimal(c["Cost"]) / Decimal("0.01") for c in cdrs(store, "1001")}
    assert len(paid) == CALLS and sum(paid.values()) == 180  # seconds granted == balance
    for call in calls:  # each call ended when its own paid seconds did
        assert call.hangup_cause == "MANAGER_REQUEST"
        assert abs(int(call.variables["billmsec"]) - paid[call.uuid] * 1000) < 200
