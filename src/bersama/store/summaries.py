"""Stored cluster views: a check reads a row per cluster instead of the cluster.

WHY: a check answers with the value's cluster as the reader may see it
(`clusterviews.py`).  Deriving that view needs every member of the cluster and
every observable of every member -- about a hundred rows for an ordinary
campaign -- and a bulk check of 10,000 random values touches thousands of
clusters, so fetching them was nearly all of its cost, on every cold start.

A reader's view of a cluster depends only on which of the cluster's distinct
audiences that reader may read (its *signature*; `may_read` depends on the
reader through its audience tokens alone).  So views are stored per cluster,
`stamp` and signature:

- the "" row holds the cluster's audiences and the view of readers who may
  read every member (most readers of most GREEN and community-AMBER clusters);
- other rows hold the view of one signature, keyed by a hash of the audiences
  it may read -- every reader with the same rights shares it.  They are written
  with the "" row for the signature of every registered agency (its readers'
  tokens without a user's own RED tokens: what almost every check comes with),
  so an agency's first bulk check finds its rows instead of fetching whole
  clusters; other signatures (a user named on a RED report) get theirs once a
  reader with that signature has checked the cluster.

A reader's signature is computed with `may_read` on the stored audiences, so
the policy decision is the same one the per-reader path makes.  When hidden
reports split a reader's visible members into several components, the row keeps
each component with its members, and a check answers with its seed's.
A row whose stamp is not its cluster's is never used.

Rows are written behind the reads (`summary_writer.SummaryWriter`, a helper
process of `bersama serve`) and by `bersama correlate --summaries` ("" rows); ingest never
waits for them, so its cost still grows with what is new, not with cluster
sizes.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, and_, bindparam, delete, select

from bersama.markings.model import Reader, may_read_tokens, reader_tokens
from bersama.store import bulk
from bersama.store.clusterviews import SNAPSHOTS, Snapshot
from bersama.store.tables.core import agencies, cluster_summaries, clusters
from bersama.store.tables.trust import group_members
from bersama.store.values import chunks

CHUNK = 2000
MAX_READERS = 256
ALL_READABLE = ""
COLUMNS = ("cluster_id", "signature", "stamp", "top_n", "audiences", "view")

_cs = cluster_summaries
_ROWS = select(_cs.c.cluster_id, _cs.c.signature, _cs.c.stamp, _cs.c.audiences, _cs.c.view).where(
    _cs.c.cluster_id.in_(bindparam("cids", expanding=True)),
    _cs.c.top_n == bindparam("top_n"),
)
_EXISTING = select(_cs.c.cluster_id, _cs.c.signature, _cs.c.stamp).where(
    _cs.c.cluster_id.in_(bindparam("cids", expanding=True))
)
_DELETE = delete(_cs).where(_cs.c.cluster_id == bindparam("c"), _cs.c.signature == bindparam("s"))
_STAMPS = select(clusters.c.id, clusters.c.stamp).where(
    clusters.c.id.in_(bindparam("cids", expanding=True))
)

Readable = Callable[[frozenset[str]], bool]


def signature_key(readable: Iterable[frozenset[str]], every: bool) -> str:
    """The row key of readers who may read exactly the audiences `readable`."""
    if every:
        return ALL_READABLE
    canon = sorted(sorted(a) for a in readable)
    return hashlib.sha256(orjson.dumps(canon)).hexdigest()[:32]


Component = tuple[dict[str, Any], tuple[str, ...], tuple[str, ...]]
"""A visible component's view, its AMBER+ report ids and the refs its view lists, in order
(a check leaves its own value out of the list)."""


@dataclass(frozen=True, slots=True)
class View:
    """The stored view of one signature: its visible components; `member_of` maps
    members to components when there are several."""

    components: tuple[Component, ...]
    member_of: dict[int, int] | None

    def for_seed(self, seed: int) -> Component | None:
        """The component of the visible report `seed`."""
        if self.member_of is None:
            return self.components[0] if self.components else None
        i = self.member_of.get(seed)
        return None if i is None else self.components[i]

    @classmethod
    def parse(cls, raw: str) -> View:
        parts = orjson.loads(raw)
        comps = tuple(
            (view, tuple(sensitive), tuple(o["ref"] for o in view["observables"]))
            for view, sensitive, _ in parts
        )
        if len(parts) == 1:
            return cls(comps, None)
        return cls(comps, {rid: i for i, (_, _, members) in enumerate(parts) for rid in members})


@dataclass(slots=True)
class Audiences:
    """A "" row: the cluster's audiences and the view of readers who may read all."""

    audiences: tuple[frozenset[str], ...]
    everyone: View
    # Reader audience tokens -> their signature key (exact: see the module docstring).
    keys: dict[frozenset[str], str] = field(default_factory=dict)

    def key_for(self, tokens: frozenset[str], may: Readable) -> str:
        key = self.keys.get(tokens)
        if key is None:
            ok = [a for a in self.audiences if may(a)]
            key = signature_key(ok, len(ok) == len(self.audiences))
            if len(self.keys) >= MAX_READERS:
                self.keys.clear()
            self.keys[tokens] = key
        return key


def _view_of(snap: Snapshot, may: Readable, top_n: int) -> tuple[str, str]:
    """(signature key, components JSON) for the readers `may` describes: per visible
    component its view, its AMBER+ report ids and (when there are several) its members."""
    sig = tuple(may(a) for a in snap.audiences)
    key = signature_key([a for a, ok in zip(snap.audiences, sig, strict=True) if ok], all(sig))
    vis = snap.view_for(sig)
    groups: dict[int, list[int]] = {}
    for rid, root in vis.comp.items():
        groups.setdefault(root, []).append(rid)
    parts = []
    for root in sorted(groups):
        view, sensitive = snap.view(vis, root, top_n)
        members = sorted(groups[root]) if len(groups) > 1 else []
        parts.append((view, sorted(sensitive), members))
    return key, orjson.dumps(parts).decode()


def _rows_for(
    cid: int, stamp: int, snap: Snapshot, readers: Iterable[frozenset[str]], top_n: int
) -> list[tuple[object, ...]]:
    """The "" row of a cluster and the rows of the readers' (token sets') signatures."""
    audiences = orjson.dumps(sorted(sorted(a) for a in snap.audiences)).decode()
    key, view = _view_of(snap, lambda _a: True, top_n)
    rows: list[tuple[object, ...]] = [(cid, key, stamp, top_n, audiences, view)]
    seen = {key}
    for tokens in readers:
        may = partial(may_read_tokens, tokens)
        ok = [a for a in snap.audiences if may(a)]
        if signature_key(ok, len(ok) == len(snap.audiences)) in seen:
            continue  # the key alone is cheap; the view is built once per signature
        key, view = _view_of(snap, may, top_n)
        seen.add(key)
        rows.append((cid, key, stamp, top_n, "[]", view))
    return rows


def agency_tokens(conn: Connection) -> list[frozenset[str]]:
    """The audience tokens of each registered agency's readers, without a user's own
    (RED) tokens: the signatures whose rows are written ahead of the first check."""
    groups: dict[str, set[str]] = {}
    for agency, group in conn.execute(select(group_members.c.agency, group_members.c.group_name)):
        groups.setdefault(agency, set()).add(group)
    return [
        reader_tokens(Reader(agency=code, groups=frozenset(groups.get(code, ()))))
        for code in conn.execute(select(agencies.c.code).order_by(agencies.c.code)).scalars()
    ]


def write(
    conn: Connection,
    snaps: dict[int, tuple[int, Snapshot]],
    top_n: int,
    readers: dict[int, set[frozenset[str]]] | None = None,
) -> int:
    """Store the "" rows of (cluster id -> (stamp, snapshot)) whose cluster still has that
    stamp, and the rows of every agency's and the given readers' signatures; return the
    rows written."""
    written = 0
    every_agency = agency_tokens(conn)
    for part in chunks(sorted(snaps), CHUNK):
        current = dict(conn.execute(_STAMPS, {"cids": part}).all())
        rows: list[tuple[object, ...]] = []
        for cid in part:
            stamp, snap = snaps[cid]
            if current.get(cid) != stamp:
                continue  # changed since it was read: its next read will offer it again
            wanted = [*every_agency, *(readers or {}).get(cid, set())]
            rows.extend(_rows_for(cid, stamp, snap, wanted, top_n))
        fresh = {(r[0], r[1]) for r in rows}
        drop = [
            {"c": c, "s": s}
            for c, s, st in conn.execute(_EXISTING, {"cids": part})
            if (c, s) in fresh or st != current.get(c)
        ]
        if drop:
            conn.execute(_DELETE, drop)
        if rows:
            # A second writer (another API worker's) may store a view first: it is the same
            # view, or one its stamp will retire.
            bulk.insert_rows(conn, cluster_summaries, COLUMNS, rows, ignore_conflicts=True)
        written += len(rows)
    return written


def _missing(conn: Connection, top_n: int, after: int, limit: int) -> list[tuple[int, int]]:
    """Clusters after id `after` without a current "" row."""
    stmt = (
        select(clusters.c.id, clusters.c.stamp)
        .outerjoin(
            _cs,
            and_(
                _cs.c.cluster_id == clusters.c.id,
                _cs.c.signature == ALL_READABLE,
                _cs.c.stamp == clusters.c.stamp,
                _cs.c.top_n == top_n,
            ),
        )
        .where(clusters.c.id > after, _cs.c.cluster_id.is_(None))
        .order_by(clusters.c.id)
        .limit(limit)
    )
    return [(int(c), int(st)) for c, st in conn.execute(stmt)]


def summarise_all(engine: Engine, top_n: int, batch: int = CHUNK) -> Iterator[int]:
    """Store the "" row (and every agency's, `write`) of every cluster that lacks a current
    "" row, one transaction per batch; yields the rows written per batch.  Drops the rows
    of clusters that are gone."""
    after = 0
    while True:
        with engine.begin() as conn:
            todo = _missing(conn, top_n, after, batch)
            if not todo:
                conn.execute(delete(_cs).where(_cs.c.cluster_id.not_in(select(clusters.c.id))))
                return
            after = todo[-1][0]
            fetched = SNAPSHOTS.fetch(conn, [c for c, _ in todo])
            yield write(conn, {c: (st, fetched[c]) for c, st in todo}, top_n)


Row = Audiences | View


class SummaryCache:
    """Process-wide LRU of parsed rows, keyed by engine, cluster, signature, stamp, top N."""

    # Bounded for the API's memory budget: a parsed view is a few kB; rows cost one
    # indexed read when evicted.
    def __init__(self, max_entries: int = 30_000) -> None:
        self.max_entries = max_entries
        self._data: OrderedDict[tuple[str, int, str, int, int], Row] = OrderedDict()
        self._lock = threading.Lock()
        self._intern: dict[frozenset[str], frozenset[str]] = {}

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def views(
        self,
        conn: Connection,
        engine_key: str,
        wanted: dict[int, int],
        top_n: int,
        tokens: frozenset[str],
        may: Readable,
    ) -> dict[int, View]:
        """The stored views of (cluster id -> stamp) for the reader holding `tokens`, whose
        read decision is `may`; clusters without a current row for its signature are left
        out.  One statement per chunk of clusters, whatever their signatures."""
        out: dict[int, View] = {}
        todo: list[int] = []
        for cid, stamp in wanted.items():
            base = self._get((engine_key, cid, ALL_READABLE, stamp, top_n))
            if not isinstance(base, Audiences):
                todo.append(cid)
                continue
            key = base.key_for(tokens, may)
            got = (
                base.everyone
                if key == ALL_READABLE
                else self._get((engine_key, cid, key, stamp, top_n))
            )
            if isinstance(got, View):
                out[cid] = got
            else:
                todo.append(cid)
        fresh = self._fetch(conn, engine_key, wanted, sorted(todo), top_n, tokens, may, out)
        if fresh:
            with self._lock:
                for k, row in fresh:
                    self._data[k] = row
                while len(self._data) > self.max_entries:
                    self._data.popitem(last=False)
        return out

    def _fetch(
        self,
        conn: Connection,
        engine_key: str,
        wanted: dict[int, int],
        todo: list[int],
        top_n: int,
        tokens: frozenset[str],
        may: Readable,
        out: dict[int, View],
    ) -> list[tuple[tuple[str, int, str, int, int], Row]]:
        """Read and parse the rows `views` needs from the database into `out`; return the
        parsed rows for the cache."""
        fresh: list[tuple[tuple[str, int, str, int, int], Row]] = []
        for part in chunks(todo, CHUNK):
            found: dict[int, dict[str, tuple[str, str]]] = {}
            for cid, sig, stamp, audiences, view in conn.execute(
                _ROWS, {"cids": part, "top_n": top_n}
            ):
                if stamp == wanted[cid]:
                    found.setdefault(cid, {})[sig] = (audiences, view)
            for cid, rows in found.items():
                raw = rows.get(ALL_READABLE)
                if raw is None:
                    continue
                base = Audiences(self._audiences(orjson.loads(raw[0])), View.parse(raw[1]))
                fresh.append(((engine_key, cid, ALL_READABLE, wanted[cid], top_n), base))
                key = base.key_for(tokens, may)
                if key == ALL_READABLE:
                    out[cid] = base.everyone
                elif key in rows:
                    out[cid] = View.parse(rows[key][1])
                    fresh.append(((engine_key, cid, key, wanted[cid], top_n), out[cid]))
        return fresh

    def _get(self, key: tuple[str, int, str, int, int]) -> Row | None:
        with self._lock:
            got = self._data.get(key)
            if got is not None:
                self._data.move_to_end(key)
            return got

    def _audiences(self, raw: Iterable[list[str]]) -> tuple[frozenset[str], ...]:
        out = []
        with self._lock:
            if len(self._intern) > 100_000:
                self._intern.clear()
            for tokens in raw:
                aud = frozenset(tokens)
                out.append(self._intern.setdefault(aud, aud))
        return tuple(out)


SUMMARIES = SummaryCache()


__all__ = [
    "ALL_READABLE",
    "SUMMARIES",
    "Audiences",
    "Component",
    "SummaryCache",
    "View",
    "signature_key",
    "summarise_all",
    "write",
]
