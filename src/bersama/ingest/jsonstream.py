"""Streaming JSON input shared by the STIX and MISP adapters.

Both formats arrive as one large JSON document whose records sit in an array
(`objects` of a bundle, `response` of a MISP search).  `ijson` (C backend)
yields the records one at a time so memory is bounded by the largest record,
not the file.  Before streaming we parse the first 64 KiB with the event API to
learn the document's shape (top-level keys and scalars such as `type` and
`spec_version`), then replay those bytes: the stream is read once, so pipes and
request bodies work as well as files.  Byte offsets are counted so malformed
JSON is reported with where it broke.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import ijson

from bersama.errors import InvalidInput

HEAD_BYTES = 64 * 1024


class CountingReader(io.RawIOBase):
    """Replays `head`, then reads `stream`; counts bytes handed to the parser."""

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        self._head = head
        self._stream = stream
        self.pos = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._head:
            if size < 0 or size >= len(self._head):
                out, self._head = self._head, b""
                if size < 0:
                    out += self._stream.read()
            else:
                out, self._head = self._head[:size], self._head[size:]
        else:
            out = self._stream.read(size)
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
    shape = sniff_shape(head)
    if shape.error is not None and shape.root in ("map", "array"):
        raise InvalidInput(f"malformed JSON in {what}: {shape.error}", field="json")
    if shape.error is not None or shape.root in ("", "scalar"):
        raise InvalidInput(
            f"not JSON: expected a {what}; parser said: {shape.error or 'a bare value'}",
            field="json")
    return shape, CountingReader(head, stream)


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
