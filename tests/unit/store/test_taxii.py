"""The TAXII page query against a reference computed in Python, on both engines.

Every combination of reader, collection, filters and page size pages through a
small store whose reports cover each marking, a report received from a peer,
SCOs named by several reports (duplicate rows of one version) and newer
versions some readers may not see; the concatenated pages must be exactly the
visible objects, in order, with no report version split where avoidable.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import Engine, select

from bersama.config import Settings
from bersama.federation.collections import GREEN, SHARED, Scope, group_scope
from bersama.federation.protocol import Filters
from bersama.ingest.model import ReportDraft
from bersama.ingest.pipeline import ingest
from bersama.markings import TLP, Marking, Reader, Role
from bersama.markings.model import may_read_tokens, reader_tokens
from bersama.observables import phone
from bersama.store import identities
from bersama.store import taxii as q
from bersama.store.tables.core import report_audience, reports, stix_objects
from bersama.store.values import as_utc

T0 = datetime(2026, 3, 1, tzinfo=UTC)
ANA = "ana@pdrm.my"


def _rid(n: int) -> str:
    return f"report--{uuid.UUID(int=n, version=4)}"


def _draft(n: int, marking: Marking, phones: tuple[int, ...], *, day: int = 0) -> ReportDraft:
    return ReportDraft(source_id=_rid(n), modified=T0 + timedelta(days=day),
                       observables=tuple(phone(f"+6012345{p:04d}") for p in phones),
                       title=f"r{n}", marking=marking)


def _build(engine: Engine, settings: Settings) -> None:
    with engine.begin() as conn:
        for code, cc in (("MY-PDRM", "MY"), ("TH-AOC", "TH"), ("JP-NPA", "JP")):
            identities.add_agency(conn, code=code, name=code, country=cc, type="police",
                                  now=T0, is_peer=code != "MY-PDRM")
        identities.add_group(conn, name="mekong", agencies_=["MY-PDRM", "TH-AOC"], now=T0)
        identities.add_user(conn, email=ANA, agency="MY-PDRM",
                            role=identities.parse_role("analyst"), now=T0)
    batches: list[tuple[str, str | None, list[ReportDraft]]] = [
        ("MY-PDRM", None, [
            _draft(1, Marking(TLP.GREEN), (1,)),
            _draft(2, Marking(TLP.AMBER), (1, 2)),
            _draft(3, Marking(TLP.AMBER, group="mekong"), (2,)),
            _draft(4, Marking(TLP.RED, recipient_users=frozenset({ANA})), (3,)),
            _draft(5, Marking(TLP.CLEAR), (3, 1)),
            _draft(6, Marking(TLP.AMBER_STRICT, recipient_agencies=frozenset({"JP-NPA"})),
                   (4,)),
        ]),
        ("MY-PDRM", None, [  # newer versions: 5 becomes RED, unreadable by peers
            _draft(1, Marking(TLP.GREEN), (1, 5), day=1),
            _draft(5, Marking(TLP.RED, recipient_users=frozenset({ANA})), (3,), day=1),
        ]),
        ("TH-AOC", "th", [  # received from a peer
            _draft(7, Marking(TLP.GREEN), (1,)),
            _draft(8, Marking(TLP.AMBER_STRICT, recipient_agencies=frozenset({"MY-PDRM"})),
                   (6,)),
            _draft(9, Marking(TLP.AMBER, group="mekong"), (2, 6)),
        ]),
    ]
    for i, (agency, origin, drafts) in enumerate(batches):
        at = T0 + timedelta(hours=i)
        with engine.begin() as conn:
            ingest(conn, settings, agency=agency, items=drafts, source_format="stix",
                   source="test", actor=Reader(agency=agency, user=ANA, role=Role.ANALYST),
                   origin_peer=origin, clock=lambda at=at: at)


def _reference(engine: Engine) -> Callable[[Reader, Scope | None, Filters], list[int]]:
    """The visible rows' seqs, as the module docstring of store/taxii.py states the rules."""
    with engine.connect() as conn:
        rows = list(conn.execute(select(stix_objects).order_by(
            stix_objects.c.date_added, stix_objects.c.seq)))
        reps = {r.id: r for r in conn.execute(select(reports))}
        tokens: dict[int, set[str]] = {}
        for a in conn.execute(select(report_audience)):
            tokens.setdefault(a.report_id, set()).add(a.token)

    def visible(row: Any, reader: Reader, scope: Scope | None) -> bool:
        if row.report_id is None:
            return True
        r = reps[row.report_id]
        if not may_read_tokens(reader_tokens(reader), frozenset(tokens[r.id])):
            return False
        if reader.is_peer and (r.tlp == "red" or (r.origin_peer is not None and (
                r.tlp == "amber+strict" or r.agency == reader.agency))):
            return False
        return scope is None or ((scope.tlps is None or r.tlp in scope.tlps)
                                 and (scope.group is None or r.sharing_group == scope.group))

    def seqs(reader: Reader, scope: Scope | None, f: Filters) -> list[int]:
        vis = [r for r in rows if visible(r, reader, scope)]
        first_row: dict[tuple[str, str], int] = {}
        stamps: dict[str, list[str]] = {}
        for r in vis:
            first_row.setdefault((r.object_id, r.modified), r.seq)
            stamps.setdefault(r.object_id, []).append(r.modified)
        out = []
        for r in vis:
            if first_row[(r.object_id, r.modified)] != r.seq:
                continue
            if (f.ids and r.object_id not in f.ids) or (f.types and r.type not in f.types):
                continue
            if f.added_after is not None and as_utc(r.date_added) <= f.added_after:
                continue
            wanted = f.all_versions or (
                ("last" in f.versions and r.modified == max(stamps[r.object_id]))
                or ("first" in f.versions and r.modified == min(stamps[r.object_id]))
                or r.modified in f.version_timestamps)
            if wanted:
                out.append(r.seq)
        return out

    return seqs


def _pages(engine: Engine, reader: Reader, scope: Scope | None, f: Filters) -> list[list[q.Row]]:
    pages: list[list[q.Row]] = []
    token: str | None = None
    with engine.connect() as conn:
        while True:
            res = q.page(conn, reader, scope, replace(f, next=token))
            pages.append(res.rows)
            assert len(res.rows) <= f.limit
            if not res.more:
                return pages
            assert res.next is not None
            token = res.next.encode()


READERS = {
    "th-peer": (Reader(agency="TH-AOC", groups=frozenset({"mekong"}), is_peer=True),
                [SHARED, GREEN, group_scope("mekong")]),
    "jp-peer": (Reader(agency="JP-NPA", is_peer=True), [SHARED, GREEN]),
    "analyst": (Reader(agency="MY-PDRM", user=ANA, role=Role.ANALYST,
                       groups=frozenset({"mekong"})), [SHARED, group_scope("mekong")]),
    "system": (Reader.system(), [SHARED, None]),
}
FILTERS = [
    Filters(),
    Filters(versions=("all",)),
    Filters(versions=("first",)),
    Filters(versions=("first", "2026-03-02T00:00:00.000Z")),
    Filters(versions=("last", "first")),
    Filters(types=("report", "identity")),
    Filters(ids=(_rid(5), _rid(1)),
            versions=("all",)),
    Filters(added_after=T0 + timedelta(minutes=30)),
]


@pytest.mark.parametrize("who", sorted(READERS))
def test_pages_are_exactly_the_visible_objects(engine: Engine, settings: Settings,
                                               who: str) -> None:
    _build(engine, settings)
    reference = _reference(engine)
    reader, scopes = READERS[who]
    for scope in scopes:
        for base in FILTERS:
            want = reference(reader, scope, base)
            for limit in (1, 2, 3, 1000):
                f = replace(base, limit=limit)
                pages = _pages(engine, reader, scope, f)
                assert [r.seq for p in pages for r in p] == want, (scope, f)
                for prev, nxt in pairwise(pages):
                    group = {(r.report_id, r.date_added) for r in prev}
                    # a report version is split only when it fills a page alone
                    if nxt and len(group) > 1 and prev[-1].report_id is not None:
                        assert (nxt[0].report_id, nxt[0].date_added) != (
                            prev[-1].report_id, prev[-1].date_added), (scope, f)
    assert reference(READERS["th-peer"][0], SHARED, Filters())  # the store is not empty


def test_exists_visible_follows_the_policy(engine: Engine, settings: Settings) -> None:
    _build(engine, settings)
    th, jp = READERS["th-peer"][0], READERS["jp-peer"][0]
    strict = _rid(6)
    with engine.connect() as conn:
        assert q.exists_visible(conn, jp, SHARED, strict)
        assert not q.exists_visible(conn, th, SHARED, strict)
        assert not q.exists_visible(conn, jp, GREEN, strict)
