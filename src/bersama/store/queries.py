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

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, bindparam, exists, func, select, true

from bersama.config import Settings
from bersama.correlation.score import decayed_score
from bersama.errors import NotFound
from bersama.markings import TLP, Reader, reader_tokens
from bersama.markings.model import ALL, may_read
from bersama.markings.policy import hint_for
from bersama.observables.model import Observable
from bersama.store import holdings
from bersama.store.clusterviews import (
    SENSITIVE,
    SNAPSHOTS,
    Snapshot,
    Visible,
    aware,
    iso,
    money,
)
from bersama.store.summaries import SUMMARIES, View
from bersama.store.summary_writer import offer
from bersama.store.tables.core import (
    agencies,
    clusters,
    observables,
    report_audience,
    report_observables,
    reports,
)

CHUNK = 2000

# Statements built once: reusing the same objects lets SQLAlchemy skip rebuilding
# their cache keys, which otherwise costs more than SQLite's own work per check.
_READABLE = exists().where(
    report_audience.c.report_id == reports.c.id,
    report_audience.c.token.in_(bindparam("tokens", expanding=True)),
)
_STAMPS = select(clusters.c.id, clusters.c.stamp).where(
    clusters.c.id.in_(bindparam("cids", expanding=True))
)


def _check_stmt(readable_clause: ColumnElement[bool]) -> Any:
    """Everything one check needs in one statement: the observable, each active report
    linked to it with its readability for this reader, its cluster's stamp and its
    owner's hint setting."""
    joined = (
        observables.outerjoin(
            report_observables, report_observables.c.observable_id == observables.c.id
        )
        .outerjoin(
            reports,
            and_(reports.c.id == report_observables.c.report_id, reports.c.revoked.is_(False)),
        )
        .outerjoin(clusters, clusters.c.id == reports.c.cluster_id)
        .outerjoin(agencies, agencies.c.code == reports.c.agency)
    )
    return (
        select(
            observables.c.ref.label("ref"),
            observables.c.is_hub.label("is_hub"),
            observables.c.warninglist.label("warninglist"),
            reports.c.id.label("rid"),
            reports.c.agency,
            reports.c.country,
            reports.c.tlp,
            func.coalesce(reports.c.occurred_at, reports.c.ingested_at).label("seen"),
            reports.c.loss_amount,
            reports.c.loss_currency,
            reports.c.cluster_id,
            readable_clause.label("readable"),
            clusters.c.stamp,
            agencies.c.hint_amber,
        )
        .select_from(joined)
        .where(observables.c.ref.in_(bindparam("refs", expanding=True)))
    )


_CHECK_POLICY = _check_stmt(_READABLE)
_CHECK_ALL = _check_stmt(true())

# Positions in a `_check_stmt` row.
REF, IS_HUB, WARN, RID, AGENCY, COUNTRY, TLP_, SEEN, AMOUNT, CURRENCY, CID, OK, STAMP, HINT = range(
    14
)


def readable(reader: Reader) -> ColumnElement[bool]:
    """SQL form of the read decision for `reports` rows."""
    tokens = reader_tokens(reader)
    if ALL in tokens:
        return true()
    return exists().where(
        report_audience.c.report_id == reports.c.id, report_audience.c.token.in_(sorted(tokens))
    )


_iso = iso
_EMPTY: tuple[Any, ...] = ()


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
        self._all = ALL in tokens
        self._tokens = tokens
        self._readable = true() if self._all else _READABLE
        self._params: dict[str, Any] = {} if self._all else {"tokens": sorted(tokens)}
        self._engine_key = conn.engine.url.render_as_string(hide_password=True)
        self._snaps: dict[int, Snapshot] = {}
        self._stored: dict[int, View] = {}
        self._visible: dict[int, Visible] = {}
        self._may: dict[frozenset[str], bool] = {}
        self.sensitive_reads: set[str] = set()

    def _q(self, stmt: Any) -> Any:
        """Execute with the reader's tokens bound (statements stay cacheable)."""
        return self.conn.execute(stmt, self._params)

    # ---- checks -------------------------------------------------------------------------

    def check(self, obs: Observable) -> dict[str, Any]:
        return self.check_many([obs])[0]

    def check_many(self, items: Sequence[Observable]) -> list[dict[str, Any]]:
        refs = sorted({o.ref for o in items})
        found: dict[str, list[Any]] = {}
        stmt = _CHECK_ALL if self._all else _CHECK_POLICY
        for i in range(0, len(refs), CHUNK):
            params = {**self._params, "refs": refs[i : i + CHUNK]}
            for row in self.conn.execute(stmt, params):
                found.setdefault(row[REF], []).append(row)
        wanted: dict[int, int] = {}
        for rows in found.values():
            first = rows[0]
            if first[IS_HUB] or first[WARN] is not None:
                continue
            for row in rows:
                if row[RID] is not None and row[OK] and row[CID] is not None:
                    wanted[row[CID]] = row[STAMP] or 0
                    break
        if wanted:
            self._load(wanted)
        return [self._result(o, found.get(o.ref)) for o in items]

    def _load(self, wanted: dict[int, int]) -> None:
        """Stored views where there is one for this reader's signature (store/summaries.py);
        whole snapshots for the rest, offered to the summary writer."""
        todo = {c: s for c, s in wanted.items() if c not in self._snaps and c not in self._stored}
        if not todo:
            return
        self._stored.update(
            SUMMARIES.views(
                self.conn,
                self._engine_key,
                todo,
                self.settings.cluster_top_observables,
                self._tokens,
                self._may_read,
            )
        )
        for cid in self._stored:
            todo.pop(cid, None)
        if todo:
            self._snaps.update(SNAPSHOTS.load(self.conn, self._engine_key, todo.items()))
            offer(self._engine_key, [(c, s, self._tokens) for c, s in todo.items()])

    def _result(self, obs: Observable, rows: list[Any] | None) -> dict[str, Any]:
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
        if rows is None:
            return base
        visible: list[Any] = []
        hidden: list[Any] = []
        for row in rows:
            if row[RID] is None:
                continue
            (visible if row[OK] else hidden).append(row)
        if hidden and self.reader.agency is not None:
            hint = self._hint(hidden)
            if hint:
                base["hidden"] = hint
        if not visible:
            return base  # nothing readable: not even whether the node knows the value
        row = rows[0]
        is_hub = bool(row[IS_HUB])
        # A hub is only named as such when the reader's own view shows it: the node-wide
        # count behind the flag includes reports the reader may not see.
        base["hub"] = is_hub and len(visible) > self.settings.hub_threshold
        base["warninglist"] = row[WARN]
        seed = self._summary(base, visible)
        if not is_hub and row[WARN] is None:
            cid = visible[0][CID]
            stored = self._stored.get(cid)
            part = stored.for_seed(seed) if stored is not None else None
            if part is not None and any(r[RID] == seed and r[CID] == cid for r in visible):
                base["cluster"] = self._stored_view(part, row[REF])
            elif cid is not None:
                base["cluster"] = self.cluster_view(cid, seed, exclude_ref=row[REF])
        return base

    def _stored_view(
        self, part: tuple[dict[str, Any], tuple[str, ...]], exclude_ref: str
    ) -> dict[str, Any]:
        """A stored view of the seed's component for this reader's signature."""
        shared, sensitive = part
        self.sensitive_reads.update(sensitive)
        view = dict(shared)
        view["observables"] = [o for o in view["observables"] if o["ref"] != exclude_ref]
        return view

    def _summary(self, base: dict[str, Any], visible: list[Any]) -> int:
        """Fill `base` from the visible links; return the smallest visible report id."""
        ags: set[str] = set()
        countries: set[str] = set()
        losses: dict[str, Decimal] = defaultdict(Decimal)
        sensitive = self.sensitive_reads
        first = last = None
        seed = visible[0][RID]
        for link in visible:
            ags.add(link[AGENCY])
            countries.add(link[COUNTRY])
            if link[TLP_] in SENSITIVE:
                sensitive.add(f"report:{link[RID]}")
            if link[AMOUNT] is not None and link[CURRENCY]:
                losses[link[CURRENCY]] += Decimal(link[AMOUNT])
            seen = aware(link[SEEN])
            if first is None or seen < first:
                first = seen
            if last is None or seen > last:
                last = seen
            seed = min(seed, link[RID])
        agencies_seen = sorted(ags)
        base.update(
            reports=len(visible),
            agencies=agencies_seen,
            countries=sorted(countries),
            first_seen=iso(first),
            last_seen=iso(last),
            losses=money(losses),
            corroboration=len(agencies_seen),
            score=decayed_score(
                len(agencies_seen), last, self.now, self.settings.decay_half_life_days
            ),
        )
        return int(seed)

    def _hint(self, hidden: list[Any]) -> dict[str, Any] | None:
        """What hidden reports may reveal: only AMBER, only as the owner agency allows."""
        count = 0
        names: set[str] = set()
        for link in hidden:
            hint = hint_for(TLP(link[TLP_]), link[HINT] or "none")
            if hint != "none":
                count += 1
            if hint == "agency":
                names.add(link[AGENCY])
        if not count:
            return None
        out: dict[str, Any] = {"reports": count}
        if names:
            out["agencies"] = sorted(names)
        return out

    # ---- clusters -----------------------------------------------------------------------

    def _may_read(self, aud: frozenset[str]) -> bool:
        ok = self._may.get(aud)
        if ok is None:
            ok = self._may[aud] = may_read(self.reader, aud)
        return ok

    def _view_of(self, cluster_id: int) -> tuple[Snapshot, Visible]:
        """The reader's visible components of a node-wide cluster."""
        if cluster_id not in self._snaps:
            stamps = dict(self.conn.execute(_STAMPS, {"cids": [cluster_id]}).all())
            wanted = [(cluster_id, stamps.get(cluster_id) or 0)]
            self._snaps.update(SNAPSHOTS.load(self.conn, self._engine_key, wanted))
        snap = self._snaps[cluster_id]
        vis = self._visible.get(cluster_id)
        if vis is None:
            vis = self._visible[cluster_id] = snap.view_for_reader(self._tokens, self._may_read)
        return snap, vis

    def _component_map(self, cluster_id: int) -> dict[int, int]:
        """Readable members of a global cluster -> root of their *visible* component."""
        return self._view_of(cluster_id)[1].comp

    def cluster_view(
        self, cluster_id: int, seed: int, *, exclude_ref: str | None = None
    ) -> dict[str, Any] | None:
        snap, vis = self._view_of(cluster_id)
        root = vis.comp.get(seed)
        if root is None:
            return None
        shared, sensitive = snap.view(vis, root, self.settings.cluster_top_observables)
        self.sensitive_reads.update(sensitive)
        view = dict(shared)
        if exclude_ref is not None:
            view["observables"] = [o for o in shared["observables"] if o["ref"] != exclude_ref]
        return view

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
            for r in self._q(
                select(reports).where(reports.c.id.in_(ids[:500])).order_by(reports.c.id)
            )
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
        if r.tlp in SENSITIVE:
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
        """Counts of what this reader may read (statistics never count hidden rows), summed
        from the counters ingest keeps per audience (store/holdings.py), not counted from
        the reports: the same figures at any store size in a few indexed reads."""
        by_country, n_obs = holdings.held(self.conn, self._tokens)
        out: dict[str, Any] = {
            "reports": sum(by_country.values()),
            "observables": n_obs,
            "reports_by_country": by_country,
        }
        if self.reader.is_system:
            out["cross_border_clusters"] = holdings.cross_border_clusters(self.conn)
        return out


__all__ = ["Reads", "readable"]
