"""The nesting guard of the JSON adapters: exact outside strings, however the bytes are cut."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bersama.errors import InvalidInput
from bersama.ingest.jsonstream import MAX_DEPTH, NestingGuard

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


def _feed(data: bytes, cuts: list[int]) -> NestingGuard:
    guard = NestingGuard()
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
            _feed(data, cuts)
    else:
        guard = _feed(data, cuts)
        assert (guard.depth, guard.in_string, guard.escaped) == (0, False, False)


def test_closing_brackets_in_strings_hide_no_depth() -> None:
    data = b'["' + b"]" * 300 + b'",' + b"[" * 300 + b"]" * 300 + b"]"
    with pytest.raises(InvalidInput):
        _feed(data, [])
