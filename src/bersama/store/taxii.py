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
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    bindparam,
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
from bersama.store.tables.holdings import audience_tokens


class Row(NamedTuple):
    """One stored object version as served (a tuple: one is built per row read)."""

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


@dataclass(frozen=True)
class _Shape:
    """What fixes the text of a query.  Reader, scope and filter values are bound
    parameters, so each shape's statement is built once and SQLAlchemy reuses its
    compiled form: rebuilding the statement for every page cost ~3 ms of CPU."""

    audience: bool  # the reader does not hold ALL: test report_audience
    peer: bool  # the forwarding rule of may_forward
    tlps: bool  # the scope names TLPs
    group: bool  # the scope names a sharing group
    with_body: bool = True
    ids: bool = False
    types: bool = False
    spec_versions: bool = False
    added_after: bool = False
    all_versions: bool = True
    last: bool = False
    first: bool = False
    stamps: bool = False
    cursor: bool = False

    @property
    def only_last(self) -> bool:
        return not self.all_versions and self.last and not (self.first or self.stamps)


def _reader_shape(reader: Reader, scope: Scope | None) -> tuple[_Shape, dict[str, Any]]:
    """The policy part of a query's shape, and its parameters."""
    tokens = reader_tokens(reader)
    shape = _Shape(
        audience=ALL not in tokens, peer=reader.is_peer,
        tlps=scope is not None and scope.tlps is not None,
        group=scope is not None and scope.group is not None,
    )
    params: dict[str, Any] = {}
    if shape.audience:
        params["tokens"] = sorted(tokens)
    if shape.peer:
        params["agency"] = reader.agency or ""
    if scope is not None and scope.tlps is not None:
        params["tlps"] = sorted(scope.tlps)
    if scope is not None and scope.group is not None:
        params["group"] = scope.group
    return shape, params


def _visible(shape: _Shape, s: Any) -> ColumnElement[bool]:
    """May the reader see row alias `s` of stix_objects, within the scope?

    The report's own conditions come first: for a peer they fail in one probe on the rows
    it must not be sent (its own agency's, received from it), which on a node holding
    much of a peer's data are most rows, and each is tested again in the version tests."""
    conds: list[ColumnElement[bool]] = []
    r = reports.alias()
    rep: list[ColumnElement[bool]] = []
    if shape.peer:
        rep.append(r.c.tlp != TLP.RED.value)
        rep.append(or_(
            r.c.origin_peer.is_(None),
            and_(r.c.tlp.not_in([TLP.AMBER_STRICT.value, TLP.RED.value]),
                 r.c.agency != bindparam("agency", type_=r.c.agency.type)),
        ))
    if shape.tlps:
        rep.append(r.c.tlp.in_(bindparam("tlps", expanding=True)))
    if shape.group:
        rep.append(r.c.sharing_group == bindparam("group", type_=r.c.sharing_group.type))
    if rep:
        conds.append(or_(
            s.c.report_id.is_(None),
            exists().where(r.c.id == s.c.report_id, *rep),
        ))
    if shape.audience:
        conds.append(or_(
            s.c.report_id.is_(None),
            exists().where(
                report_audience.c.report_id == s.c.report_id,
                report_audience.c.token.in_(bindparam("tokens", expanding=True)),
            ),
        ))
        # and the audience of the row's own version (an older one may be RED)
        conds.append(or_(
            s.c.audience.is_(None),
            exists().where(
                audience_tokens.c.audience_id == s.c.audience,
                audience_tokens.c.token.in_(bindparam("tokens", expanding=True)),
            ),
        ))
    return and_(*conds) if conds else true()


def _norm_version(value: str) -> str:
    """Client timestamps to the stored form (STIX millisecond precision)."""
    ts = parse_timestamp(value, field="match[version]")
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


_COLUMNS = (
    stix_objects.c.seq, stix_objects.c.object_id, stix_objects.c.modified, stix_objects.c.type,
    stix_objects.c.spec_version, stix_objects.c.date_added, stix_objects.c.report_id,
)


@lru_cache(maxsize=256)
def _page_statement(shape: _Shape) -> Select[Any]:
    """The page query of one shape, with bound parameters for every value.

    The column filters come first and the visibility of the row itself last:
    SQLite tests the terms in this order, and most rows a reader skips are older
    versions.  Not for a peer: most rows it skips are its own agency's (received from
    it, never sent back), for which the version tests walk every row of the same
    object first (an identifier many reports name has a row in each): on a node
    holding 16,000 of a peer's 21,000 rows a page took 2-14 s, and 0.05 s with the
    row's own visibility first.
    """
    s = stix_objects
    body = s.c.body if shape.with_body else literal(None).label("body")
    stmt = select(*_COLUMNS, body)
    if shape.ids:
        stmt = stmt.where(s.c.object_id.in_(bindparam("ids", expanding=True)))
    if shape.types:
        stmt = stmt.where(s.c.type.in_(bindparam("types", expanding=True)))
    if shape.spec_versions:
        stmt = stmt.where(s.c.spec_version.in_(bindparam("spec_versions", expanding=True)))
    if shape.added_after:
        stmt = stmt.where(s.c.date_added > bindparam("added_after", type_=s.c.date_added.type))
    if shape.cursor:
        # a row-value comparison, so both engines seek the (date_added, seq) index
        stmt = stmt.where(tuple_(s.c.date_added, s.c.seq) > tuple_(
            bindparam("after_added", type_=s.c.date_added.type),
            bindparam("after_seq", type_=s.c.seq.type)))
    own = _visible(shape, s)
    versions = _version_terms(shape, s)
    # a peer's own rows fail `own` in one probe; a reader's older versions fail `versions`
    terms = [own, *versions] if shape.peer else [*versions, own]
    stmt = stmt.where(*terms)
    return stmt.order_by(s.c.date_added, s.c.seq).limit(bindparam("limit"))


def _version_terms(shape: _Shape, s: Any) -> list[ColumnElement[bool]]:
    """The terms that keep the requested versions of each object, the first visible row
    of each only."""
    if shape.only_last:
        # no visible row of a newer version, nor an earlier visible row of this one:
        # the two tests below in one index seek (the default, and what peers sync)
        x = stix_objects.alias("x")
        return [~exists().where(
            x.c.object_id == s.c.object_id, x.c.modified >= s.c.modified,
            or_(x.c.modified > s.c.modified, x.c.seq < s.c.seq), _visible(shape, x),
        )]
    terms: list[ColumnElement[bool]] = []
    if not shape.all_versions:
        version_conds: list[ColumnElement[bool]] = []
        for v, on in (("last", shape.last), ("first", shape.first)):
            if on:
                n = stix_objects.alias("n")
                newer = (n.c.modified > s.c.modified if v == "last"
                         else n.c.modified < s.c.modified)
                version_conds.append(not_(exists().where(
                    n.c.object_id == s.c.object_id, newer, _visible(shape, n),
                )))
        if shape.stamps:
            version_conds.append(s.c.modified.in_(bindparam("stamps", expanding=True)))
        terms.append(or_(*version_conds) if version_conds else false())
    # first visible row of each (object id, version) only
    d = stix_objects.alias("d")
    terms.append(~exists().where(
        d.c.object_id == s.c.object_id, d.c.modified == s.c.modified, d.c.seq < s.c.seq,
        _visible(shape, d),
    ))
    return terms


def page(
    conn: Connection, reader: Reader, scope: Scope | None, filters: Filters, *,
    with_body: bool = True, object_id: str | None = None,
) -> PageRows:
    """One page of visible object versions ordered by (date_added, seq)."""
    policy, params = _reader_shape(reader, scope)
    ids = (object_id,) if object_id else filters.ids
    stamps = [] if filters.all_versions else [_norm_version(v) for v in filters.version_timestamps]
    cur = Cursor.decode(filters.next) if filters.next else None
    shape = replace(
        policy, with_body=with_body, ids=bool(ids), types=bool(filters.types),
        spec_versions=bool(filters.spec_versions), added_after=filters.added_after is not None,
        all_versions=filters.all_versions, last="last" in filters.versions,
        first="first" in filters.versions, stamps=bool(stamps), cursor=cur is not None,
    )
    # one row past the page tells whether there is more and where the last group ends
    params["limit"] = filters.limit + 1
    if ids:
        params["ids"] = list(ids)
    if filters.types:
        params["types"] = list(filters.types)
    if filters.spec_versions:
        params["spec_versions"] = list(filters.spec_versions)
    if filters.added_after is not None:
        params["added_after"] = filters.added_after
    if stamps:
        params["stamps"] = stamps
    if cur is not None:
        params["after_added"], params["after_seq"] = cur.date_added, cur.seq
    rows = list(map(Row._make, conn.execute(_page_statement(shape), params).all()))
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
    shape, params = _reader_shape(reader, scope)
    stmt = select(s.c.seq).where(s.c.object_id == object_id, _visible(shape, s)).limit(1)
    return conn.execute(stmt, params).first() is not None


SENSITIVE = (TLP.AMBER.value, TLP.AMBER_STRICT.value, TLP.RED.value)
_SENSITIVE_OF = select(reports.c.stix_id).where(
    reports.c.id.in_(bindparam("ids", expanding=True)), reports.c.tlp.in_(SENSITIVE))


def sensitive_reports(conn: Connection, rows: Sequence[Row]) -> list[str]:
    """STIX ids of the AMBER, AMBER+STRICT and RED reports behind `rows` (for the audit log)."""
    ids = sorted({r.report_id for r in rows if r.report_id is not None})
    if not ids:
        return []
    return sorted(conn.execute(_SENSITIVE_OF, {"ids": ids}).scalars())
