"""Streaming JSON input shared by the STIX and MISP adapters.

Both formats arrive as one large JSON document whose records sit in an array
(`objects` of a bundle, `response` of a MISP search).  `ijson` (C backend)
yields the records one at a time so memory is bounded by the largest record,
not the file.  Before streaming we parse the first 64 KiB with the event API to
learn the document's shape (top-level keys and scalars such as `type` and
`spec_version`), then replay those bytes: the stream is read once, so pipes and
request bodies work as well as files.  Byte offsets are counted so malformed
JSON is reported with where it broke.

Nesting is bounded (`MAX_DEPTH`) before ijson sees the bytes: its parser keeps
the path of every open value as a string, so its memory grows with the square
of the depth (a 40 KB body of `[` took 1 GB, 200 KB were killed for memory).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any, BinaryIO

import ijson

from bersama.errors import InvalidInput

HEAD_BYTES = 64 * 1024
MAX_DEPTH = 256
"""JSON nesting accepted: STIX bundles and MISP exports need about a dozen levels."""
_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
_PASSES = 16


class NestingGuard:
    """The nesting depth of JSON fed in chunks, counted outside strings; InvalidInput past
    MAX_DEPTH.  Costs a few percent of parsing: all in C (escapes dropped, everything but
    quotes and brackets deleted, empty strings dropped: an adjacent pair of quotes changes
    no other byte's inside-or-outside), leaving a few bytes per object to look at."""

    __slots__ = ("depth", "escaped", "in_string", "pos")

    def __init__(self) -> None:
        self.depth = 0
        self.in_string = False
        self.escaped = False
        self.pos = 0

    def feed(self, chunk: bytes) -> None:
        start, self.pos = self.pos, self.pos + len(chunk)
        if self.escaped and chunk:
            chunk, self.escaped = chunk[1:], False
        if b"\\" in chunk:
            chunk = _ESCAPE.sub(b"", chunk)
            self.escaped = chunk.endswith(b"\\")  # escapes the next chunk's first byte
        marks = chunk.translate(None, _NOT_STRUCTURE).replace(b'""', b"")
        if self.in_string or b'"' in marks:
            parts = marks.split(b'"')
            marks = b"".join(parts[1::2] if self.in_string else parts[::2])
            self.in_string ^= len(parts) % 2 == 0
        opens = marks.count(b"[") + marks.count(b"{")
        if self.depth + opens > MAX_DEPTH and self.depth + _peak(marks) > MAX_DEPTH:
            raise InvalidInput(f"JSON nested deeper than {MAX_DEPTH} levels (between bytes "
                               f"{start} and {self.pos})", field="json")
        self.depth += 2 * opens - len(marks)


def _peak(marks: bytes) -> int:
    """An upper bound of the highest depth `marks` (brackets) reach, relative to the
    start: exact but for `passes`, the depth of the balanced pairs removed first."""
    passes = 0
    while passes < _PASSES:
        shorter = marks.replace(b"[]", b"").replace(b"{}", b"")
        if shorter == marks:
            break
        marks, passes = shorter, passes + 1
    return passes + max(accumulate(map(_STEP.__getitem__, marks), initial=0))


class CountingReader(io.RawIOBase):
    """Replays `head`, then reads `stream` through `guard`; counts bytes handed to the parser."""

    def __init__(self, head: bytes, stream: BinaryIO, guard: NestingGuard) -> None:
        self._head = head
        self._stream = stream
        self._guard = guard
        self.pos = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._head:
            if size < 0 or size >= len(self._head):
                out, self._head = self._head, b""
                if size < 0:
                    rest = self._stream.read()
                    self._guard.feed(rest)
                    out += rest
            else:
                out, self._head = self._head[:size], self._head[size:]
        else:
            out = self._stream.read(size)
            self._guard.feed(out)
        self.pos += len(out)
        return out

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


@dataclass
class Shape:
    """What the first bytes say about the document."""

    root: str = ""
    """'map', 'array', or '' when the head is not JSON."""
    keys: list[str] = field(default_factory=list)
    """Top-level keys seen in the head, in order."""
    scalars: dict[str, Any] = field(default_factory=dict)
    """Top-level scalar values seen in the head."""
    error: str | None = None
    complete: bool = False


def sniff_shape(head: bytes) -> Shape:
    shape = Shape()
    depth = 0
    try:
        for prefix, event, value in ijson.parse(io.BytesIO(head)):
            if event in ("start_map", "start_array"):
                if depth == 0:
                    shape.root = "map" if event == "start_map" else "array"
                depth += 1
            elif event in ("end_map", "end_array"):
                depth -= 1
                if depth == 0:
                    shape.complete = True
            elif depth == 0:
                shape.root = "scalar"
            elif depth == 1 and event == "map_key":
                shape.keys.append(value)
            elif depth == 1 and prefix and "." not in prefix:
                shape.scalars[prefix] = value
    except ijson.IncompleteJSONError as exc:
        if len(head) < HEAD_BYTES or not shape.root:
            shape.error = _message(exc)
    except ijson.JSONError as exc:
        shape.error = _message(exc)
    except UnicodeDecodeError as exc:
        shape.error = f"not UTF-8 ({exc.reason})"
    return shape


def _message(exc: Exception) -> str:
    arg = exc.args[0] if exc.args else ""
    raw = arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(arg)
    text = raw.strip().splitlines()
    message = text[0][:200] if text else type(exc).__name__
    if "UTF8" in message or "UTF-8" in message:
        message = f"not UTF-8 ({message})"
    return message


def open_document(stream: BinaryIO, what: str) -> tuple[Shape, CountingReader]:
    """Sniff the head of a JSON document; raise InvalidInput when it is not JSON at all."""
    head = stream.read(HEAD_BYTES)
    if not head.strip():
        raise InvalidInput(f"empty input: expected a {what} (JSON)", line=1)
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    guard = NestingGuard()
    guard.feed(head)
    shape = sniff_shape(head)
    if shape.error is not None and shape.root in ("map", "array"):
        raise InvalidInput(f"malformed JSON in {what}: {shape.error}", field="json")
    if shape.error is not None or shape.root in ("", "scalar"):
        raise InvalidInput(
            f"not JSON: expected a {what}; parser said: {shape.error or 'a bare value'}",
            field="json")
    return shape, CountingReader(head, stream, guard)


def stream_items(reader: CountingReader, prefix: str, what: str) -> Iterator[Any]:
    """Items at `prefix`, one at a time; malformed JSON raises InvalidInput with the offset."""
    try:
        yield from ijson.items(reader, prefix)
    except ijson.JSONError as exc:
        raise InvalidInput(
            f"malformed JSON in {what} near byte {reader.pos}: {_message(exc)}",
            field=prefix.replace(".item", "[]"),
        ) from None
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{what} is not UTF-8 near byte {reader.pos}: {exc.reason}",
                           field=prefix) from None
