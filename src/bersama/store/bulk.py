"""Bulk writes through the DBAPI cursor, with SQLAlchemy's own type conversions.

Why: SQLAlchemy Core builds a parameter dict per row and runs it through the
compiled statement (`construct_params`), which costs 20-40 µs a row; ingest
writes hundreds of thousands of link, audience and STIX rows per batch, and
that overhead was a third of the ingest time.  Here each column's bind
processor (the function SQLAlchemy itself applies for that column type on that
dialect: DateTime to SQLite's text form, JSON to text, Numeric, Boolean...) is
looked up once per table and applied to plain tuples, and the statement is sent
with `exec_driver_sql`, i.e. one `cursor.executemany`.  What lands in the
database is therefore byte-for-byte what `conn.execute(insert(table), rows)`
stores, on SQLite and PostgreSQL alike (the contract tests read it back).

Only the paramstyles of our two drivers are spoken (sqlite3's `qmark`,
psycopg's `format`/`pyformat`); any other dialect falls back to Core.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import repeat
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table, insert

_Processor = Callable[[Any], Any] | None
_UNSET = object()
_MARKERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}
_cache: dict[tuple[str, str, tuple[str, ...]], tuple[str, tuple[_Processor, ...]]] = {}


def marker(conn: Connection) -> str | None:
    """The positional parameter marker of this connection's driver, or None when it has
    none we speak (callers then use Core)."""
    return _MARKERS.get(conn.dialect.paramstyle)


def _prepared(
    conn: Connection, table: Table, columns: tuple[str, ...]
) -> tuple[str, tuple[_Processor, ...]] | None:
    dialect = conn.dialect
    marker = _MARKERS.get(dialect.paramstyle)
    if marker is None:
        return None
    key = (dialect.name, table.name, columns)
    hit = _cache.get(key)
    if hit is not None:
        return hit
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    marks = ", ".join(marker for _ in columns)
    sql = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})"  # noqa: S608
    procs = tuple(table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns)
    _cache[key] = (sql, procs)
    return sql, procs


def _direct(conn: Connection) -> bool:
    """Whether `insert_rows` talks to the driver itself on this connection (else Core)."""
    return conn.dialect.name in ("sqlite", "postgresql") and marker(conn) is not None


def bind_value(conn: Connection, table: Table, column: str, value: Any) -> Any:
    """`value` in the form the driver is given for `table.column` (its type's bind processor
    applied, as `insert_rows` would), to build rows that share it once: `insert_rows` passes
    the columns named in its `bound` through as they are."""
    if not _direct(conn):  # pragma: no cover - Core converts every value itself
        return value
    dialect = conn.dialect
    proc = table.c[column].type.dialect_impl(dialect).bind_processor(dialect)
    return value if proc is None else proc(value)


def insert_rows(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    ignore_conflicts: bool = False,
    bound: frozenset[str] = frozenset(),
) -> int:
    """INSERT `rows` (tuples in `columns` order) as one executemany; return the number of
    rows inserted as the driver counts them (-1 when it does not).

    `ignore_conflicts`: rows that would violate a unique constraint are skipped
    (`ON CONFLICT DO NOTHING`, as SQLite and PostgreSQL both spell it).
    `bound`: columns whose values the rows already hold in the driver's form (`bind_value`);
    when no other column needs converting, the rows go to the driver untouched.
    """
    if not rows:
        return 0
    cols = tuple(columns)
    prepared = _prepared(conn, table, cols)
    if prepared is None or not _direct(conn):
        return _core_insert(conn, table, cols, rows, ignore_conflicts)
    sql, procs = prepared
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    live = [(i, p) for i, p in enumerate(procs) if p is not None and cols[i] not in bound]
    if live:  # processors take None too (JSON stores it as 'null', as Core does)
        rows = _converted(rows, live)
    elif not isinstance(rows, list) or (rows and not isinstance(rows[0], tuple)):
        rows = [tuple(r) for r in rows]
    return conn.exec_driver_sql(sql, rows if isinstance(rows, list) else list(rows)).rowcount


def _converted(
    rows: Sequence[Sequence[Any]], live: list[tuple[int, Callable[[Any], Any]]]
) -> list[tuple[Any, ...]]:
    """Rows with each live column run through its processor.

    Rows often share objects (the batch's timestamp, a marking's recipient list): each
    distinct object of a column is converted once.  Keyed by id(): every object stays
    alive in `rows` for the whole call, so an id is never reused for another value, and
    processors are pure functions of their input.  Only the live columns are gathered;
    the rows are rebuilt by one zip over column iterators, so the per-row work stays in
    C (a per-row Python loop cost ~2 µs a row, transposing every column twice ~0.5).
    """
    width = len(rows[0])
    if set(map(len, rows)) != {width}:
        raise ValueError("rows of different lengths cannot be zipped into columns")
    cols: list[Iterable[Any]] = [map(itemgetter(i), rows) for i in range(width)]
    for i, proc in live:
        col = list(cols[i])
        keys = list(map(id, col))
        distinct = dict(zip(keys, col, strict=True))
        if len(distinct) == 1:
            cols[i] = repeat(proc(col[0]), len(col))
        else:
            done = {key: proc(value) for key, value in distinct.items()}
            cols[i] = map(done.__getitem__, keys)
    return list(zip(*cols, strict=True))


def select_in(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    key_column: str,
    keys: Sequence[Any],
    *,
    chunk: int = 5000,
) -> list[tuple[Any, ...]]:
    """Rows (tuples in `columns` order) whose `key_column` is in `keys`, converted by each
    column's result processor as Core would (DateTime, Boolean, JSON...), without Core's
    per-value coercion of long IN lists."""
    dialect = conn.dialect
    marker = _MARKERS.get(dialect.paramstyle)
    if marker is None:  # pragma: no cover - other drivers
        from sqlalchemy import select

        out_core: list[tuple[Any, ...]] = []
        for i in range(0, len(keys), chunk):
            stmt = select(*(table.c[c] for c in columns)).where(
                table.c[key_column].in_(list(keys[i : i + chunk])))
            out_core.extend(tuple(r) for r in conn.execute(stmt))
        return out_core
    quote = dialect.identifier_preparer.quote
    procs = [
        (n, p) for n, p in enumerate(
            table.c[c].type.dialect_impl(dialect).result_processor(dialect, None)
            for c in columns)
        if p is not None
    ]
    head = (
        f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(table.name)} "  # noqa: S608
        f"WHERE {quote(key_column)} IN ("
    )
    out: list[tuple[Any, ...]] = []
    for i in range(0, len(keys), chunk):
        params = tuple(keys[i : i + chunk])
        got = conn.exec_driver_sql(head + ", ".join([marker] * len(params)) + ")",
                                   params).all()
        if procs:
            for row in got:
                values = list(row)
                for n, p in procs:
                    values[n] = p(values[n])
                out.append(tuple(values))
        else:
            out.extend(tuple(r) for r in got)
    return out


def _core_insert(
    conn: Connection,
    table: Table,
    cols: tuple[str, ...],
    rows: Sequence[Sequence[Any]],
    ignore_conflicts: bool,
) -> int:  # pragma: no cover - only for drivers other than sqlite3 and psycopg
    if ignore_conflicts:
        raise NotImplementedError(f"insert-or-ignore on {conn.dialect.name}")
    return conn.execute(insert(table), [dict(zip(cols, r, strict=True)) for r in rows]).rowcount


def update_many(
    conn: Connection,
    table: Table,
    set_column: str,
    where_column: str,
    pairs: Sequence[tuple[Any, Any]],
) -> None:
    """UPDATE table SET set_column = value WHERE where_column = key, for (value, key) pairs.

    For integer columns only (ids, cluster ids), which need no bind processor.
    """
    if not pairs:
        return
    marker = _MARKERS.get(conn.dialect.paramstyle)
    quote = conn.dialect.identifier_preparer.quote
    if marker is None:  # pragma: no cover - other drivers
        from sqlalchemy import bindparam, update

        conn.execute(
            update(table)
            .where(table.c[where_column] == bindparam("k"))
            .values({set_column: bindparam("v")}),
            [{"v": v, "k": k} for v, k in pairs],
        )
        return
    sql = (
        f"UPDATE {quote(table.name)} SET {quote(set_column)} = {marker} "  # noqa: S608
        f"WHERE {quote(where_column)} = {marker}"
    )  # names from Table metadata, values bound
    conn.exec_driver_sql(sql, list(pairs))


def lookup(
    conn: Connection,
    table: Table,
    key_column: str,
    value_column: str,
    keys: Sequence[Any],
    *,
    chunk: int = 5000,
) -> dict[Any, Any]:
    """{key: value} for the rows whose `key_column` is in `keys` (text and integer columns,
    which need no result processing), in chunks well under SQLite's parameter limit."""
    marker = _MARKERS.get(conn.dialect.paramstyle)
    out: dict[Any, Any] = {}
    if marker is None:  # pragma: no cover - other drivers
        from sqlalchemy import select

        for i in range(0, len(keys), chunk):
            part = list(keys[i : i + chunk])
            out.update(
                conn.execute(
                    select(table.c[key_column], table.c[value_column]).where(
                        table.c[key_column].in_(part)
                    )
                ).all()
            )
        return out
    quote = conn.dialect.identifier_preparer.quote
    head = (
        f"SELECT {quote(key_column)}, {quote(value_column)} FROM {quote(table.name)} "  # noqa: S608
        f"WHERE {quote(key_column)} IN ("
    )
    for i in range(0, len(keys), chunk):
        params = tuple(keys[i : i + chunk])
        sql = head + ", ".join([marker] * len(params)) + ")"
        out.update(conn.exec_driver_sql(sql, params).all())
    return out
