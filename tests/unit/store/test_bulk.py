"""bulk._converted: processors applied column by column, once per distinct object."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bersama.store.bulk import _converted


def test_each_distinct_object_is_converted_once_and_rows_keep_their_order() -> None:
    calls: list[object] = []

    def proc(value: object) -> str:
        calls.append(value)
        return f"<{value}>"

    shared = datetime(2026, 1, 1, tzinfo=UTC)
    tags = ["a", "b"]
    rows = [(1, shared, tags), (2, shared, ["a", "b"]), (3, shared, tags), (4, None, tags)]
    out = _converted(rows, [(1, proc), (2, proc)])
    assert out == [
        (1, f"<{shared}>", "<['a', 'b']>"),
        (2, f"<{shared}>", "<['a', 'b']>"),
        (3, f"<{shared}>", "<['a', 'b']>"),
        (4, "<None>", "<['a', 'b']>"),
    ]
    # shared once, None once, and each of the two (equal but distinct) lists once
    assert len(calls) == 4


def test_a_column_of_one_object_is_converted_once() -> None:
    calls: list[object] = []
    now = datetime(2026, 1, 1, tzinfo=UTC)
    out = _converted([("x", now)] * 1000, [(1, lambda v: calls.append(v) or "t")])
    assert out == [("x", "t")] * 1000
    assert calls == [now]


def test_rows_of_different_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="zip"):
        _converted([(1, 2), (3,)], [(0, str)])
