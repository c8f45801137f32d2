"""`bersama.jcs.canonical` writes exactly what the RFC 8785 reference writes (or fails
as it does), on fixed edge cases and on generated values."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from bersama.jcs import canonical


class _Label(str):
    """A str subclass: rfc8785 writes its value, and so must the fast path."""


def _outcome(canonicalise: Any, value: object) -> tuple[object, ...]:
    try:
        return ("bytes", canonicalise(value))
    except Exception as exc:  # the same error as rfc8785, or the same bytes
        return ("error", type(exc), str(exc))


_DEEP: object = "x"
for _ in range(300):  # deeper than orjson nests: the reference path answers
    _DEEP = [_DEEP]


@pytest.mark.parametrize("value", [
    {"a": "\u0000\u001f\"\\/\u007f\u2028é😀", "B": [True, False, None, 0, 2**53 - 1]},
    {"z": {"y": [{"b": 1, "a": 2}], "x": ""}, "é": 1, "\U0001f600": 2, "\ue000": 3},
    {"f": 1.5, "g": 1e21, "h": 100.0, "i": -(2**53) + 1, "t": ("a", 1)},
    {"big": 2**53}, {1: "int key"}, {"lone": "\ud800"}, {"sub": _Label("x")},
    {"when": datetime(2026, 1, 1, tzinfo=UTC)}, _DEEP,
])
def test_canonical_is_rfc8785(value: object) -> None:
    assert _outcome(canonical, value) == _outcome(rfc8785.dumps, value)


def test_canonical_is_rfc8785_on_generated_values() -> None:
    scalars = (st.text() | st.booleans() | st.none() | st.floats()
               | st.integers(min_value=-(2**60), max_value=2**60))
    keys = st.text(max_size=8) | st.text(st.characters(max_codepoint=0x7F), max_size=8)
    values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(keys, inner, max_size=4), max_leaves=20)

    @settings(max_examples=500, deadline=None)
    @given(values)
    def check(value: object) -> None:
        assert _outcome(canonical, value) == _outcome(rfc8785.dumps, value)

    check()
