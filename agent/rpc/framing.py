"""Cutting a TCP byte stream into JSON texts, as Go's json.Decoder reads them.

Go net/rpc's JSON codec has no framing beyond JSON itself: requests are objects sent one
after another, split across reads or several in one read, with optional whitespace
between them. ``JsonSplitter`` finds where each top-level object (or array) ends by
tracking brackets and strings, without parsing, so that

- a malformed object whose brackets balance still has a known end: the connection gets
  an error reply for it and carries on with the next request (resynchronised);
- nesting deeper than ``max_depth`` is detected before any recursive parser sees it;
- an object longer than ``max_bytes``, or bytes that cannot start a JSON object, make
  the stream unusable (``StreamBroken``): there is no safe place to resume.

Scanning uses regular expressions to jump between structural bytes, so long strings and
big bodies cost C-speed searches, not a Python loop per byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_STRUCTURAL = re.compile(rb'[{}\[\]"]')
_STRING_STOP = re.compile(rb'["\\]')
_NOT_SPACE = re.compile(rb"[^ \t\r\n]")

DEFAULT_MAX_DEPTH = 64


class StreamBroken(Exception):
    """The stream cannot be resynchronised; the text says why (for the reply and the log)."""


@dataclass(frozen=True)
class Frame:
    """One top-level JSON text, or the reason it is rejected (``error``) though delimited."""

    data: bytes
    error: str | None = None


class JsonSplitter:
    """Incremental splitter: ``feed(bytes)`` returns the frames completed by those bytes."""

    def __init__(self, max_bytes: int, max_depth: int = DEFAULT_MAX_DEPTH) -> None:
        self.max_bytes = max_bytes
        self.max_depth = max_depth
        self._buf = bytearray()
        self._pos = 0  # scan position inside _buf
        self._depth = 0
        self._deepest = 0
        self._in_string = False
        self._started = False  # inside a top-level value

    @property
    def pending(self) -> bool:
        """True while a request has started but not ended (a slow or stalled client)."""
        return self._started

    def feed(self, data: bytes) -> list[Frame]:
        """Add received bytes; return every frame they complete (possibly none)."""
        self._buf += data
        frames: list[Frame] = []
        while True:
            frame = self._next_frame()
            if frame is None:
                break
            frames.append(frame)
        if self._started and len(self._buf) > self.max_bytes:
            raise StreamBroken(f"request larger than {self.max_bytes} bytes")
        return frames

    def finish(self) -> None:
        """The peer closed its side: complain if it left a request half sent."""
        if self._started:
            raise StreamBroken("connection closed in the middle of a request")

    def _next_frame(self) -> Frame | None:
        if not self._started and not self._start():
            return None
        end = self._scan()
        if end is None:
            return None
        data = bytes(self._buf[:end])
        del self._buf[:end]
        self._pos, self._started = 0, False
        too_deep = self._deepest > self.max_depth
        self._deepest = 0
        if len(data) > self.max_bytes:
            raise StreamBroken(f"request larger than {self.max_bytes} bytes")
        if too_deep:
            return Frame(data, f"nesting deeper than {self.max_depth} levels")
        return Frame(data)

    def _start(self) -> bool:
        """Skip whitespace before the next value; True when a value starts at _buf[0]."""
        match = _NOT_SPACE.search(self._buf)
        if match is None:
            self._buf.clear()
            return False
        del self._buf[: match.start()]
        first = bytes(self._buf[0:1])
        if first not in (b"{", b"["):
            raise StreamBroken(f"expected a JSON object, got {_describe(first)}")
        self._started, self._pos, self._depth, self._in_string = True, 0, 0, False
        return True

    def _scan(self) -> int | None:
        """Advance over _buf; return the end offset of the value, or None if incomplete."""
        buf, pos = self._buf, self._pos
        while True:
            if self._in_string:
                match = _STRING_STOP.search(buf, pos)
                if match is None:
                    self._pos = len(buf)
                    return None
                if match.group() == b"\\":
                    if match.end() >= len(buf):  # the escaped byte has not arrived yet
                        self._pos = match.start()
                        return None
                    pos = match.end() + 1
                    continue
                self._in_string, pos = False, match.end()
                continue
            match = _STRUCTURAL.search(buf, pos)
            if match is None:
                self._pos = len(buf)
                return None
            char, pos = match.group(), match.end()
            if char == b'"':
                self._in_string = True
            elif char in (b"{", b"["):
                self._depth += 1
                self._deepest = max(self._deepest, self._depth)
            else:
                self._depth -= 1
                if self._depth == 0:
                    return pos


def _describe(first: bytes) -> str:
    if first.isascii() and first.decode().isprintable():
        return repr(first.decode())
    return f"byte 0x{first.hex()}"
