"""Every capture parses into exactly the messages its transcript lists, plain and JSON alike."""

from __future__ import annotations

import json

import pytest

from agent.freeswitch import wire

from .captures import NAMES, commands, messages, received, rx, summary, tx


@pytest.mark.parametrize("name", NAMES)
def test_capture_parses_into_the_messages_its_transcript_lists(name: str) -> None:
    expected = received(name)
    got = messages(name)
    assert len(got) == len(expected)
    offset = 0
    for message, line in zip(got, expected, strict=True):
        framed = len(wire.frame(list(message.headers), message.body))
        assert (offset, framed) == (line.offset, line.length), line
        assert summary(message) == line.summary
        offset += framed
    assert offset == len(rx(name))


@pytest.mark.parametrize("name", NAMES)
def test_capture_parses_the_same_when_it_arrives_in_small_pieces(name: str) -> None:
    parser = wire.MessageParser()
    data = rx(name)
    got = []
    for start in range(0, len(data), 7):
        got += parser.feed(data[start:start + 7])
    assert got == list(messages(name))
    assert parser.buffered == 0


@pytest.mark.parametrize("name", NAMES)
def test_every_captured_event_reencodes_to_the_same_bytes(name: str) -> None:
    """The encoders reproduce FreeSWITCH's URL-encoding, JSON and Content-Length exactly."""
    for message in messages(name):
        if not message.is_event:
            continue
        event = wire.parse_event(message)
        headers = [(k, v) for k, v in event.headers if k != "Content-Length"]
        if message.content_type == wire.EVENT_PLAIN:
            body = wire.encode_plain_event(headers, event.body)
        else:
            body = wire.encode_json_event(headers, event.body)
        assert body == message.body
        framed = wire.frame(list(message.headers), message.body)
        assert wire.frame_event(body, event.format) == framed


@pytest.mark.parametrize("name", NAMES)
def test_client_side_splits_into_commands_that_reencode_to_the_same_bytes(name: str) -> None:
    data = tx(name)
    got = commands(name)
    assert b"".join(wire.encode_command(c.line, c.headers, c.body) for c in got) == data


def _events(name: str) -> list[wire.Event]:
    return [wire.parse_event(m) for m in messages(name) if m.is_event]


@pytest.mark.parametrize("kind", ["05_call_answer_park", "06_call_park_unanswered",
                                  "07_call_bridge", "08_prepaid_sched_hangup"])
def test_plain_and_json_captures_of_one_call_decode_to_the_same_channel_events(kind: str) -> None:
    def shapes(name: str) -> list[tuple[str, list[str]]]:
        return sorted((e.name, [k for k, _ in e.headers]) for e in _events(name) if e.unique_id)
    assert shapes(f"{kind}_plain") == shapes(f"{kind}_json")


def test_json_events_keep_duplicate_keys_and_the_dict_view_keeps_the_last() -> None:
    events = _events("05_call_answer_park_json")
    complete = [e for e in events if e.name == "CHANNEL_HANGUP_COMPLETE"]
    assert complete and all(len(e.get_all("Hangup-Cause")) == 2 for e in complete)
    codec = next(e for e in events if e.name == "CODEC"
                 and e.get_all("Channel-Write-Codec-Name"))
    assert codec.get_all("Channel-Write-Codec-Name") == ["L16", "L16"]
    assert codec["Channel-Write-Codec-Name"] == "L16"


def test_private_command_dict_view_sees_the_last_event_name_and_lookups_the_first() -> None:
    event = next(e for e in _events("05_call_answer_park_plain") if e.name == "PRIVATE_COMMAND")
    assert event.get_all("Event-Name") == ["COMMAND", "PRIVATE_COMMAND"]
    assert event.first("event-name") == "COMMAND"


def test_plain_event_values_are_url_decoded_and_the_job_body_kept_raw() -> None:
    events = _events("05_call_answer_park_plain")
    job = next(e for e in events if e.name == "BACKGROUND_JOB")
    assert job.body is not None and job.body.startswith("+OK ") and job.body.endswith("\n")
    assert job["Content-Length"] == str(len(job.body))
    create = next(e for e in events if e.name == "CHANNEL_CREATE")
    assert create.variable("cgr_reqtype") == "*prepaid"
    assert create["Event-Date-GMT"].endswith(" GMT")


def test_plain_and_json_bodies_of_background_job_agree() -> None:
    plain = next(e for e in _events("04_api_idle") if e.name == "BACKGROUND_JOB")
    assert plain.body is not None and plain.body.startswith("UP ")
    as_json = next(e for e in _events("05_call_answer_park_json") if e.name == "BACKGROUND_JOB")
    raw = json.loads(next(m.body for m in messages("05_call_answer_park_json")
                          if m.is_event and b'"BACKGROUND_JOB"' in m.body))
    assert as_json.body == raw["_body"]
