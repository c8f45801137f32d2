"""Cluster snapshots shared by every reader, and the per-reader views derived from them.

WHY: a check shows the reader the component of the reports *that reader* may
read (docs/correlation.md).  Computing that in SQL per reader meant four
statements per cluster and reader, and re-fetching the same large clusters for
every agency.  Instead, a node-wide cluster is fetched once per `stamp` (the
column rewritten whenever the cluster changes) together with each member's
audience tokens, and each reader's view is derived in Python:

- readability of a member is `may_read(reader, audience)`, the one read
  decision of `bersama.markings.model`, memoised per distinct audience (a
  cluster has a handful of distinct audiences however many reports it holds);
- readers who may read the same audiences of a cluster see the same
  components, so the derived views are cached under that *signature*, never
  under anything coarser: two readers share a view only when they may read
  exactly the same members.

Components are recomputed over readable members and linkable observables
only, so a hidden report is never the bridge that joins two visible ones.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, select

from bersama.correlation.unionfind import components
from bersama.markings import TLP
from bersama.store.tables.core import observables, report_audience, report_observables, reports
from bersama.store.values import aware, chunks

CHUNK = 2000
MAX_SIGNATURES = 64
SENSITIVE = frozenset({TLP.AMBER.value, TLP.AMBER_STRICT.value, TLP.RED.value})

_IN_CLUSTERS = and_(
    reports.c.cluster_id.in_(bindparam("cids", expanding=True)), reports.c.revoked.is_(False)
)
_MEMBERS = select(
    reports.c.id,
    reports.c.cluster_id,
    reports.c.agency,
    reports.c.country,
    reports.c.tlp,
    reports.c.loss_amount,
    reports.c.loss_currency,
    func.coalesce(reports.c.occurred_at, reports.c.ingested_at).label("seen"),
).where(_IN_CLUSTERS)
_AUDIENCE = (
    select(report_audience.c.report_id, report_audience.c.token)
    .join(reports, reports.c.id == report_audience.c.report_id)
    .where(_IN_CLUSTERS)
)
_REFS = (
    select(
        report_observables.c.report_id,
        report_observables.c.observable_id,
        observables.c.ref,
        observables.c.kind,
        observables.c.display,
        and_(observables.c.warninglist.is_(None), observables.c.is_hub.is_(False)).label("link"),
    )
    .join(reports, reports.c.id == report_observables.c.report_id)
    .join(observables, observables.c.id == report_observables.c.observable_id)
    .where(_IN_CLUSTERS)
)

# A member: (agency, country, tlp, loss_amount, loss_currency, seen as aware datetime)
Member = tuple[str, str, str, Decimal | None, str | None, datetime]
Ref = tuple[str, str, str]


def iso(ts: datetime | None) -> str | None:
    if ts is None:
        return None
    return aware(ts).astimezone(UTC).isoformat().replace("+00:00", "Z")


def money(totals: dict[str, Decimal]) -> list[dict[str, str]]:
    return [{"currency": c, "amount": str(a)} for c, a in sorted(totals.items())]


class Visible:
    """One signature's view of a snapshot: member -> root of its visible component."""

    __slots__ = ("comp", "groups", "views")

    def __init__(self, comp: dict[int, int]) -> None:
        self.comp = comp
        self.groups: dict[int, list[int]] | None = None
        self.views: dict[int, tuple[dict[str, Any], list[str]]] = {}


class Snapshot:
    """A node-wide cluster at one stamp: members, their audiences and observables."""

    __slots__ = (
        "audiences",
        "by_audience",
        "by_tokens",
        "links",
        "lock",
        "members",
        "refs",
        "visible",
    )

    def __init__(self) -> None:
        self.members: dict[int, Member] = {}
        self.audiences: list[frozenset[str]] = []
        self.by_audience: dict[frozenset[str], list[int]] = {}
        self.links: dict[int, Sequence[int]] = defaultdict(list)
        self.refs: dict[int, Sequence[Ref]] = defaultdict(list)
        self.visible: dict[tuple[bool, ...], Visible] = {}
        # Reader audience tokens -> their view: `may_read` depends on the reader only
        # through `reader_tokens`, so equal tokens always give the same signature.
        self.by_tokens: dict[frozenset[str], Visible] = {}
        self.lock = threading.Lock()

    @property
    def weight(self) -> int:
        return len(self.members) + sum(len(r) for r in self.refs.values())

    def finish(self, audience_of: dict[int, set[str]], intern: dict[frozenset[str], Any]) -> None:
        by: dict[frozenset[str], list[int]] = {}
        for rid in self.members:
            aud = frozenset(audience_of.get(rid, ()))
            aud = intern.setdefault(aud, aud)
            by.setdefault(aud, []).append(rid)
        self.by_audience = by
        self.audiences = list(by)
        # Tuples of atomic values drop out of the cyclic GC's work once seen; lists
        # would keep a large cache on every full collection's path.
        self.refs = {rid: tuple(items) for rid, items in self.refs.items()}
        self.links = {oid: tuple(rids) for oid, rids in self.links.items()}

    def view_for_reader(
        self, tokens: frozenset[str], may: Callable[[frozenset[str]], bool]
    ) -> Visible:
        """The view of a reader holding `tokens`, whose read decision is `may`."""
        vis = self.by_tokens.get(tokens)
        if vis is None:
            vis = self.view_for(signature(self, may))
            if len(self.by_tokens) >= 4 * MAX_SIGNATURES:
                self.by_tokens.clear()
            self.by_tokens[tokens] = vis
        return vis

    def view_for(self, signature: tuple[bool, ...]) -> Visible:
        vis = self.visible.get(signature)
        if vis is not None:
            return vis
        with self.lock:
            vis = self.visible.get(signature)
            if vis is None:
                vis = Visible(self._components(signature))
                if len(self.visible) >= MAX_SIGNATURES:  # bound memory per snapshot
                    self.visible.clear()
                    self.by_tokens.clear()
                self.visible[signature] = vis
        return vis

    def _components(self, signature: tuple[bool, ...]) -> dict[int, int]:
        if all(signature):
            nodes: list[int] = list(self.members)
            edges = [(rids[0], r) for rids in self.links.values() for r in rids[1:]]
            return components(edges, nodes)
        nodes = [
            r
            for aud, ok in zip(self.audiences, signature, strict=True)
            if ok
            for r in self.by_audience[aud]
        ]
        seen = set(nodes)
        edges = []
        for rids in self.links.values():
            first = -1
            for r in rids:
                if r in seen:
                    if first < 0:
                        first = r
                    else:
                        edges.append((first, r))
        return components(edges, nodes)

    def view(self, vis: Visible, root: int, top_n: int) -> tuple[dict[str, Any], list[str]]:
        """The summary of one visible component, and its AMBER+ report ids (for audit)."""
        got = vis.views.get(root)
        if got is not None:
            return got
        if vis.groups is None:
            groups: dict[int, list[int]] = defaultdict(list)
            for rid, r in vis.comp.items():
                groups[r].append(rid)
            vis.groups = dict(groups)
        got = self._summarise(root, vis.groups[root], top_n)
        vis.views[root] = got
        return got

    def _summarise(
        self, root: int, rids: list[int], top_n: int
    ) -> tuple[dict[str, Any], list[str]]:
        losses: dict[str, Decimal] = defaultdict(Decimal)
        sensitive: list[str] = []
        countries: set[str] = set()
        agencies: set[str] = set()
        counts: dict[Ref, int] = defaultdict(int)
        first = last = None
        members, refs = self.members, self.refs
        for rid in rids:
            agency, country, tlp, amount, currency, seen = members[rid]
            if amount is not None and currency:
                losses[currency] += Decimal(amount)
            if tlp in SENSITIVE:
                sensitive.append(f"report:{rid}")
            countries.add(country)
            agencies.add(agency)
            if first is None or seen < first:
                first = seen
            if last is None or seen > last:
                last = seen
            for item in refs.get(rid, ()):
                counts[item] += 1
        top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][0]))[: top_n + 1]
        cc = sorted(countries)
        view = {
            "id": root,
            "size": len(rids),
            "countries": cc,
            "cross_border": len(cc) > 1,
            "agencies": sorted(agencies),
            "losses": money(losses),
            "first_seen": iso(first),
            "last_seen": iso(last),
            "observables": [
                {
                    "ref": ref,
                    "kind": kind,
                    "key": ref.split(":", 1)[1],
                    "display": display,
                    "reports": count,
                }
                for (ref, kind, display), count in top
            ],
        }
        return view, sensitive


class SnapshotCache:
    """A bounded, process-wide LRU of snapshots, weighted by rows held.

    Keys carry the engine, the cluster id and its `stamp`, so a snapshot is never
    served after the cluster changed; readers' rights are applied afterwards.
    """

    def __init__(self, max_weight: int = 400_000) -> None:
        self.max_weight = max_weight
        self._data: OrderedDict[tuple[str, int, int], Snapshot] = OrderedDict()
        self._weights: dict[tuple[str, int, int], int] = {}
        self._total = 0
        self._lock = threading.Lock()
        self._intern: dict[frozenset[str], Any] = {}

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._weights.clear()
            self._total = 0

    def get(self, key: tuple[str, int, int]) -> Snapshot | None:
        with self._lock:
            snap = self._data.get(key)
            if snap is not None:
                self._data.move_to_end(key)
            return snap

    def put(self, key: tuple[str, int, int], snap: Snapshot) -> None:
        w = snap.weight
        with self._lock:
            if key in self._data:
                self._total -= self._weights[key]
            self._data[key] = snap
            self._data.move_to_end(key)
            self._weights[key] = w
            self._total += w
            while self._total > self.max_weight and len(self._data) > 1:
                old, _ = self._data.popitem(last=False)
                self._total -= self._weights.pop(old)

    def load(
        self, conn: Connection, engine_key: str, wanted: Iterable[tuple[int, int]]
    ) -> dict[int, Snapshot]:
        """Snapshots of the (cluster id, stamp) pairs, fetched set-wise where missing."""
        out: dict[int, Snapshot] = {}
        missing: dict[int, int] = {}
        for cid, stamp in wanted:
            snap = self.get((engine_key, cid, stamp))
            if snap is None:
                missing[cid] = stamp
            else:
                out[cid] = snap
        if missing:
            for part in chunks(sorted(missing), CHUNK):
                fetched = self.fetch(conn, part)
                for cid in part:
                    snap = fetched[cid]
                    out[cid] = snap
                    self.put((engine_key, cid, missing[cid]), snap)
        return out

    def fetch(self, conn: Connection, cids: Sequence[int]) -> dict[int, Snapshot]:
        """Snapshots of `cids` straight from the database (not cached).

        Members, audiences and identifiers are three statements; on PostgreSQL (READ
        COMMITTED) each sees what was committed before it, so a report that joined a
        cluster after the members were read has audience and identifier rows here: it
        is left out, as it is from the members.  Its ingest rewrote the cluster's
        stamp, so the next read under that stamp fetches the cluster again.
        """
        snaps = {cid: Snapshot() for cid in cids}
        owner: dict[int, Snapshot] = {}
        params = {"cids": list(cids)}
        for rid, cid, agency, country, tlp, amount, currency, seen in conn.execute(
            _MEMBERS, params
        ):
            snap = snaps[cid]
            snap.members[rid] = (agency, country, tlp, amount, currency, aware(seen))
            owner[rid] = snap
        audience_of: dict[int, set[str]] = defaultdict(set)
        for rid, token in conn.execute(_AUDIENCE, params):
            if rid in owner:
                audience_of[rid].add(token)
        for rid, oid, ref, kind, display, link in conn.execute(_REFS, params):
            member_of = owner.get(rid)
            if member_of is None:
                continue  # joined after the members were read
            member_of.refs[rid].append((ref, kind, display))  # type: ignore[attr-defined]
            if link:
                member_of.links[oid].append(rid)  # type: ignore[attr-defined]
        with self._lock:
            intern = self._intern
            if len(intern) > 100_000:
                intern.clear()
        for snap in snaps.values():
            snap.finish(audience_of, intern)
        return snaps


SNAPSHOTS = SnapshotCache()


def signature(snap: Snapshot, may: Callable[[frozenset[str]], bool]) -> tuple[bool, ...]:
    return tuple(may(aud) for aud in snap.audiences)


__all__ = [
    "SNAPSHOTS",
    "Snapshot",
    "SnapshotCache",
    "Visible",
    "aware",
    "iso",
    "money",
    "signature",
]
