"""The read layer: every read of reports, observables and clusters takes the reader.

This is the one place where the markings policy meets SQL: `readable(reader)`
turns the reader's audience tokens (`bersama.markings.reader_tokens`) into one
indexed EXISTS over `report_audience`.  Correlation views are computed from
readable reports only -- a cluster shown to a reader is a connected component
of the reports *that reader* may read, so a hidden report can never be the
invisible bridge that puts two visible reports in one campaign.  Hidden
reports surface only as the owner agency's hint setting allows (AMBER only).
"""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, bindparam, exists, func, select, true

from bersama.config import Settings
from bersama.correlation.score import decayed_score
from bersama.correlation.unionfind import components
from bersama.errors import NotFound
from bersama.markings import TLP, Reader, reader_tokens
from bersama.markings.model import ALL
from bersama.markings.policy import hint_for
from bersama.observables.model import Observable
from bersama.store.tables.core import (
    agencies,
    clusters,
    observables,
    report_audience,
    report_observables,
    reports,
)

CHUNK = 2000


class ViewCache:
    """A bounded, process-wide LRU of cluster views.

    Keys carry the cluster's `stamp` (rewritten whenever the cluster changes) and
    the reader's audience tokens, so a cached view is never served to a reader
    with other rights, nor after the cluster changed.
    """

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._data: OrderedDict[tuple[object, ...], Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[object, ...]) -> Any:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: tuple[object, ...], value: Any) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._size:
                self._data.popitem(last=False)


VIEWS = ViewCache()

# Statements built once: reusing the same objects lets SQLAlchemy skip rebuilding
# their cache keys, which otherwise costs more than SQLite's own work per check.
_READABLE = exists().where(
    report_audience.c.report_id == reports.c.id,
    report_audience.c.token.in_(bindparam("tokens", expanding=True)),
)
_OBS_BY_REFS = select(observables).where(observables.c.ref.in_(bindparam("refs", expanding=True)))
_STAMPS = select(clusters.c.id, clusters.c.stamp, clusters.c.size).where(
    clusters.c.id.in_(bindparam("cids", expanding=True))
)


def _members_stmt(readable_clause: ColumnElement[bool]) -> Any:
    return select(reports.c.id, reports.c.cluster_id).where(
        reports.c.cluster_id.in_(bindparam("cids", expanding=True)),
        reports.c.revoked.is_(False),
        readable_clause,
    )


def _edges_stmt(readable_clause: ColumnElement[bool]) -> Any:
    return (
        select(
            report_observables.c.report_id,
            report_observables.c.observable_id,
            reports.c.cluster_id,
        )
        .join(reports, reports.c.id == report_observables.c.report_id)
        .join(observables, observables.c.id == report_observables.c.observable_id)
        .where(
            reports.c.cluster_id.in_(bindparam("cids", expanding=True)),
            reports.c.revoked.is_(False),
            readable_clause,
            observables.c.warninglist.is_(None),
            observables.c.is_hub.is_(False),
        )
    )


def _links_stmt(readable_clause: ColumnElement[bool]) -> Any:
    return (
        select(
            report_observables.c.report_id,
            report_observables.c.observable_id,
            reports.c.agency,
            reports.c.country,
            reports.c.tlp,
            func.coalesce(reports.c.occurred_at, reports.c.ingested_at).label("seen"),
            reports.c.loss_amount,
            reports.c.loss_currency,
            reports.c.cluster_id,
            readable_clause.label("readable"),
        )
        .join(reports, reports.c.id == report_observables.c.report_id)
        .where(
            report_observables.c.observable_id.in_(bindparam("oids", expanding=True)),
            reports.c.revoked.is_(False),
        )
    )


_LINKS_POLICY = _links_stmt(_READABLE)
_LINKS_ALL = _links_stmt(true())
_SUMMARY_REPORTS = select(
    reports.c.id,
    reports.c.agency,
    reports.c.country,
    reports.c.tlp,
    reports.c.loss_amount,
    reports.c.loss_currency,
    func.coalesce(reports.c.occurred_at, reports.c.ingested_at).label("seen"),
).where(reports.c.id.in_(bindparam("ids", expanding=True)))
_SUMMARY_OBSERVABLES = (
    select(
        report_observables.c.report_id,
        observables.c.ref,
        observables.c.kind,
        observables.c.display,
    )
    .join(report_observables, report_observables.c.observable_id == observables.c.id)
    .where(report_observables.c.report_id.in_(bindparam("ids", expanding=True)))
)
_MEMBERS_POLICY = _members_stmt(_READABLE)
_MEMBERS_ALL = _members_stmt(true())
_EDGES_POLICY = _edges_stmt(_READABLE)
_EDGES_ALL = _edges_stmt(true())


def readable(reader: Reader) -> ColumnElement[bool]:
    """SQL form of the read decision for `reports` rows."""
    tokens = reader_tokens(reader)
    if ALL in tokens:
        return true()
    return exists().where(
        report_audience.c.report_id == reports.c.id, report_audience.c.token.in_(sorted(tokens))
    )


def _iso(ts: datetime | None) -> str | None:
    if ts is None:
        return None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _money(totals: dict[str, Decimal]) -> list[dict[str, str]]:
    return [{"currency": c, "amount": str(a)} for c, a in sorted(totals.items())]


@dataclass
class _Link:
    report_id: int
    observable_id: int
    agency: str
    country: str
    tlp: str
    seen: datetime
    loss_amount: Decimal | None
    loss_currency: str | None
    cluster_id: int | None
    readable: bool


class Reads:
    """Reads for one reader, with the per-request caches a bulk check needs."""

    def __init__(
        self, conn: Connection, reader: Reader, settings: Settings, now: datetime | None = None
    ) -> None:
        self.conn = conn
        self.reader = reader
        self.settings = settings
        self.now = now or datetime.now(UTC)
        tokens = reader_tokens(reader)
        self._readable = true() if ALL in tokens else _READABLE
        self._params: dict[str, Any] = {} if ALL in tokens else {"tokens": sorted(tokens)}
        self._components: dict[int, dict[int, int]] = {}
        self._keys: dict[int, tuple[object, ...]] = {}
        self._tokens = reader_tokens(reader)
        self._engine_key = conn.engine.url.render_as_string(hide_password=True)
        self._cluster_views: dict[int, dict[str, Any]] = {}
        self._hints: dict[str, str] | None = None
        self.sensitive_reads: set[str] = set()

    def _q(self, stmt: Any) -> Any:
        """Execute with the reader's tokens bound (statements stay cacheable)."""
        return self.conn.execute(stmt, self._params)

    # ---- checks -------------------------------------------------------------------------

    def check(self, obs: Observable) -> dict[str, Any]:
        return self.check_many([obs])[0]

    def check_many(self, items: Sequence[Observable]) -> list[dict[str, Any]]:
        refs = sorted({o.ref for o in items})
        rows: dict[str, Any] = {}
        for i in range(0, len(refs), CHUNK):
            for row in self.conn.execute(_OBS_BY_REFS, {"refs": refs[i : i + CHUNK]}):
                rows[row.ref] = row
        links = self._links([r.id for r in rows.values()])
        wanted: dict[int, set[int]] = defaultdict(set)
        for row in rows.values():
            if row.is_hub or row.warninglist is not None:
                continue
            visible = [link for link in links.get(row.id, []) if link.readable]
            if visible and visible[0].cluster_id is not None:
                wanted[visible[0].cluster_id].add(min(link.report_id for link in visible))
        if wanted:
            self._prefetch(wanted)
        return [self._result(o, rows.get(o.ref), links) for o in items]

    def _links(self, observable_ids: list[int]) -> dict[int, list[_Link]]:
        out: dict[int, list[_Link]] = defaultdict(list)
        stmt = _LINKS_ALL if ALL in self._tokens else _LINKS_POLICY
        for i in range(0, len(observable_ids), CHUNK):
            params = {**self._params, "oids": observable_ids[i : i + CHUNK]}
            for r in self.conn.execute(stmt, params):
                out[r.observable_id].append(_Link(*r))
        return out

    def _result(self, obs: Observable, row: Any, links: dict[int, list[_Link]]) -> dict[str, Any]:
        base: dict[str, Any] = {
            "kind": obs.kind.value,
            "key": obs.key,
            "display": obs.display or obs.key,
            "valid": True,
            "reports": 0,
            "agencies": [],
            "countries": [],
            "first_seen": None,
            "last_seen": None,
            "losses": [],
            "corroboration": 0,
            "score": 0.0,
            "hub": False,
            "warninglist": None,
            "cluster": None,
        }
        if row is None:
            return base
        mine = links.get(row.id, [])
        visible = [link for link in mine if link.readable]
        hidden = [link for link in mine if not link.readable]
        hint = self._hint(hidden)
        if hint:
            base["hidden"] = hint
        if not visible:
            return base  # nothing readable: not even whether the node knows the value
        # A hub is only named as such when the reader's own view shows it: the node-wide
        # count behind the flag includes reports the reader may not see.
        base["hub"] = bool(row.is_hub) and len(visible) > self.settings.hub_threshold
        base["warninglist"] = row.warninglist
        self._note_sensitive(visible)
        ags = sorted({link.agency for link in visible})
        losses: dict[str, Decimal] = defaultdict(Decimal)
        for link in visible:
            if link.loss_amount is not None and link.loss_currency:
                losses[link.loss_currency] += Decimal(link.loss_amount)
        last = max(_aware(link.seen) for link in visible)
        base.update(
            reports=len(visible),
            agencies=ags,
            countries=sorted({link.country for link in visible}),
            first_seen=_iso(min(_aware(link.seen) for link in visible)),
            last_seen=_iso(last),
            losses=_money(losses),
            corroboration=len(ags),
            score=decayed_score(len(ags), last, self.now, self.settings.decay_half_life_days),
        )
        if not row.is_hub and row.warninglist is None:
            seed = min(link.report_id for link in visible)
            cid = visible[0].cluster_id
            if cid is not None:
                base["cluster"] = self.cluster_view(cid, seed, exclude_ref=row.ref)
        return base

    def _note_sensitive(self, links: Iterable[_Link]) -> None:
        for link in links:
            if link.tlp in (TLP.AMBER, TLP.AMBER_STRICT, TLP.RED):
                self.sensitive_reads.add(f"report:{link.report_id}")

    def _hint(self, hidden: list[_Link]) -> dict[str, Any] | None:
        """What hidden reports may reveal: only AMBER, only as the owner agency allows."""
        if not hidden or self.reader.agency is None:
            return None
        if self._hints is None:
            self._hints = dict(self._q(select(agencies.c.code, agencies.c.hint_amber)).all())
        count = 0
        names: set[str] = set()
        for link in hidden:
            hint = hint_for(TLP(link.tlp), self._hints.get(link.agency, "none"))
            if hint != "none":
                count += 1
            if hint == "agency":
                names.add(link.agency)
        if not count:
            return None
        out: dict[str, Any] = {"reports": count}
        if names:
            out["agencies"] = sorted(names)
        return out

    # ---- clusters -----------------------------------------------------------------------

    def _component_map(self, cluster_id: int) -> dict[int, int]:
        """Readable members of a global cluster -> root of their *visible* component."""
        if cluster_id not in self._components:
            self._prefetch({cluster_id: set()})
        return self._components[cluster_id]

    def _prefetch(self, wanted: dict[int, set[int]]) -> None:
        """Components of the given clusters and views of the components holding the seeds.

        Everything is fetched in a few set-wise queries, so a bulk check costs a handful
        of statements per 2,000 clusters rather than four per value.  Callers reach a
        cluster through a report the reader may read, so a cluster of one report is
        that report alone.
        """
        system = ALL in self._tokens
        todo = sorted(c for c in wanted if c not in self._components)
        info: dict[int, tuple[int, int]] = {}
        for part in _chunks(todo):
            for cid, stamp, size in self.conn.execute(_STAMPS, {"cids": part}):
                info[cid] = (stamp, size)
        need: list[int] = []
        for cid in todo:
            stamp, size = info.get(cid, (0, 0))
            key = (self._engine_key, cid, stamp, self._tokens)
            self._keys[cid] = key
            cached = VIEWS.get(("components", *key))
            if size == 1:
                self._components[cid] = {cid: cid}
            elif cached is not None:
                self._components[cid] = cached
            else:
                need.append(cid)
        members: dict[int, list[int]] = defaultdict(list)
        edges: dict[int, list[tuple[int, int]]] = defaultdict(list)
        first: dict[tuple[int, int], int] = {}
        for part in _chunks(need):
            params = {**self._params, "cids": part}
            for rid, cid in self.conn.execute(_MEMBERS_ALL if system else _MEMBERS_POLICY, params):
                members[cid].append(rid)
            for rid, oid, cid in self.conn.execute(_EDGES_ALL if system else _EDGES_POLICY, params):
                f = first.setdefault((cid, oid), rid)
                if f != rid:
                    edges[cid].append((f, rid))
        for cid in need:
            comp = components(edges[cid], members[cid])
            self._components[cid] = comp
            VIEWS.put(("components", *self._keys[cid]), comp)
        self._views_for(wanted)

    def _views_for(self, wanted: dict[int, set[int]]) -> None:
        groups: dict[int, list[int]] = {}
        for cid, seeds in wanted.items():
            comp = self._components[cid]
            for seed in seeds:
                root = comp.get(seed)
                if root is None or root in self._cluster_views:
                    continue
                cached = VIEWS.get(("view", *self._keys[cid], root))
                if cached is not None:
                    self._cluster_views[root] = cached
                else:
                    groups[root] = [r for r, c in comp.items() if c == root]
        if not groups:
            return
        ids = sorted({r for rids in groups.values() for r in rids})
        rows: dict[int, Any] = {}
        refs: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
        for part in _chunks(ids):
            for r in self.conn.execute(_SUMMARY_REPORTS, {"ids": part}):
                rows[r.id] = r
            for rid, ref, kind, display in self.conn.execute(_SUMMARY_OBSERVABLES, {"ids": part}):
                refs[rid].append((ref, kind, display))
        root_cluster = {root: cid for cid in wanted for root in set(self._components[cid].values())}
        for root, rids in groups.items():
            view = self._summarise(root, [rows[r] for r in rids], [refs[r] for r in rids])
            self._cluster_views[root] = view
            VIEWS.put(("view", *self._keys[root_cluster[root]], root), view)

    def cluster_view(
        self, cluster_id: int, seed: int, *, exclude_ref: str | None = None
    ) -> dict[str, Any] | None:
        if cluster_id not in self._components or seed not in self._cluster_views:
            self._prefetch({cluster_id: {seed}})
        root = self._components[cluster_id].get(seed)
        if root is None:
            return None
        view = dict(self._cluster_views[root])
        self.sensitive_reads.update(view.pop("_sensitive"))
        if exclude_ref is not None:
            view["observables"] = [o for o in view["observables"] if o["ref"] != exclude_ref]
        return view

    def _summarise(
        self, root: int, rows: list[Any], refs: list[list[tuple[str, str, str]]]
    ) -> dict[str, Any]:
        losses: dict[str, Decimal] = defaultdict(Decimal)
        sensitive: list[str] = []
        for r in rows:
            if r.loss_amount is not None and r.loss_currency:
                losses[r.loss_currency] += Decimal(r.loss_amount)
            if r.tlp in (TLP.AMBER, TLP.AMBER_STRICT, TLP.RED):
                sensitive.append(f"report:{r.id}")
        counts: dict[tuple[str, str, str], int] = defaultdict(int)
        for report_refs in refs:
            for item in report_refs:
                counts[item] += 1
        n = self.settings.cluster_top_observables + 1
        top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][0]))[:n]
        countries = sorted({r.country for r in rows})
        seen = [_aware(r.seen) for r in rows]
        return {
            "_sensitive": sensitive,
            "id": root,
            "size": len(rows),
            "countries": countries,
            "cross_border": len(countries) > 1,
            "agencies": sorted({r.agency for r in rows}),
            "losses": _money(losses),
            "first_seen": _iso(min(seen)),
            "last_seen": _iso(max(seen)),
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

    def cluster(self, cluster_id: int) -> dict[str, Any]:
        """A visible cluster by its public id (the smallest readable report id in it)."""
        gid = self._q(
            select(reports.c.cluster_id).where(
                reports.c.id == cluster_id, reports.c.revoked.is_(False), self._readable
            )
        ).scalar()
        view = self.cluster_view(gid, cluster_id) if gid is not None else None
        if gid is None or view is None or view["id"] != cluster_id:
            raise NotFound(
                f"no cluster {cluster_id} visible to you", field="id", value=str(cluster_id)
            )
        comp = self._component_map(gid)
        ids = sorted(r for r, c in comp.items() if c == cluster_id)
        view["reports"] = [
            self._report_summary(r)
            for r in self._q(select(reports).where(reports.c.id.in_(ids[:500])))
        ]
        return view

    def clusters(
        self, *, cross_border: bool = False, min_size: int = 2, limit: int = 50, offset: int = 0
    ) -> dict[str, Any]:
        """Visible clusters, largest first.  `offset` pages through the node's clusters."""
        stmt = select(clusters.c.id).where(clusters.c.size >= min_size)
        if cross_border:
            stmt = stmt.where(clusters.c.cross_border.is_(True))
        stmt = stmt.order_by(clusters.c.size.desc(), clusters.c.id)
        out: list[dict[str, Any]] = []
        scanned = offset
        for gid in self._q(stmt.offset(offset)).scalars():
            scanned += 1
            comp = self._component_map(gid)
            for root in sorted(set(comp.values())):
                view = self.cluster_view(gid, root)
                if view and view["size"] >= min_size and (not cross_border or view["cross_border"]):
                    out.append(view)
            if len(out) >= limit:
                break
        out.sort(key=lambda v: (-v["size"], v["id"]))
        return {"clusters": out, "next_offset": scanned if len(out) >= limit else None}

    # ---- reports ------------------------------------------------------------------------

    def _report_summary(self, r: Any) -> dict[str, Any]:
        if r.tlp in (TLP.AMBER, TLP.AMBER_STRICT, TLP.RED):
            self.sensitive_reads.add(f"report:{r.id}")
        return {
            "id": r.stix_id,
            "agency": r.agency,
            "country": r.country,
            "title": r.title,
            "crime_type": r.crime_type,
            "scam_types": [s for s in r.scam_types.split(",") if s],
            "loss": (
                {"amount": str(r.loss_amount), "currency": r.loss_currency}
                if r.loss_amount is not None
                else None
            ),
            "occurred_at": _iso(r.occurred_at),
            "modified": _iso(r.modified),
            "tlp": r.tlp,
            "sharing_group": r.sharing_group,
            "language": r.language,
        }

    def report(self, stix_id: str) -> dict[str, Any]:
        row = self._q(select(reports).where(reports.c.stix_id == stix_id, self._readable)).first()
        if row is None:
            raise NotFound(f"no report {stix_id} visible to you", field="id", value=stix_id)
        out = self._report_summary(row)
        out.update(
            narrative=row.narrative,
            labels=row.labels,
            revoked=bool(row.revoked),
            recipient_agencies=row.recipient_agencies,
            recipient_users=row.recipient_users,
            ingested_at=_iso(row.ingested_at),
            origin_peer=row.origin_peer,
            cluster=(
                self.cluster_view(row.cluster_id, row.id)["id"]  # type: ignore[index]
                if row.cluster_id is not None and not row.revoked
                else None
            ),
            observables=[
                {"kind": o.kind, "key": o.ref.split(":", 1)[1], "display": o.display}
                for o in self._q(
                    select(observables.c.kind, observables.c.ref, observables.c.display)
                    .join(
                        report_observables, report_observables.c.observable_id == observables.c.id
                    )
                    .where(report_observables.c.report_id == row.id)
                    .order_by(observables.c.ref)
                )
            ],
        )
        return out

    # ---- statistics ---------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """Counts of what this reader may read (statistics never count hidden rows)."""
        active = and_(reports.c.revoked.is_(False), self._readable)
        n_reports = self._q(select(func.count()).where(active)).scalar_one()
        by_country: dict[str, int] = dict(
            self._q(
                select(reports.c.country, func.count())
                .where(active)
                .group_by(reports.c.country)
                .order_by(reports.c.country)
            ).all()
        )
        n_obs = self._q(
            select(func.count(func.distinct(report_observables.c.observable_id)))
            .join(reports, reports.c.id == report_observables.c.report_id)
            .where(active)
        ).scalar_one()
        cross = (
            self._q(
                select(func.count()).select_from(clusters).where(clusters.c.cross_border.is_(True))
            ).scalar_one()
            if self.reader.is_system
            else None
        )
        out: dict[str, Any] = {
            "reports": n_reports,
            "observables": n_obs,
            "reports_by_country": by_country,
        }
        if cross is not None:
            out["cross_border_clusters"] = cross
        return out


def _chunks(items: Sequence[int], size: int = CHUNK) -> Iterable[Sequence[int]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _aware(ts: datetime) -> datetime:
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


__all__ = ["Reads", "readable"]
