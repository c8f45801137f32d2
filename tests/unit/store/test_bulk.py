"""bulk._converted: processors applied column by column, once per distinct object."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import JSON, Column, DateTime, Integer, MetaData, Table, create_engine, insert

from bersama.store.bulk import _converted, bind_value, insert_rows


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


def test_bound_values_store_what_core_stores() -> None:
    """A value bound once (`bind_value`) and passed through (`bound`) lands as Core's insert
    and as a converted column would."""
    md = MetaData()
    t = Table("t", md, Column("id", Integer, primary_key=True),
              Column("at", DateTime(timezone=True)), Column("tags", JSON))
    engine = create_engine("sqlite://")
    md.create_all(engine)
    at = datetime(2026, 3, 1, 12, 30, 5, 123456, tzinfo=UTC)
    with engine.begin() as c:
        c.execute(insert(t), [{"id": 1, "at": at, "tags": ["a"]}])
        insert_rows(c, t, ("id", "at", "tags"), [(2, at, ["a"])])
        shared = bind_value(c, t, "at", at)
        assert shared != at  # SQLite stores text: the value was converted
        insert_rows(c, t, ("id", "at", "tags"), [(3, shared, ["a"]), (4, shared, ["a"])],
                    bound=frozenset({"at"}))
        raw = c.exec_driver_sql("SELECT at, tags FROM t ORDER BY id").all()
    assert len(raw) == 4
    assert len(set(raw)) == 1
