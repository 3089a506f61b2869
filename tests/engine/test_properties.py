"""Properties of charging that must hold for any account and call (hypothesis)."""

from __future__ import annotations

import itertools
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rating import charging
from rating.accounts import Account
from rating.calldesc import CallDescriptor
from rating.timeutil import SECOND

from .support import balance, cd, make_engine, put_account, values, write_plan

PLAN = {
    "Destinations.csv": "D_EXACT,1\nD_THIRDS,2\nD_MINUTE,3\nD_CAP,4",
    "Rates.csv": ("R_EXACT,0.05,0.6,60s,1s,0s\nR_EXACT,0,0.3,60s,1s,60s\n"
                  "R_THIRDS,0.1,0.1,60s,1s,0s\nR_THIRDS,0,0.07,60s,1s,30s\n"
                  "R_MINUTE,0.4,0.2,60s,60s,0s\nR_MINUTE,0,0.1,60s,1s,60s\n"
                  "R_CAP,0,0.6,60s,1s,0s"),
    "DestinationRates.csv": ("DR,D_EXACT,R_EXACT,*up,4,0,\nDR,D_THIRDS,R_THIRDS,*up,4,0,\n"
                             "DR,D_MINUTE,R_MINUTE,*up,4,0,\nDR,D_CAP,R_CAP,*up,4,0.35,*disconnect"),
    "RatingPlans.csv": "RP,DR,*any,10",
    "RatingProfiles.csv": "cgrates.org,call,*any,2014-01-01T00:00:00Z,RP,",
}
ENGINE = make_engine(folder=write_plan(Path(tempfile.mkdtemp()) / "plan", PLAN))
TUTORIAL_ENGINE = make_engine()
IDS = itertools.count()
ACC = "cgrates.org:p"

amounts = st.decimals(min_value=Decimal("0"), max_value=Decimal("15"), places=2)
money_balances = st.lists(amounts, min_size=0, max_size=3)
destinations = st.sampled_from(["100", "200", "300", "400"])
seconds = st.integers(min_value=1, max_value=3600)
voice_seconds = st.one_of(st.none(), st.integers(min_value=1, max_value=600))
starts = st.sampled_from(["2014-08-04T13:00:00Z", "2014-08-04T18:59:30Z",
                          "2014-08-08T23:58:00Z", "2014-08-09T10:00:00Z"])
FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


def setup(moneys: list[Decimal], voice: int | None) -> dict[str, Decimal]:
    bals = {"*monetary": [balance(f"m{i}", v, Weight=str(10 - i)) for i, v in enumerate(moneys)]}
    if voice is not None:
        bals["*voice"] = [balance("v", voice * SECOND)]
    put_account(ENGINE.store, ACC, bals)
    return values(ENGINE, "p")


def call(destination: str, secs: int | Decimal, start: str = "2014-08-04T13:00:00Z",
         **fields: Any) -> CallDescriptor:
    return cd(destination, secs, subject="p", start=start, **fields)


@FAST
@given(money_balances, voice_seconds, destinations, seconds)
def test_refunding_all_increments_of_a_debit_restores_the_account(
        moneys: list[Decimal], voice: int | None, destination: str, secs: int) -> None:
    before = setup(moneys, voice)
    cc = ENGINE.debit(call(destination, secs), debit_id=f"d{next(IDS)}")
    refund = CallDescriptor(Tenant="cgrates.org", Account="p", Increments=cc.increments())
    ENGINE.refund_increments(refund, refund_id=f"r{next(IDS)}")
    after = values(ENGINE, "p")
    assert {k: v for k, v in after.items() if k in before} == before
    assert all(v == 0 for k, v in after.items() if k not in before)  # a *default made to go <0


@FAST
@given(money_balances, voice_seconds, destinations, seconds)
def test_max_usage_then_max_debit_never_overdraws(moneys: list[Decimal], voice: int | None,
                                                  destination: str, secs: int) -> None:
    setup(moneys, voice)
    granted = ENGINE.max_session_time(call(destination, secs))
    assert 0 <= granted <= secs * SECOND
    if granted:
        cc = ENGINE.max_debit(call(destination, Decimal(granted) / SECOND),
                              debit_id=f"d{next(IDS)}")
        assert cc.rated_usage >= granted
    assert all(v >= 0 for v in values(ENGINE, "p").values())
    ENGINE.max_debit(call(destination, secs), debit_id=f"d{next(IDS)}")
    assert all(v >= 0 for v in values(ENGINE, "p").values())


@FAST
@given(money_balances, destinations, seconds)
def test_granted_time_is_what_the_money_pays(moneys: list[Decimal], destination: str,
                                             secs: int) -> None:
    setup(moneys, None)
    granted = ENGINE.max_session_time(call(destination, secs))
    cc = ENGINE.max_debit(call(destination, secs), debit_id=f"d{next(IDS)}")
    assert min(cc.rated_usage, secs * SECOND) == granted


@FAST
@given(st.sampled_from(["1002", "1003", "1004", "1005", "+4915123", "+4930123"]),
       st.sampled_from(["1001", "1002", "1003"]), starts,
       st.integers(min_value=1, max_value=7200), st.integers(min_value=0, max_value=600))
def test_cost_never_falls_as_the_call_gets_longer(destination: str, subject: str, start: str,
                                                  secs: int, more: int) -> None:
    def cost(n: int) -> Decimal:
        return TUTORIAL_ENGINE.get_cost(cd(destination, n, subject=subject, start=start)).Cost

    try:
        shorter = cost(secs)
    except Exception as exc:  # destinations a subject does not serve
        assert str(exc) == "UNAUTHORIZED_DESTINATION"
        return
    assert cost(secs + more) >= shorter


@FAST
@given(st.sampled_from(["100", "200"]),
       st.lists(st.integers(min_value=1, max_value=90), min_size=1, max_size=12))
def test_a_call_debited_in_chunks_costs_what_one_debit_costs(destination: str,
                                                             chunks: list[int]) -> None:
    total = sum(chunks)
    setup([Decimal(50)], None)
    whole = ENGINE.debit(call(destination, total), debit_id=f"d{next(IDS)}").Cost
    setup([Decimal(50)], None)
    start = 1_407_157_200 * SECOND
    paid = Decimal(0)
    for index, chunk in enumerate(chunks):
        done = sum(chunks[:index])
        piece = CallDescriptor(Tenant="cgrates.org", Category="call", Subject="p", Account="p",
                               Destination=destination, TimeStart=start + done * SECOND,
                               TimeEnd=start + (done + chunk) * SECOND,
                               DurationIndex=(done + chunk) * SECOND, LoopIndex=Decimal(index))
        paid += ENGINE.debit(piece, debit_id=f"d{next(IDS)}").Cost
    assert values(ENGINE, "p")["m0"] == 50 - paid
    if destination == "100":  # 0.01/s and 0.005/s are exact at 5 decimals
        assert paid == whole
    else:  # 0.1/60 s and 0.07/60 s: each span's increment cost is rounded (SPEC.md B.4)
        assert abs(paid - whole) <= Decimal("0.00001") * total


@FAST
@given(money_balances, voice_seconds, destinations, seconds, st.booleans())
def test_max_debit_equals_a_debit_of_the_granted_usage(moneys: list[Decimal],
                                                       voice: int | None, destination: str,
                                                       secs: int, blocker: bool) -> None:
    # MaxDebit keeps a clean dry run instead of recomputing it: check it is the same thing
    setup(moneys, voice)
    doc = ENGINE.store.get_account(ACC)
    assert doc is not None
    if blocker and doc["BalanceMap"]["*monetary"]:
        doc["BalanceMap"]["*monetary"][0]["Blocker"] = True
    request = ENGINE.prepare(call(destination, secs))
    tariffs, settings = ENGINE.tariffs(), ENGINE.settings
    fast = Account.from_doc(doc)
    fast_cc = charging.max_debit(fast, tariffs, request, settings, new_uuid="u")
    slow = Account.from_doc(doc)
    granted = charging.max_session_time(slow, tariffs, request, settings, new_uuid="u")
    if granted == 0:
        assert fast_cc.Timespans == [] and fast.to_doc() == slow.to_doc()
        return
    shortened = request.copy(TimeEnd=request.TimeStart + granted, DurationIndex=granted)
    slow_cc = charging.debit(slow, tariffs, shortened, settings, dry_run=False,
                             go_negative=False, new_uuid="u")
    assert fast_cc.to_json() == slow_cc.to_json()
    assert fast.to_doc() == slow.to_doc()
