"""The ESL link and switch connections against the emulator: deadlines, drops, reconnects."""

from __future__ import annotations

import gevent
import pytest

from agent.config import Address, FreeSwitchConnection
from agent.emulator import Emulator
from agent.freeswitch.backoff import Backoff
from agent.freeswitch.link import CommandTimeout, EslLink, LinkDown
from agent.freeswitch.switch import SwitchConnection, SwitchOptions
from agent.supervisor import Supervisor
from tests.support.net import wait_for


def _link(fs: Emulator, **kwargs: object) -> EslLink:
    link = EslLink(fs.host, fs.port, fs.password, timeout=1.0, **kwargs)  # type: ignore[arg-type]
    link.connect()
    gevent.spawn(link.read_forever)
    return link


def test_a_late_reply_goes_to_the_command_that_timed_out_not_to_the_next(fs: Emulator) -> None:
    link = _link(fs)
    release = fs.stall_replies("api status")
    with pytest.raises(CommandTimeout):
        link.api("status", timeout=0.3)
    release()
    assert link.api("uuid_exists 00000000-0000-0000-0000-000000000000") == "false"
    link.close("done")


def test_pending_commands_fail_at_once_when_the_connection_drops(fs: Emulator) -> None:
    link = _link(fs)
    release = fs.stall_replies("api status")
    waiting = gevent.spawn(link.api, "status", 5.0)
    gevent.sleep(0.1)
    fs.drop_connections()
    with pytest.raises(LinkDown):
        waiting.get(timeout=2)
    release()
    with pytest.raises(LinkDown):
        link.api("status")


def test_a_link_whose_replies_stall_is_dropped_so_it_can_reconnect(fs: Emulator) -> None:
    link = _link(fs, stall_limit=0.5)
    fs.stall_replies("api status")
    gevent.spawn(link.api, "status", 5.0)
    wait_for(lambda: not link.connected, timeout=3, what="the stalled link to close")
    assert link.down_reason == "no reply for 0.5s"


def test_commands_sent_together_run_in_order_and_each_gets_its_own_reply(fs: Emulator) -> None:
    link = _link(fs)
    replies = link.request_many([("api uuid_exists x", ()), ("api status", ()),
                                 ("api uuid_getvar x y", ())])
    assert replies[0].text() == "false"
    assert replies[1].text().startswith("UP ")
    assert replies[2].text().startswith("-ERR")
    link.close("done")


def test_the_switch_connection_reconnects_forever_and_says_so(fs: Emulator) -> None:
    supervisor = Supervisor()
    ups: list[str] = []
    conn = FreeSwitchConnection(Address(fs.host, fs.port), fs.password, "fsX")
    switch = SwitchConnection(conn, SwitchOptions(command_timeout=1.0, backoff_base=0.05,
                                                  backoff_cap=0.2), supervisor,
                              lambda alias, event: None, ups.append)
    switch.start()
    try:
        wait_for(lambda: switch.up and switch.state()["query"], timeout=5, what="connected")
        assert switch.api("uuid_exists x") == "false"
        fs.crash(down_for=0.5)
        wait_for(lambda: len(ups) >= 2 and switch.up, timeout=10, what="reconnected")
        wait_for(lambda: switch.api("uuid_exists x") == "false", timeout=5, what="commands")
    finally:
        switch.stop()
        supervisor.stop(timeout=1)


def test_backoff_doubles_up_to_its_cap_with_jitter_and_resets() -> None:
    backoff = Backoff(base=1.0, cap=8.0, rand=lambda: 1.0)
    assert [backoff.next() for _ in range(6)] == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    backoff.reset()
    low = Backoff(base=1.0, cap=8.0, rand=lambda: 0.0)
    assert [low.next(), backoff.next()] == [0.5, 1.0]
    with pytest.raises(ValueError):
        Backoff(base=0)
