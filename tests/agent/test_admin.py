"""SessionSv1 over the agent, shutdown behaviour, announcements and metrics."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agent import metrics as process_metrics
from agent.emulator import Emulator
from agent.freeswitch.admin import SessionsAdmin
from agent.freeswitch.agent import SESSION_KIND
from agent.freeswitch.filters import FilterError, parse_filter
from agent.freeswitch.resume import shutdown
from rating.store.base import Store
from tests.support.net import wait_for

from .support import Rig, balance, set_balance, sleep


def test_active_sessions_are_listed_counted_and_filtered_like_cgrates(
        fs: Emulator, store: Store, rig_factory) -> None:
    set_balance(store, "1001", "1.00")
    set_balance(store, "1002", "1.00")
    rig = rig_factory()
    admin = SessionsAdmin(rig.agent)
    calls = [fs.place_call("1001", "1002", talk_seconds=5),
             fs.place_call("1002", "1002", talk_seconds=5)]
    for call in calls:
        call.wait_answered(timeout=5)
    wait_for(lambda: len([s for s in admin.active_sessions() if s["Usage"]]) == 2, timeout=3,
             what="two debited sessions")
    [mine] = admin.active_sessions("", ["*string:~*req.Account:1001"], None)
    assert (mine["OriginID"], mine["OriginHost"], mine["RequestType"], mine["ToR"]) == (
        calls[0].uuid, "fs1", "*prepaid", "*voice")
    assert mine["Usage"] > 0 and mine["DebitInterval"] == 400_000_000
    assert admin.active_sessions_count("", ["*prefix:~Account:100"]) == 2
    assert admin.active_sessions("cgrates.org", ["*string:~Account:1003"], None) == []
    assert len(admin.active_sessions("", [], 1)) == 1
    assert admin.passive_sessions() == []


def test_force_disconnect_cuts_the_matching_calls_only(fs: Emulator, store: Store,
                                                      rig_factory) -> None:
    set_balance(store, "1001", "1.00")
    set_balance(store, "1002", "1.00")
    rig = rig_factory()
    admin = SessionsAdmin(rig.agent)
    cut, kept = (fs.place_call("1001", "1002", talk_seconds=3),
                 fs.place_call("1002", "1002", talk_seconds=1.5))
    cut.wait_answered(timeout=5)
    kept.wait_answered(timeout=5)
    wait_for(lambda: admin.active_sessions_count() == 2, timeout=3, what="two sessions")
    assert admin.force_disconnect("", ["*string:~*req.Account:1001"]) == 1
    assert cut.wait_hangup(timeout=3) == "MANAGER_REQUEST"
    assert kept.wait_hangup(timeout=5) == "NORMAL_CLEARING"


def test_sync_sessions_runs_a_sync_now(fs: Emulator, store: Store, rig_factory) -> None:
    rig = rig_factory(channel_sync_interval="1h")
    rounds = rig.agent.syncs["fs1"].rounds
    SessionsAdmin(rig.agent).sync_sessions()
    assert rig.agent.syncs["fs1"].rounds > rounds


@pytest.mark.parametrize("text", ["*string", "string:~A:1", "*regex:~A:x", "*string:~A"])
def test_a_filter_that_cannot_be_read_is_refused(text: str) -> None:
    with pytest.raises(FilterError):
        parse_filter(text)


@pytest.mark.parametrize(("text", "fields", "matches"), [
    ("*string:~*req.Account:1001;1002", {"Account": "1002"}, True),
    ("*notstring:~Account:1001", {"Account": "1001"}, False),
    ("*suffix:~Destination:02", {"Destination": "1002"}, True),
    ("*gte:~Usage:10", {"Usage": 10}, True),
    ("*lt:~Usage:10", {"Usage": "abc"}, False),
    ("*exists:~Subject:", {"Subject": "x"}, True),
    ("*notexists:~Subject:", {"Subject": "x"}, False),
    ("*empty:~Subject:", {"Subject": ""}, True),
])
def test_filters_match_like_cgrates_inline_filters(text: str, fields: dict[str, object],
                                                   matches: bool) -> None:
    assert parse_filter(text).matches(fields) is matches


def test_a_stopping_agent_tells_new_calls_why_and_leaves_live_calls_up(
        fs: Emulator, store: Store) -> None:
    set_balance(store, "1001", "1.00")
    rig = Rig([fs], store, shutdown_notify="SERVICE_UNAVAILABLE").start()
    live = fs.place_call("1001", "1002", talk_seconds=3)
    live.wait_answered(timeout=5)
    rig.idle()
    shutdown(rig.agent, 1.0)  # what SIGTERM does before the connections close
    late = fs.place_call("1001", "1002", talk_seconds=3)
    assert late.wait_hangup(timeout=5) == "CALL_REJECTED"
    assert any(c.endswith("cgr_notify SERVICE_UNAVAILABLE") for _, c in late.commands)
    rig.stop()
    assert store.get(SESSION_KIND, f"fs1/{live.uuid}") is not None  # persisted for a restart
    sleep(0.5)
    assert not live.seen("CHANNEL_HANGUP")  # nobody hung it up


def test_hangup_on_shutdown_ends_live_prepaid_calls(fs: Emulator, store: Store) -> None:
    set_balance(store, "1001", "1.00")
    rig = Rig([fs], store, hangup_on_shutdown=True).start()
    call = fs.place_call("1001", "1002", talk_seconds=30)
    call.wait_answered(timeout=5)
    rig.idle()
    rig.stop(timeout=3)
    assert call.wait_hangup(timeout=3) == "MANAGER_REQUEST"


def test_low_balance_is_announced_once_when_little_talk_time_remains(
        fs: Emulator, store: Store, rig_factory) -> None:
    set_balance(store, "1001", "0.03")
    rig_factory(low_balance_warning="5s", low_balance_ann_file="/sounds/low.wav")
    call = fs.place_call("1001", "1002", talk_seconds=1.5)
    call.wait_complete(timeout=5)
    assert [c for _, c in call.commands if "uuid_broadcast" in c] == [
        f"api uuid_broadcast {call.uuid} /sounds/low.wav aleg"]


def test_with_an_empty_balance_context_the_call_is_transferred_there_not_hung_up(
        fs: Emulator, store: Store, rig_factory) -> None:
    set_balance(store, "1001", "0.02")
    rig_factory(empty_balance_context="callmeter_empty")
    call = fs.place_call("1001", "1002", talk_seconds=10)
    answered = call.wait_answered(timeout=5)
    sent_at, _ = call.wait_for(
        lambda: next(((t, c) for t, c in call.commands
                      if c.endswith("XML callmeter_empty") and "uuid_transfer" in c), None),
        timeout=6, what="the empty-balance transfer")
    assert abs(sent_at - (answered.wall + 2.0)) < 0.2
    assert not any("uuid_kill" in c for _, c in call.commands)
    assert any("execute_on_answer sched_transfer +" in c for _, c in call.commands)


def test_the_agent_exports_its_metrics(fs: Emulator, store: Store, rig_factory) -> None:
    set_balance(store, "1001", "0.02")
    rig = rig_factory()
    call = fs.place_call("1001", "1002", talk_seconds=5)
    call.wait_complete(timeout=6)
    rig.wait_settled(call.uuid)
    text = process_metrics.render().decode()
    for name in ("callmeter_fs_sessions_active", 'callmeter_fs_authorizations_total{result="ok"}',
                 'callmeter_fs_debits_total{result="short"}', "callmeter_fs_debit_seconds_bucket",
                 'callmeter_fs_hangups_total{reason="exhausted"}',
                 'callmeter_fs_connection_up{link="events",switch="fs1"} 1.0',
                 'callmeter_fs_reconnects_total{link="events",switch="fs1"}',
                 "callmeter_fs_event_queue_depth", 'callmeter_fs_syncs_total{result="ok"',
                 "callmeter_fs_cutoff_lateness_seconds_bucket"):
        assert name in text, name
    assert balance(store, "1001") == Decimal("0")
