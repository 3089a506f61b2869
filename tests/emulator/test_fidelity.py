"""The emulator against the FreeSWITCH 1.11.1 captures: same messages, headers, order, texts.

What is normalised and what is compared is documented (in one place) in fidelity.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agent.emulator import Emulator
from agent.freeswitch import wire

from . import captures
from .fidelity import Client, compare
from .replay import Replay

# A 1 s HEARTBEAT keeps skipping ahead in small steps (the captures saw one now and then).
FAST = {"scheduler_tick": 0.05, "heartbeat_interval": 1.0, "hostname": "emulator"}


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(**FAST) as fs:
        yield fs


# Replies that raced FreeSWITCH's SQL thread, compared with the sibling capture's reply to the
# same command instead (fidelity.py explains): (capture, reply index) -> (sibling, index).
RACY_REPLIES = {("05_call_answer_park_json", 16): ("05_call_answer_park_plain", 16)}


def _racy(name: str) -> dict[int, wire.Message]:
    out = {}
    for (capture, index), (sibling, other) in RACY_REPLIES.items():
        if capture == name:
            out[index] = [m for m in captures.messages(sibling) if not m.is_event][other]
    return out


def assert_same(client: Client, name: str, unloads_from: str | None = None) -> None:
    unloads = list(captures.messages(unloads_from)) if unloads_from else []
    problems = compare(list(client.messages), list(captures.messages(name)),
                       captures.commands(name), _racy(name), unloads)
    assert not problems, f"{name}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("name", [
    "01_auth_ok", "02_auth_bad", "03_cmd_before_auth", "03b_auth_timeout", "04_api_idle",
    "05_call_answer_park_plain", "05_call_answer_park_json",
    "06_call_park_unanswered_plain", "06_call_park_unanswered_json",
    "07_call_bridge_plain", "07_call_bridge_json",
    "08_prepaid_sched_hangup_plain", "08_prepaid_sched_hangup_json",
    "09_sched_hangup_cancel_plain",
])
def test_emulator_answers_like_the_capture(emulator: Emulator, name: str) -> None:
    client = Replay(emulator, name).run()
    try:
        assert_same(client, name)
    finally:
        client.close()
