"""SQL for the TAXII 2.1 endpoints over `stix_objects`.

Why the policy is an SQL clause here rather than a Python filter after the
query: pagination must be exact (a page of `limit` readable objects, a `next`
that resumes right after the last one), which only holds if the database
itself skips what the reader may not read.  The clause is the audience test
of `bersama.markings.model` (one indexed EXISTS on `report_audience`), plus,
for peers, the forwarding rule of `bersama.markings.policy.may_forward`: never
pass on AMBER+STRICT or RED received from elsewhere, never echo a peer's own
reports back to it.  Objects without a report (extension and marking
definitions) are readable by every authenticated reader.

Several rows may hold the same (object id, version) — one SCO named by many
reports — so every query keeps the first visible row of each version only.
Pages never split the objects of one report version when that can be avoided,
so a receiver sees each report with the observables it references.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    exists,
    false,
    literal,
    not_,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.sql.expression import Select

from bersama.federation.collections import Scope
from bersama.federation.protocol import Cursor, Filters, parse_timestamp
from bersama.markings.model import ALL, TLP, Reader, reader_tokens
from bersama.store.tables.core import report_audience, reports, stix_objects

GROUP_SLACK = 200
"""How many extra rows are read past `limit` to find where a report's objects end."""


@dataclass(frozen=True)
class Row:
    seq: int
    object_id: str
    modified: str
    type: str
    spec_version: str
    date_added: datetime
    report_id: int | None
    body: str | None


@dataclass(frozen=True)
class PageRows:
    rows: list[Row]
    more: bool
    next: Cursor | None




def _visible(reader: Reader, scope: Scope | None, s: Any) -> ColumnElement[bool]:
    """May `reader` see row alias `s` of stix_objects, within `scope`?"""
    tokens = reader_tokens(reader)
    conds: list[ColumnElement[bool]] = []
    if ALL not in tokens:
        conds.append(or_(
            s.c.report_id.is_(None),
            exists().where(
                report_audience.c.report_id == s.c.report_id,
                report_audience.c.token.in_(sorted(tokens)),
            ),
        ))
    r = reports.alias()
    rep: list[ColumnElement[bool]] = []
    if reader.is_peer:
        rep.append(r.c.tlp != TLP.RED.value)
        rep.append(or_(
            r.c.origin_peer.is_(None),
            and_(r.c.tlp.not_in([TLP.AMBER_STRICT.value, TLP.RED.value]),
                 r.c.agency != (reader.agency or "")),
        ))
    if scope is not None and scope.tlps is not None:
        rep.append(r.c.tlp.in_(sorted(scope.tlps)))
    if scope is not None and scope.group is not None:
        rep.append(r.c.sharing_group == scope.group)
    if rep:
        conds.append(or_(
            s.c.report_id.is_(None),
            exists().where(r.c.id == s.c.report_id, *rep),
        ))
    return and_(*conds) if conds else true()


def _norm_version(value: str) -> str:
    """Client timestamps to the stored form (STIX millisecond precision)."""
    ts = parse_timestamp(value, field="match[version]")
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def _base(
    reader: Reader, scope: Scope | None, filters: Filters, columns: Sequence[Any],
    object_id: str | None = None,
) -> Select[Any]:
    s = stix_objects
    d = stix_objects.alias("d")
    stmt = select(*columns).where(_visible(reader, scope, s))
    # first visible row of each (object id, version) only
    stmt = stmt.where(~exists().where(
        d.c.object_id == s.c.object_id, d.c.modified == s.c.modified, d.c.seq < s.c.seq,
        _visible(reader, scope, d),
    ))
    ids = (object_id,) if object_id else filters.ids
    if ids:
        stmt = stmt.where(s.c.object_id.in_(ids))
    if filters.types:
        stmt = stmt.where(s.c.type.in_(filters.types))
    if filters.spec_versions:
        stmt = stmt.where(s.c.spec_version.in_(filters.spec_versions))
    if filters.added_after is not None:
        stmt = stmt.where(s.c.date_added > filters.added_after)
    if not filters.all_versions:
        version_conds: list[ColumnElement[bool]] = []
        for v in filters.versions:
            if v in ("last", "first"):
                n = stix_objects.alias("n")
                newer = n.c.modified > s.c.modified if v == "last" else n.c.modified < s.c.modified
                version_conds.append(not_(exists().where(
                    n.c.object_id == s.c.object_id, newer, _visible(reader, scope, n),
                )))
        stamps = [_norm_version(v) for v in filters.version_timestamps]
        if stamps:
            version_conds.append(s.c.modified.in_(stamps))
        stmt = stmt.where(or_(*version_conds) if version_conds else false())
    return stmt


_COLUMNS = (
    stix_objects.c.seq, stix_objects.c.object_id, stix_objects.c.modified, stix_objects.c.type,
    stix_objects.c.spec_version, stix_objects.c.date_added, stix_objects.c.report_id,
)


def page(
    conn: Connection, reader: Reader, scope: Scope | None, filters: Filters, *,
    with_body: bool = True, object_id: str | None = None,
) -> PageRows:
    """One page of visible object versions ordered by (date_added, seq)."""
    s = stix_objects
    cols: list[Any] = list(_COLUMNS)
    cols.append(s.c.body if with_body else literal(None).label("body"))
    stmt = _base(reader, scope, filters, cols, object_id)
    if filters.next:
        cur = Cursor.decode(filters.next)
        # a row-value comparison, so both engines seek the (date_added, seq) index
        stmt = stmt.where(tuple_(s.c.date_added, s.c.seq) > tuple_(
            literal(cur.date_added, stix_objects.c.date_added.type), literal(cur.seq)))
    stmt = stmt.order_by(s.c.date_added, s.c.seq).limit(filters.limit + GROUP_SLACK + 1)
    rows = [Row(*r) for r in conn.execute(stmt)]
    if len(rows) <= filters.limit:
        return PageRows(rows, False, None)
    cut = _group_cut(rows, filters.limit)
    kept = rows[:cut]
    last = kept[-1]
    return PageRows(kept, True, Cursor(last.date_added, last.seq))


def _group_cut(rows: list[Row], limit: int) -> int:
    """Where to end a page of at most `limit` rows without splitting a report version.

    Rows of one report version are consecutive and share (report_id, date_added).
    If the row after the cut continues the group of the last kept row, cut before
    that group instead, unless the group alone fills the page.
    """
    nxt, last = rows[limit], rows[limit - 1]
    if last.report_id is None or (nxt.report_id, nxt.date_added) != (
        last.report_id, last.date_added
    ):
        return limit
    start = limit - 1
    key = (last.report_id, last.date_added)
    while start > 0 and (rows[start - 1].report_id, rows[start - 1].date_added) == key:
        start -= 1
    return start if start > 0 else limit


def versions(
    conn: Connection, reader: Reader, scope: Scope | None, object_id: str, filters: Filters,
) -> PageRows:
    """Every visible version of one object (the `versions` endpoint)."""
    return page(conn, reader, scope, filters, with_body=False, object_id=object_id)


def exists_visible(conn: Connection, reader: Reader, scope: Scope | None, object_id: str) -> bool:
    s = stix_objects
    stmt = select(s.c.seq).where(s.c.object_id == object_id, _visible(reader, scope, s)).limit(1)
    return conn.execute(stmt).first() is not None


SENSITIVE = (TLP.AMBER.value, TLP.AMBER_STRICT.value, TLP.RED.value)


def sensitive_reports(conn: Connection, rows: Sequence[Row]) -> list[str]:
    """STIX ids of the AMBER, AMBER+STRICT and RED reports behind `rows` (for the audit log)."""
    ids = sorted({r.report_id for r in rows if r.report_id is not None})
    if not ids:
        return []
    stmt = select(reports.c.stix_id).where(reports.c.id.in_(ids), reports.c.tlp.in_(SENSITIVE))
    return sorted(conn.execute(stmt).scalars())
