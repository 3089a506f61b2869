"""The FreeSWITCH event-socket (ESL) wire format, shared by the emulator and the agent.

Pure code: bytes in, values out (and back). No sockets, no gevent, no clock.

What the wire looks like (tests/fixtures/freeswitch/README.txt, mod_event_socket.c):
- A message is a header block of ``Name: value\\n`` lines ended by a blank line, then, when
  the block has ``Content-Length``, exactly that many body bytes. ``auth/request`` and
  ``command/reply`` have no body; ``api/response``, events and disconnect notices do.
- A ``text/event-plain`` body is itself a header block whose values are URL-encoded
  (switch_event_serialize + switch_url_encode); BACKGROUND_JOB and friends add an inner
  ``Content-Length`` and that many raw bytes after the inner blank line.
- A ``text/event-json`` body is one flat JSON object (cJSON_PrintUnformatted) whose values are
  all strings, which may repeat a key, and which carries the body as ``_body``.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote

# Content types seen on the wire.
AUTH_REQUEST = "auth/request"
COMMAND_REPLY = "command/reply"
API_RESPONSE = "api/response"
EVENT_PLAIN = "text/event-plain"
EVENT_JSON = "text/event-json"
EVENT_XML = "text/event-xml"
DISCONNECT_NOTICE = "text/disconnect-notice"
RUDE_REJECTION = "text/rude-rejection"
LOG_DATA = "log/data"

EVENT_CONTENT_TYPES = frozenset({EVENT_PLAIN, EVENT_JSON, EVENT_XML})

# mod_event_socket reads at most 10 MiB of header block (read_packet's max_len); so do we,
# in both directions, so that a peer sending garbage cannot make us buffer without bound.
MAX_HEADER_BLOCK = 10 * 1024 * 1024
MAX_BODY = 64 * 1024 * 1024

Headers = list[tuple[str, str]]


class WireError(ValueError):
    """The byte stream is not ESL (a malformed header line, a bad Content-Length, ...)."""


# --------------------------------------------------------------------------- messages


def first_header(headers: Iterable[tuple[str, str]], name: str,
                 default: str | None = None) -> str | None:
    """The first value of name, case-insensitive (FreeSWITCH's switch_event_get_header)."""
    lowered = name.lower()
    for key, value in headers:
        if key.lower() == lowered:
            return value
    return default


@dataclass(frozen=True, slots=True)
class Message:
    """One framed ESL message as received: its outer header lines and its raw body."""

    headers: tuple[tuple[str, str], ...]
    body: bytes = b""

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first outer header called name (case-insensitive, as mod_event_socket looks up)."""
        return first_header(self.headers, name, default)

    @property
    def content_type(self) -> str:
        return self.get("Content-Type") or ""

    @property
    def reply_text(self) -> str | None:
        """Reply-Text of a command/reply (``+OK ...`` or ``-ERR ...``)."""
        return self.get("Reply-Text")

    @property
    def is_event(self) -> bool:
        return self.content_type in EVENT_CONTENT_TYPES

    def text(self) -> str:
        """The body as text (api/response bodies, notices); undecodable bytes replaced."""
        return self.body.decode("utf-8", errors="replace")


def split_header_block(block: bytes) -> Headers:
    """Parse ``Name: value`` lines (no URL decoding); the blank line must already be cut off.

    Like mod_event_socket (strip_cr, then ``strchr(var, ':')`` and skipping spaces), a
    ``\\r`` before ``\\n`` is tolerated and only spaces after the colon are dropped.
    """
    headers: Headers = []
    for raw in block.split(b"\n"):
        line = raw[:-1] if raw.endswith(b"\r") else raw
        if not line:
            continue
        name, colon, value = line.partition(b":")
        if not colon or not name:
            raise WireError(f"malformed header line {bytes(line[:80])!r}")
        headers.append((name.decode("utf-8", "replace"),
                        value.lstrip(b" ").decode("utf-8", "replace")))
    return headers


# The end of a header block. A leading "\r?" would make every search try each byte (12x
# slower on a 2 KB event); a "\r" left at the end of the block is dropped by the splitters.
_HEADER_END = re.compile(rb"\n\r?\n")


class MessageParser:
    """Incremental parser: feed it bytes as they arrive, get whole messages back.

    Leading blank lines between messages are skipped (FreeSWITCH's own reader does the
    same). A message is complete only when its whole body has arrived.
    """

    def __init__(self, max_header_block: int = MAX_HEADER_BLOCK, max_body: int = MAX_BODY) -> None:
        self._buf = bytearray()
        self._pending: tuple[tuple[tuple[str, str], ...], int] | None = None
        self._max_header_block = max_header_block
        self._max_body = max_body

    @property
    def buffered(self) -> int:
        """Bytes received but not yet part of a whole message."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[Message]:
        """Add received bytes; return every message they complete, in order."""
        self._buf += data
        out: list[Message] = []
        while True:
            message = self._next()
            if message is None:
                return out
            out.append(message)

    def _next(self) -> Message | None:
        if self._pending is None:
            while self._buf[:1] in (bytearray(b"\n"), bytearray(b"\r")):
                del self._buf[:1]
            match = _HEADER_END.search(self._buf)
            if match is None:
                if len(self._buf) > self._max_header_block:
                    raise WireError("header block too long")
                return None
            headers = tuple(split_header_block(bytes(self._buf[: match.start()])))
            del self._buf[: match.end()]
            self._pending = (headers, _content_length(headers, self._max_body))
        headers, length = self._pending
        if len(self._buf) < length:
            return None
        body = bytes(self._buf[:length])
        del self._buf[:length]
        self._pending = None
        return Message(headers, body)


def _content_length(headers: Iterable[tuple[str, str]], max_body: int) -> int:
    for name, value in headers:
        if name.lower() == "content-length":
            if not value.strip().isdigit():
                raise WireError(f"bad Content-Length {value!r}")
            length = int(value)
            if length > max_body:
                raise WireError(f"Content-Length {length} exceeds {max_body}")
            return length
    return 0


def parse_messages(data: bytes) -> list[Message]:
    """Every whole message in data (a capture, say); trailing partial bytes are an error."""
    parser = MessageParser()
    messages = parser.feed(data)
    if parser.buffered:
        raise WireError(f"{parser.buffered} trailing bytes do not form a whole message")
    return messages


# --------------------------------------------------------------------------- events


@dataclass(slots=True)
class Event:
    """A decoded FreeSWITCH event.

    ``headers`` keeps every header in wire order, duplicates included (CHANNEL_HANGUP_COMPLETE
    repeats Hangup-Cause; CODEC repeats the write codec). ``fields`` is the dict view where
    the LAST value of a repeated name wins, as JSON consumers of FreeSWITCH see it. The inner
    ``Content-Length`` stays in ``headers`` (it is on the wire in both formats); the body
    (BACKGROUND_JOB's job result, ...) is ``body``.
    """

    headers: Headers
    body: str | None = None
    format: str = "plain"
    _fields: dict[str, str] | None = field(default=None, repr=False, compare=False)

    @property
    def fields(self) -> dict[str, str]:
        if self._fields is None:
            self._fields = dict(self.headers)
        return self._fields

    def get(self, name: str, default: str | None = None) -> str | None:
        """The value of name (last one wins, exact case, like a JSON dict)."""
        return self.fields.get(name, default)

    def __getitem__(self, name: str) -> str:
        return self.fields[name]

    def __contains__(self, name: object) -> bool:
        return name in self.fields

    def get_all(self, name: str) -> list[str]:
        """Every value of name, in wire order."""
        return [value for key, value in self.headers if key == name]

    def first(self, name: str, default: str | None = None) -> str | None:
        """The first value of name, case-insensitive: what FreeSWITCH's own lookups return."""
        return first_header(self.headers, name, default)

    @property
    def name(self) -> str:
        return self.fields.get("Event-Name", "")

    @property
    def unique_id(self) -> str | None:
        return self.fields.get("Unique-ID")

    @property
    def subclass(self) -> str | None:
        return self.fields.get("Event-Subclass")

    def variable(self, name: str, default: str | None = None) -> str | None:
        """A channel variable as the event carries it (``variable_<name>``)."""
        return self.fields.get("variable_" + name, default)


def url_decode(value: str) -> str:
    """Undo switch_url_encode: %XX escapes back to bytes, read as UTF-8."""
    return unquote(value, errors="surrogateescape") if "%" in value else value


def parse_plain_event(body: bytes) -> Event:
    """Decode a text/event-plain body: URL-encoded headers, blank line, optional raw body."""
    match = _HEADER_END.search(body)
    if match is None:
        block, rest = body, b""
    else:
        block, rest = body[: match.start()], body[match.end():]
    headers = [(name, url_decode(value)) for name, value in split_header_block(block)]
    length = None
    for name, value in headers:
        if name == "Content-Length" and value.isdigit():
            length = int(value)
    text: str | None = None
    if length is not None:
        if len(rest) < length:
            raise WireError(f"event body shorter ({len(rest)}) than its Content-Length ({length})")
        text = rest[:length].decode("utf-8", errors="surrogateescape")
    return Event(headers, text, "plain")


def parse_json_event(body: bytes) -> Event:
    """Decode a text/event-json body, keeping duplicate keys in order."""
    try:
        # object_pairs_hook=tuple keeps every (key, value) pair, duplicates included, at C speed.
        pairs = json.loads(body.decode("utf-8", errors="surrogateescape"), object_pairs_hook=tuple)
    except ValueError as exc:
        raise WireError(f"event JSON does not parse: {exc}") from None
    if not isinstance(pairs, tuple):
        raise WireError("event JSON is not an object")
    headers: Headers = []
    text: str | None = None
    for name, value in pairs:
        if type(value) is not str:
            value = json.dumps(value)
        if name == "_body":
            text = value
        else:
            headers.append((name, value))
    return Event(headers, text, "json")


def parse_event(message: Message) -> Event:
    """Decode the event a text/event-plain or text/event-json message carries."""
    if message.content_type == EVENT_PLAIN:
        return parse_plain_event(message.body)
    if message.content_type == EVENT_JSON:
        return parse_json_event(message.body)
    raise WireError(f"not a decodable event: {message.content_type!r}")


# --------------------------------------------------------------------------- encoding

# switch_utils.h SWITCH_URL_UNSAFE; bytes below ' ' and above '~' are escaped too, and a '%'
# unless two UPPERCASE hex digits follow it (no double encoding).
_ESCAPE = rb'%(?![0-9A-F]{2})|[^\x20-\x7e]|[ #&+:;<=>?@\[\\\]^`{|}"]'
_ESCAPE_BYTES = re.compile(_ESCAPE)
_ESCAPE_TEXT = re.compile(_ESCAPE.decode("ascii"))


def _percent(match: re.Match[bytes]) -> bytes:
    return b"%%%02X" % match.group()[0]


@functools.lru_cache(maxsize=1 << 16)  # an event repeats its channel's values, calls repeat
def url_encode(value: str) -> str:
    """switch_url_encode as switch_event_serialize calls it (switch_utils.c).

    Escapes unsafe and non-printable bytes as uppercase %XX and leaves ``* , / ( ) . - _ '``
    and the like literal. It does not double-encode: a ``%`` already followed by two
    UPPERCASE hex digits is copied as it is (switch_url_encode_opt with double_encode off).
    """
    if _ESCAPE_TEXT.search(value) is None:  # most values: nothing to escape
        return value
    raw = value.encode("utf-8", errors="surrogateescape")
    return _ESCAPE_BYTES.sub(_percent, raw).decode("ascii")


def _body_bytes(body: str | bytes | None) -> bytes | None:
    if body is None:
        return None
    return body if isinstance(body, bytes) else body.encode("utf-8", errors="surrogateescape")


def encode_plain_event(headers: Sequence[tuple[str, str]],
                       body: str | bytes | None = None) -> bytes:
    """switch_event_serialize: URL-encoded header lines, then Content-Length and the body."""
    parts = [f"{name}: {url_encode(value)}\n" for name, value in headers]
    raw = _body_bytes(body)
    if raw is not None:
        parts.append(f"Content-Length: {len(raw)}\n\n")
        return "".join(parts).encode("ascii", errors="surrogateescape") + raw
    parts.append("\n")
    return "".join(parts).encode("utf-8", errors="surrogateescape")


def _json_string(value: str) -> str:
    # cJSON escapes '"', '\\' and control characters and writes every other byte as it is.
    return json.dumps(value, ensure_ascii=False)


def encode_json_event(headers: Sequence[tuple[str, str]],
                      body: str | bytes | None = None) -> bytes:
    """switch_event_serialize_json: a flat object, duplicates kept, Content-Length and _body."""
    items = [f"{_json_string(name)}:{_json_string(value)}" for name, value in headers]
    raw = _body_bytes(body)
    if raw is not None:
        text = raw.decode("utf-8", errors="surrogateescape")
        items.append(f'"Content-Length":"{len(raw)}"')
        items.append(f'"_body":{_json_string(text)}')
    return ("{" + ",".join(items) + "}").encode("utf-8", errors="surrogateescape")


def frame(headers: Sequence[tuple[str, str]], body: bytes | None = None) -> bytes:
    """Outer framing: header lines, a blank line, the body (the caller orders the headers)."""
    head = "".join(f"{name}: {value}\n" for name, value in headers) + "\n"
    return head.encode("utf-8") + (body or b"")


def frame_event(serialized: bytes, fmt: str) -> bytes:
    """An event as mod_event_socket sends it: Content-Length FIRST, then Content-Type."""
    return frame([("Content-Length", str(len(serialized))), ("Content-Type", f"text/event-{fmt}")],
                 serialized)


def frame_auth_request() -> bytes:
    return frame([("Content-Type", AUTH_REQUEST)])


def frame_command_reply(reply_text: str, extra: Sequence[tuple[str, str]] = ()) -> bytes:
    """A command/reply: Content-Type, Reply-Text, extra headers (bgapi's Job-UUID); no body."""
    return frame([("Content-Type", COMMAND_REPLY), ("Reply-Text", reply_text), *extra])


def frame_api_response(body: str | bytes) -> bytes:
    """An api/response: Content-Type FIRST, then Content-Length, then the reply text."""
    raw = _body_bytes(body) or b""
    return frame([("Content-Type", API_RESPONSE), ("Content-Length", str(len(raw)))], raw)


def frame_disconnect_notice(text: str, extra: Sequence[tuple[str, str]] = ()) -> bytes:
    """A text/disconnect-notice; session-bound sockets add Controlled-Session-UUID and
    Content-Disposition before Content-Length (mod_event_socket.c send_disconnect)."""
    raw = text.encode("utf-8")
    head = [("Content-Type", DISCONNECT_NOTICE), *extra, ("Content-Length", str(len(raw)))]
    return frame(head, raw)


# --------------------------------------------------------------------------- commands


@dataclass(frozen=True, slots=True)
class Command:
    """One client command: its first line, its header lines (bgapi Job-UUID, sendmsg's
    call-command ...) and an optional body (when it had a Content-Length)."""

    line: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None


def encode_command(line: str, headers: Sequence[tuple[str, str]] = (),
                   body: str | bytes | None = None) -> bytes:
    """A client command on the wire: the line, header lines, a blank line, the body."""
    if "\n" in line or "\r" in line:
        raise WireError("a command line cannot contain a line break")
    parts = [line + "\n"]
    for name, value in headers:
        if "\n" in name + value or "\r" in name + value:
            raise WireError(f"header {name!r} cannot contain a line break")
        parts.append(f"{name}: {value}\n")
    raw = _body_bytes(body)
    if raw:
        parts.append(f"Content-Length: {len(raw)}\n")
    parts.append("\n")
    return "".join(parts).encode("utf-8") + (raw or b"")


class CommandParser:
    """Server side: split a client's byte stream into commands, as read_packet does.

    A command ends at the first blank line (``\\r`` ignored); leading blank lines are
    skipped; a Content-Length header makes the next that-many bytes its body.
    """

    def __init__(self, max_block: int = MAX_HEADER_BLOCK) -> None:
        self._buf = bytearray()
        self._pending: tuple[str, tuple[tuple[str, str], ...], int] | None = None
        self._max_block = max_block

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes) -> Iterator[Command]:
        """Add received bytes; yield every command they complete."""
        self._buf += data
        while True:
            command = self._next()
            if command is None:
                return
            yield command

    def _next(self) -> Command | None:
        if self._pending is None:
            while self._buf[:1] in (bytearray(b"\n"), bytearray(b"\r")):
                del self._buf[:1]
            match = _HEADER_END.search(self._buf)
            if match is None:
                if len(self._buf) > self._max_block:
                    raise WireError("command too long")
                return None
            block = bytes(self._buf[: match.start()])
            del self._buf[: match.end()]
            first, _, rest = block.partition(b"\n")
            line = first.rstrip(b"\r").decode("utf-8", errors="surrogateescape")
            headers = tuple(_lenient_headers(rest))
            length = 0
            for name, value in headers:
                if name.lower() == "content-length":
                    length = max(0, _atoi(value))
            self._pending = (line, headers, length)
        line, headers, length = self._pending
        if len(self._buf) < length:
            return None
        body = bytes(self._buf[:length]) if length else None
        del self._buf[:length]
        self._pending = None
        return Command(line, headers, body)


def _lenient_headers(block: bytes) -> Iterator[tuple[str, str]]:
    # read_packet keeps only lines with a colon and skips the rest silently.
    for raw in block.split(b"\n"):
        line = raw.rstrip(b"\r")
        name, colon, value = line.partition(b":")
        if colon and name:
            yield (name.decode("utf-8", "surrogateescape"),
                   value.lstrip(b" ").decode("utf-8", "surrogateescape"))


def _atoi(text: str) -> int:
    """C atoi: leading digits (after optional spaces and sign), 0 when there are none."""
    match = re.match(r"\s*([+-]?\d+)", text)
    return int(match.group(1)) if match else 0
