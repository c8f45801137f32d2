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
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any, BinaryIO, Protocol

import ijson

from bersama.errors import InvalidInput, field_path

HEAD_BYTES = 64 * 1024
READ_BYTES = 256 * 1024
"""What the parser reads at a time.  yajl (ijson's C backend) copies a token that spans
reads at every read, so one long string costs the square of its length over the read
size: a 64 MB string took 16 CPU-s with ijson's default 64 kB, 4.5 s with 256 kB; and
ordinary bundles parse as fast (benchmarks/RESULTS.md, session 16; 1 MB cost them 30%)."""
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


_HIGH = re.compile(rb"\\u[dD][89abAB][0-9a-fA-F]{2}")
"""The text of a high surrogate's escape (an escape when an even run of backslashes precedes)."""
_LOW = re.compile(rb"\\u[dD][c-fC-F][0-9a-fA-F]{2}")
_LOW_START = re.compile(rb"(?:\\(?:u(?:[dD](?:[c-fC-F][0-9a-fA-F]?)?)?)?)?")
"""What a chunk may end with and still be the start of a low surrogate's escape."""
_ESCAPE_LEN = 6
_BACKSLASH = ord("\\")


class LoneSurrogates:
    """Refuses a high-surrogate escape (`\\ud800`) that no low one follows, fed in chunks.

    WHY: ijson's C parser turns such a lone surrogate into `?`, so `"a\\ud800b@x.com"`
    would be ingested as the address `a?b@x.com`: an identifier silently changed into
    another.  (A lone low surrogate it already refuses as not UTF-8; JSON written with
    `ensure_ascii` spells every emoji as a valid pair, which passes.)  Exact across
    chunk boundaries: an escape whose follower is not read yet, or a trailing run of
    backslashes (as its parity: one or none) and what follows it, is looked at again
    with the next chunk, so at most a few bytes are carried."""

    __slots__ = ("_tail",)

    def __init__(self) -> None:
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        data = self._tail + chunk
        self._tail = b""
        if b"\\" not in data:
            return
        for m in _HIGH.finditer(data):
            run = m.start() - _run_start(data, m.start())
            if run % 2:
                continue  # its backslash is escaped: text, not an escape
            follower = data[m.end():m.end() + _ESCAPE_LEN]
            if len(follower) < _ESCAPE_LEN and _LOW_START.fullmatch(follower):
                self._tail = data[m.start():]  # its low half may be in the next chunk
                return
            if not _LOW.match(follower):
                raise InvalidInput("a lone UTF-16 surrogate escape (\\u"
                                   f"{data[m.end() - 4:m.end()].decode()}) is no character",
                                   field="json")
        cut = data.rfind(b"\\", max(0, len(data) - _ESCAPE_LEN))
        if cut >= 0:  # keep the run's parity, not the run: a body of backslashes stays cheap
            odd = (cut + 1 - _run_start(data, cut)) % 2
            self._tail = b"\\" * odd + data[cut + 1:]


def _run_start(data: bytes, end: int) -> int:
    """Where the run of backslashes ending just before `end` starts."""
    while end and data[end - 1] == _BACKSLASH:
        end -= 1
    return end


class Guard(Protocol):
    """A check of the raw bytes, fed in order before the parser reads them."""

    def feed(self, chunk: bytes) -> None: ...


class CountingReader(io.RawIOBase):
    """Replays `head`, then reads `stream` through `guards`; counts bytes handed to the
    parser."""

    def __init__(self, head: bytes, stream: BinaryIO, guards: tuple[Guard, ...]) -> None:
        self._head = head
        self._stream = stream
        self._guards = guards
        self.pos = 0

    def _guard(self, chunk: bytes) -> None:
        for guard in self._guards:
            guard.feed(chunk)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._head:
            if size < 0 or size >= len(self._head):
                out, self._head = self._head, b""
                if size < 0:
                    rest = self._stream.read()
                    self._guard(rest)
                    out += rest
            else:
                out, self._head = self._head[:size], self._head[size:]
        else:
            out = self._stream.read(size)
            self._guard(out)
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
    guards = (NestingGuard(), LoneSurrogates())
    for guard in guards:
        guard.feed(head)
    shape = sniff_shape(head)
    if shape.error is not None and shape.root in ("map", "array"):
        raise InvalidInput(f"malformed JSON in {what}: {shape.error}", field="json")
    if shape.error is not None or shape.root in ("", "scalar"):
        raise InvalidInput(
            f"not JSON: expected a {what}; parser said: {shape.error or 'a bare value'}",
            field="json")
    return shape, CountingReader(head, stream, guards)


def item_path(prefix: str, index: int) -> str:
    """The `index`th item at an ijson `prefix` named as errors name fields (`field_path`):
    `objects.item` -> `objects[3]`, `item` (a list at the top) -> `[3]`; a prefix that is
    no list's items (`Event`, one object) is its own name, and the whole document (a bare
    MISP event, prefix "") is `body`."""
    parts = prefix.split(".")
    if parts[-1] == "item":
        return field_path(*parts[:-1], index)
    return field_path(*parts) or "body"


class Sink(Protocol):
    """Takes the items of one JSON array as they are read (`stream_items`'s `sinks`)."""

    def add(self, item: Any) -> None: ...


def stream_items(reader: CountingReader, prefix: str, what: str,
                 sinks: Mapping[str, Callable[[], Sink]] | None = None) -> Iterator[Any]:
    """Items at `prefix`, one at a time; malformed JSON raises InvalidInput with the offset,
    naming the item it broke in (every one before it was yielded).

    `sinks`: for an array at one of these paths inside an item (`Attribute`,
    `Event.Attribute`), each of its elements is handed to a new sink as soon as it is read
    and the sink stands in the item for the array: one MISP event of a million attributes
    is one item, which held whole took 2 kB an attribute.  Other arrays, and an item
    without such an array, are built as `ijson.items` builds them (the same values);
    items are then built in Python from ijson's events, at about three times ijson's own
    parsing time, so only callers that need it pass sinks."""
    index = 0
    try:
        if sinks:
            base = f"{prefix}." if prefix else ""
            items = _items_with_sinks(ijson.parse(reader, buf_size=READ_BYTES), prefix,
                                      {base + path: sink for path, sink in sinks.items()})
        else:
            items = ijson.items(reader, prefix, buf_size=READ_BYTES)
        for item in items:
            yield item
            index += 1
    except ijson.JSONError as exc:
        raise InvalidInput(
            f"malformed JSON in {what} near byte {reader.pos}: {_message(exc)}",
            field=item_path(prefix, index),
        ) from None
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{what} is not UTF-8 near byte {reader.pos}: {exc.reason}",
                           field=item_path(prefix, index)) from None


_Event = tuple[str, str, Any]
_STARTS = frozenset({"start_map", "start_array"})
_NOT_ITEMS = frozenset({"map_key", "end_map", "end_array"})


def _items_with_sinks(events: Iterator[_Event], prefix: str,
                      sinks: dict[str, Callable[[], Sink]]) -> Iterator[Any]:
    """`ijson.items(..., prefix)` from `ijson.parse` events, arrays at `sinks`' (absolute)
    paths handed to sinks.  The first event of each item is the one at `prefix` that
    neither names a key nor closes a container; `_value` reads the rest of it."""
    for path, event, value in events:
        if path == prefix and event not in _NOT_ITEMS:
            yield _value(events, path, event, value, sinks) if event in _STARTS else value


def _value(events: Iterator[_Event], path: str, event: str, value: Any,
           sinks: dict[str, Callable[[], Sink]]) -> Any:
    """The JSON value that starts with this (container) event, read from `events` up to its
    end.  Recursion is bounded by `MAX_DEPTH`, which the reader's guard enforces."""
    if event == "start_map":
        obj: dict[str, Any] = {}
        key = ""
        for p, e, v in events:
            if e == "map_key":
                key = v
            elif e == "end_map":
                return obj
            else:
                obj[key] = _value(events, p, e, v, sinks) if e in _STARTS else v
    else:
        sink = sinks.get(path)
        items: Sink | list[Any] = [] if sink is None else sink()
        add = items.append if isinstance(items, list) else items.add
        for p, e, v in events:
            if e == "end_array":
                return items
            add(_value(events, p, e, v, sinks) if e in _STARTS else v)
    raise ijson.IncompleteJSONError("Incomplete JSON content")  # pragma: no cover - ijson's own
