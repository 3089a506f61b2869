"""The wire codec: exact numbers, Go-style times, stream splitting, both envelopes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from agent.rpc import envelope, jsonvalue
from agent.rpc.errors import ParseError
from agent.rpc.framing import Frame, JsonSplitter, StreamBroken


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.1", Decimal("0.1")),
        ("12", 12),
        ("-3", -3),
        ("1e2", Decimal("1E+2")),
        ("0.30000000000000004", Decimal("0.30000000000000004")),
    ],
)
def test_numbers_parse_as_int_or_exact_decimal(text: str, expected: object) -> None:
    value = jsonvalue.loads(text)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", "[1, NaN]"])
def test_non_finite_constants_are_rejected(text: str) -> None:
    with pytest.raises(ParseError):
        jsonvalue.loads(text)


def test_integer_beyond_the_digit_limit_is_a_parse_error_not_a_crash() -> None:
    with pytest.raises(ParseError):
        jsonvalue.loads("1" * 5000)


@pytest.mark.parametrize("text", ["1e9999999999999999999", '{"id": -1E-99999999999999999999}'])
def test_numbers_beyond_decimal_range_are_a_parse_error(text: str) -> None:
    with pytest.raises(ParseError, match="number out of range"):
        jsonvalue.loads(text)


def test_invalid_utf8_is_a_parse_error_naming_the_byte() -> None:
    with pytest.raises(ParseError, match="invalid UTF-8 at byte 8"):
        jsonvalue.loads(b'{"a": "\xff"}'[:0] + b'{"a": "x\xff"}')


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("0.1") + Decimal("0.2"), "0.3"),
        (Decimal("10.00000"), "10"),
        (Decimal("0.60000"), "0.6"),
        (Decimal("-0.0"), "0"),
        (Decimal("1E+2"), "100"),
        (Decimal("1.5E-7"), "0.00000015"),
        (Decimal("1E+40"), "1E+40"),
        (Decimal("123456789012345678.123456"), "123456789012345678.123456"),
    ],
)
def test_decimals_are_written_as_exact_json_numbers(value: Decimal, text: str) -> None:
    assert jsonvalue.dumps(value) == text
    assert Decimal(text) == value


def test_written_decimals_never_pass_through_float() -> None:
    value = Decimal("0.1000000000000000055511151231257827")
    assert jsonvalue.dumps({"Cost": value}) == '{"Cost":0.1000000000000000055511151231257827}'


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (datetime(2014, 8, 4, 13, 0, tzinfo=UTC), '"2014-08-04T13:00:00Z"'),
        (
            datetime(2014, 8, 4, 13, 0, 0, 865119, tzinfo=timezone(timedelta(hours=11))),
            '"2014-08-04T13:00:00.865119+11:00"',
        ),
        (
            datetime(
                2014, 8, 4, 13, 0, 0, 500000, tzinfo=timezone(timedelta(hours=-5, minutes=-30))
            ),
            '"2014-08-04T13:00:00.5-05:30"',
        ),
    ],
)
def test_times_are_written_as_go_rfc3339(value: datetime, text: str) -> None:
    assert jsonvalue.dumps(value) == text


def test_objects_with_to_json_are_written_as_their_json_form() -> None:
    class Result:
        def to_json(self) -> dict[str, object]:
            return {"Cost": Decimal("0.5"), "Usage": 60_000_000_000}

    assert jsonvalue.dumps([Result()]) == '[{"Cost":0.5,"Usage":60000000000}]'


def test_output_is_ascii_and_valid_json_for_any_string() -> None:
    name = 'Zürich \u2028 "quoted" \\ \U0001f600 \x00'
    text = jsonvalue.dumps({"name": name})
    assert text.isascii()
    assert json.loads(text) == {"name": name}


# -- framing --------------------------------------------------------------------------


def _split(chunks: list[bytes], max_bytes: int = 1 << 20) -> list[Frame]:
    splitter = JsonSplitter(max_bytes)
    frames: list[Frame] = []
    for chunk in chunks:
        frames += splitter.feed(chunk)
    return frames


def test_an_object_split_across_reads_is_one_frame() -> None:
    text = b'{"method":"APIerSv1.Ping","params":[{"a":"x}\\"{"}],"id":1}'
    for cut in range(1, len(text)):
        frames = _split([text[:cut], text[cut:]])
        assert frames == [Frame(text)], cut


def test_a_request_split_into_single_bytes_is_one_frame() -> None:
    text = b'{"id": "a\\\\", "method": "X.Y", "params": [{"k": ["]", "}"]}]}'
    assert _split([bytes([b]) for b in text]) == [Frame(text)]


def test_several_objects_in_one_read_with_or_without_whitespace() -> None:
    one, two, three = b'{"id":1}', b'{"id":2}', b'{"id":3}'
    frames = _split([one + two + b"\n\r\t " + three + b"\n"])
    assert [f.data for f in frames] == [one, two, three]


def test_a_top_level_array_is_one_frame() -> None:
    assert _split([b' [{"id":1},{"id":2}] ']) == [Frame(b'[{"id":1},{"id":2}]')]


def test_bytes_that_cannot_start_an_object_break_the_stream() -> None:
    with pytest.raises(StreamBroken, match="expected a JSON object"):
        _split([b'{"id":1} garbage'])


def test_an_object_over_the_size_limit_breaks_the_stream_before_it_ends() -> None:
    splitter = JsonSplitter(max_bytes=100)
    with pytest.raises(StreamBroken, match="larger than 100 bytes"):
        splitter.feed(b'{"x":"' + b"a" * 200)


def test_nesting_beyond_the_limit_is_a_rejected_frame_and_the_stream_goes_on() -> None:
    deep = b"[" * 100 + b"]" * 100
    splitter = JsonSplitter(max_bytes=10_000, max_depth=64)
    frames = splitter.feed(deep + b'{"id":2}')
    assert frames[0].error == "nesting deeper than 64 levels"
    assert frames[1] == Frame(b'{"id":2}')


def test_deep_nesting_far_beyond_the_recursion_limit_never_reaches_the_parser() -> None:
    deep = b'{"id":1,"params":' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    frames = _split([deep], max_bytes=1 << 20)
    assert frames[0].error is not None


def test_half_a_request_at_close_is_reported() -> None:
    splitter = JsonSplitter(100)
    splitter.feed(b'{"id":')
    assert splitter.pending
    with pytest.raises(StreamBroken):
        splitter.finish()


# -- envelopes ------------------------------------------------------------------------


@pytest.mark.parametrize("raw_id", ["1", '"abc"', "null", "1.50", '{"x":[1]}', "-7"])
def test_the_id_is_echoed_verbatim(raw_id: str) -> None:
    doc = jsonvalue.loads(f'{{"method":"X.Y","params":[{{}}],"id":{raw_id}}}')
    request = envelope.parse_request(doc)
    reply = envelope.encode(envelope.result_reply(envelope.reply_to(doc), "OK"))
    assert reply == f'{{"id":{raw_id.replace(" ", "")},"result":"OK","error":null}}\n'.encode()
    assert request.method == "X.Y"


def test_an_absent_id_is_answered_with_null() -> None:
    doc = jsonvalue.loads('{"method":"X.Y","params":[{}]}')
    reply = envelope.result_reply(envelope.reply_to(doc), 1)
    assert reply == {"id": None, "result": 1, "error": None}


def test_go_and_2_0_reply_shapes() -> None:
    go = envelope.ReplyTo(id=5)
    v2 = envelope.ReplyTo(id=5, v2=True)
    error = ParseError("bad")
    assert envelope.error_reply(go, error) == {"id": 5, "result": None, "error": "bad"}
    assert envelope.error_reply(v2, error) == {
        "jsonrpc": "2.0",
        "id": 5,
        "error": {"code": -32700, "message": "bad"},
    }
    assert envelope.result_reply(v2, "OK") == {"jsonrpc": "2.0", "id": 5, "result": "OK"}


def test_the_first_params_element_is_the_argument_and_missing_params_are_marked() -> None:
    first = envelope.parse_request({"method": "X.Y", "params": [{"a": 1}, {"b": 2}]})
    empty = envelope.parse_request({"method": "X.Y", "params": []})
    absent = envelope.parse_request({"method": "X.Y"})
    null = envelope.parse_request({"method": "X.Y", "params": None})
    assert first.params == {"a": 1}
    assert empty.params is None
    assert absent.params is envelope.MISSING and null.params is envelope.MISSING


def test_addressing_is_recovered_from_text_that_does_not_parse() -> None:
    to = envelope.reply_to_text(b'{"jsonrpc": "2.0", "id": 42, "method": x}')
    assert to == envelope.ReplyTo(id=42, v2=True)
    assert envelope.reply_to_text(b"{]") == envelope.ReplyTo()
