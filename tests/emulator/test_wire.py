"""The ESL wire format: framing, URL-encoding rules, events, commands."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.freeswitch import wire


@pytest.mark.parametrize(("value", "encoded"), [
    ("*prepaid", "*prepaid"),
    ("+AUTH_OK", "%2BAUTH_OK"),
    ("a,b/c(d).e-f_g", "a,b/c(d).e-f_g"),
    ("2026-11-21 23:48:39", "2026-11-21%2023%3A48%3A39"),
    ("fd00::2", "fd00%3A%3A2"),
    ("{a=b}&c", "%7Ba%3Db%7D%26c"),
    ('"Outbound Call" <default>', "%22Outbound%20Call%22%20%3Cdefault%3E"),
    ("line\r\nnext", "line%0D%0Anext"),
    ("tab\there", "tab%09here"),
    ("~'!$", "~'!$"),
    ("\x7f", "%7F"),
    ("é", "%C3%A9"),
    # switch_url_encode does not double-encode an escape with uppercase hex digits...
    ("50%41", "50%41"),
    # ...but lowercase hex, a lone % and a % at the end are escaped.
    ("50%4a", "50%254a"),
    ("100%", "100%25"),
    ("%2", "%252"),
])
def test_url_encode_escapes_what_freeswitch_escapes(value: str, encoded: str) -> None:
    assert wire.url_encode(value) == encoded


@given(st.text())
def test_url_decode_undoes_url_encode_unless_text_holds_an_uppercase_escape(text: str) -> None:
    if re.search(r"%[0-9A-F]{2}", text):
        return
    assert wire.url_decode(wire.url_encode(text)) == text


@given(st.lists(st.tuples(st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,20}", fullmatch=True),
                          st.text()), max_size=8),
       st.none() | st.text())
def test_plain_and_json_events_survive_a_round_trip(headers: list[tuple[str, str]],
                                                    body: str | None) -> None:
    headers = [(k, v) for k, v in headers if k != "Content-Length"
               and not re.search(r"%[0-9A-F]{2}", v)]
    plain = wire.parse_plain_event(wire.encode_plain_event(headers, body))
    as_json = wire.parse_json_event(wire.encode_json_event(headers, body))
    for event in (plain, as_json):
        assert [(k, v) for k, v in event.headers if k != "Content-Length"] == headers
        assert event.body == body


def test_message_parser_skips_blank_lines_between_messages_and_waits_for_the_body() -> None:
    parser = wire.MessageParser()
    assert parser.feed(b"\n\nContent-Type: api/response\nContent-Length: 5\n\nhel") == []
    (message,) = parser.feed(b"lo")
    assert message.content_type == "api/response" and message.body == b"hello"


@pytest.mark.parametrize("data", [b"Content-Length: x\n\n", b"no colon here\n\n",
                                  b"Content-Length: -1\n\n"])
def test_message_parser_rejects_what_is_not_esl(data: bytes) -> None:
    with pytest.raises(wire.WireError):
        wire.MessageParser().feed(data)


def test_message_parser_refuses_an_endless_header_block() -> None:
    parser = wire.MessageParser(max_header_block=100)
    with pytest.raises(wire.WireError):
        parser.feed(b"X: " + b"y" * 200)


def test_parse_messages_refuses_trailing_bytes() -> None:
    with pytest.raises(wire.WireError):
        wire.parse_messages(b"Content-Type: auth/request\n\nContent-Type: comm")


def test_command_parser_splits_like_read_packet() -> None:
    parser = wire.CommandParser()
    got = list(parser.feed(b"\r\nauth ClueCon\r\n\r\nbgapi status\nJob-UUID: abc\n\n"
                           b"sendevent CUSTOM\nContent-Length: 3\n\nxyz"))
    assert [c.line for c in got] == ["auth ClueCon", "bgapi status", "sendevent CUSTOM"]
    assert got[1].header("job-uuid") == "abc"
    assert got[2].body == b"xyz"


def test_encode_command_refuses_line_breaks_inside_a_command() -> None:
    with pytest.raises(wire.WireError):
        wire.encode_command("api status\nexit")
    with pytest.raises(wire.WireError):
        wire.encode_command("sendmsg", [("call-command", "hangup\n")])


def test_encode_command_adds_content_length_for_a_body() -> None:
    assert wire.encode_command("sendevent CUSTOM", [("A", "b")], "hi") == \
        b"sendevent CUSTOM\nA: b\nContent-Length: 2\n\nhi"


def test_api_response_and_disconnect_notice_put_content_type_first() -> None:
    assert wire.frame_api_response("+OK\n") == \
        b"Content-Type: api/response\nContent-Length: 4\n\n+OK\n"
    notice = wire.frame_disconnect_notice("bye\n", [("Controlled-Session-UUID", "u"),
                                                    ("Content-Disposition", "disconnect")])
    assert notice == (b"Content-Type: text/disconnect-notice\nControlled-Session-UUID: u\n"
                      b"Content-Disposition: disconnect\nContent-Length: 4\n\nbye\n")


def test_events_put_content_length_first() -> None:
    assert wire.frame_event(b"{}", "json") == \
        b"Content-Length: 2\nContent-Type: text/event-json\n\n{}"


def test_event_accessors() -> None:
    event = wire.parse_plain_event(b"Event-Name: CHANNEL_PARK\nUnique-ID: u1\nvariable_x: %2B1\n"
                                   b"Hangup-Cause: A\nHangup-Cause: B\n\n")
    assert (event.name, event.unique_id, event.variable("x")) == ("CHANNEL_PARK", "u1", "+1")
    assert event["Hangup-Cause"] == "B" and event.first("hangup-cause") == "A"
    assert event.get_all("Hangup-Cause") == ["A", "B"] and "Unique-ID" in event


def test_json_event_that_is_not_an_object_is_an_error() -> None:
    with pytest.raises(wire.WireError):
        wire.parse_json_event(b"[1, 2]")
    with pytest.raises(wire.WireError):
        wire.parse_json_event(b"{")
