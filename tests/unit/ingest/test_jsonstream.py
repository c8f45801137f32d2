"""The guards of the JSON adapters' raw bytes, exact however the bytes are cut: nesting
(outside strings) and lone surrogate escapes."""

from __future__ import annotations

import io
import json
import uuid
from typing import Any, TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bersama.errors import InvalidInput
from bersama.ingest import jsonstream
from bersama.ingest.jsonstream import (
    HEAD_BYTES,
    MAX_DEPTH,
    Guard,
    LoneSurrogates,
    NestingGuard,
    item_path,
)
from bersama.ingest.stix import parse_stix

G = TypeVar("G", bound=Guard)

# strings full of what the guard must not count: brackets, quotes, backslashes
_TEXT = st.text(alphabet='[]{}"\\\\ax\\n', max_size=8)
_JSON = st.recursive(st.none() | st.integers() | _TEXT,
                     lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(_TEXT, inner, max_size=3), max_leaves=30)


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    return 0


def _feed(data: bytes, cuts: list[int], guard: G) -> G:
    """Feed `data` to `guard`, cut at `cuts` (wrapped to its length)."""
    at = 0
    for cut in [*sorted({c % (len(data) + 1) for c in cuts}), len(data)]:
        guard.feed(data[at:cut])
        at = cut
    return guard


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(value=_JSON, levels=st.integers(0, MAX_DEPTH + 5), cuts=st.lists(st.integers(0, 10**6)))
def test_guard_counts_nesting_outside_strings(value: Any, levels: int, cuts: list[int]) -> None:
    text = json.dumps(value, ensure_ascii=False)
    data = ("[" * levels + text + "]" * levels).encode()
    depth = levels + _depth(value)
    if depth > MAX_DEPTH:
        with pytest.raises(InvalidInput, match="nested deeper"):
            _feed(data, cuts, NestingGuard())
    else:
        guard = _feed(data, cuts, NestingGuard())
        assert (guard.depth, guard.in_string, guard.escaped) == (0, False, False)


def test_closing_brackets_in_strings_hide_no_depth() -> None:
    data = b'["' + b"]" * 300 + b'",' + b"[" * 300 + b"]" * 300 + b"]"
    with pytest.raises(InvalidInput):
        _feed(data, [], NestingGuard())


# strings of what surrogate escapes may hide behind: backslashes, `u`, hex digits, surrogates
_SURROGATE_TEXT = st.text(alphabet=st.sampled_from(
    ["\\", "u", "d", "8", "0", "c", "a", "\ud83d", "\ude00", "\ud800", "\udbff", "x"]),
    max_size=12)


def _lone_high(text: str) -> bool:
    return any("\ud800" <= ch <= "\udbff" and not (i + 1 < len(text)
               and "\udc00" <= text[i + 1] <= "\udfff") for i, ch in enumerate(text))


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(texts=st.lists(_SURROGATE_TEXT, max_size=4), cuts=st.lists(st.integers(0, 10**6)))
def test_a_lone_high_surrogate_escape_is_refused_and_nothing_else(
        texts: list[str], cuts: list[int]) -> None:
    data = json.dumps(texts).encode()  # ensure_ascii: every surrogate as its escape
    if any(_lone_high(t) for t in texts):
        with pytest.raises(InvalidInput, match="lone UTF-16 surrogate"):
            _feed(data, cuts, LoneSurrogates())
    else:
        _feed(data, cuts, LoneSurrogates())


def test_an_identifier_with_a_lone_surrogate_is_not_read_as_another() -> None:
    """ijson reads `a\\ud800b@x.com` as `a?b@x.com`: the bundle is refused instead."""
    bundle = (b'{"type": "bundle", "id": "bundle--3f0e4b6a-2b8e-4c55-9a47-1d2c3b4a5e6f", '
              b'"objects": [{"type": "email-addr", "spec_version": "2.1", '
              b'"id": "email-addr--2d8f5e0a-4c1b-5d3e-8f9a-0b1c2d3e4f5a", '
              b'"value": "a\\ud800b@x.com"}]}')
    with pytest.raises(InvalidInput, match="lone UTF-16 surrogate"):
        list(parse_stix(io.BytesIO(bundle), agency_country="MY"))


@pytest.mark.parametrize(("prefix", "name"), [
    ("objects.item", "objects[3]"), ("response.item", "response[3]"), ("item", "[3]"),
    ("Event", "Event"),
])
def test_an_item_is_named_as_errors_name_fields(prefix: str, name: str) -> None:
    assert item_path(prefix, 3) == name


def _bundle_breaking_in_item(index: int, bad: bytes) -> bytes:
    """A bundle whose head (the first HEAD_BYTES) is sound and whose item `index` is not."""
    url = b'{"type": "url", "spec_version": "2.1", "id": "url--%s", "value": "http://a.test/"}'
    good = [url % str(uuid.UUID(int=i)).encode() for i in range(index)]
    assert sum(map(len, good)) > HEAD_BYTES
    return (b'{"type": "bundle", "id": "bundle--3f0e4b6a-2b8e-4c55-9a47-1d2c3b4a5e6f", '
            b'"objects": [' + b", ".join([*good, bad]) + b"]}")


@pytest.mark.parametrize(("bad", "message"), [
    (b'{"type": "url", "value": oops}', "malformed JSON in STIX bundle near byte"),
    (b'{"type": "url", "value": "caf\xe9"}', "UTF-8|malformed JSON"),
])
def test_json_breaking_past_the_head_names_the_item_it_broke_in(bad: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as err:
        list(parse_stix(io.BytesIO(_bundle_breaking_in_item(1000, bad)), agency_country="MY"))
    assert err.value.field == "objects[1000]"


class _Collect(list[Any]):
    """A sink that keeps what it is given: a list again, to compare with ijson's."""

    def add(self, item: Any) -> None:
        self.append(item)


_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | _TEXT
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(["a", "list", "b", ""]), inner, max_size=4),
    max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(st.lists(_VALUES, max_size=4), st.sampled_from(["list", "a.list", "list.item.list"]))
def test_items_with_sinks_are_the_items_ijson_builds(items: list[Any], path: str) -> None:
    """Arrays handed to sinks element by element hold what ijson would have put there, and
    everything else is built as ijson builds it (numbers as int or Decimal)."""
    doc = json.dumps(items).encode()
    expected = list(jsonstream.stream_items(_reader(doc), "item", "test"))
    got = list(jsonstream.stream_items(_reader(doc), "item", "test", {path: _Collect}))
    assert got == expected


def _reader(doc: bytes) -> jsonstream.CountingReader:
    return jsonstream.open_document(io.BytesIO(doc), "test")[1]


def test_json_breaking_inside_a_sink_names_the_item_it_broke_in() -> None:
    doc = b'[{"list": [1], "pad": "' + b"x" * HEAD_BYTES + b'"}, {"list": [1, 2, }]'
    with pytest.raises(InvalidInput, match="malformed JSON in test") as err:
        list(jsonstream.stream_items(_reader(doc), "item", "test", {"list": _Collect}))
    assert err.value.field == "[1]"
