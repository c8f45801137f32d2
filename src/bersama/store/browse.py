"""Browsing what a reader may read: clusters, one cluster's reports, a report, an ingest
batch's rejections and the node's figures.

Every read goes through the reader's scope (`store/scope.py`): reports through its SQL
clause, clusters through its visible components, so a page never shows or counts what
the reader may not read.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bersama.errors import NotFound
from bersama.store import holdings
from bersama.store.clusterviews import SENSITIVE, iso
from bersama.store.scope import ReadScope
from bersama.store.tables.core import (
    clusters,
    ingest_batches,
    ingest_rejections,
    observables,
    report_observables,
    reports,
)

CLUSTER_PAGE_MAX = 500
"""The most reports one page of a cluster lists (`Browse.cluster`), and the API's default."""
REJECTION_FIELDS = ("reason", "line", "field", "value", "record")
"""A stored rejection as listed (`Browse.rejections`): `Rejection.as_dict`'s keys."""


class Browse(ReadScope):
    """Reads of clusters, reports, rejections and figures for one reader."""

    def cluster(self, cluster_id: int, *, offset: int = 0,
                limit: int = CLUSTER_PAGE_MAX) -> dict[str, Any]:
        """A visible cluster by its public id (the smallest readable report id in it), with
        a page of its reports: at most `limit` from `offset`, in the order they were
        stored; `next_offset` is that of the next page, None on the last."""
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
        page = ids[offset : offset + limit]
        view["reports"] = [
            self._report_summary(r)
            for r in self._q(
                select(reports)
                .where(reports.c.id.in_(page), self._readable)
                .order_by(reports.c.id)
            )
        ] if page else []
        view["next_offset"] = offset + limit if offset + limit < len(ids) else None
        return view

    def clusters(
        self, *, cross_border: bool = False, min_size: int = 2, limit: int = 50, offset: int = 0
    ) -> dict[str, Any]:
        """Visible clusters, largest first, at most `limit` of them.

        `offset` pages through the node's clusters.  A cluster that reports hidden from
        this reader split shows as its visible parts, which a page never separates: a
        page ends before a cluster whose parts would not fit (it holds more than `limit`
        only when one cluster alone shows as more parts).  `next_offset` is None once
        the node has no further cluster."""
        stmt = select(clusters.c.id).where(clusters.c.size >= min_size)
        if cross_border:
            stmt = stmt.where(clusters.c.cross_border.is_(True))
        stmt = stmt.order_by(clusters.c.size.desc(), clusters.c.id)
        out: list[dict[str, Any]] = []
        scanned = offset
        more = False
        ids = iter(self._q(stmt.offset(offset)).scalars())
        for gid in ids:
            parts = [
                view for root in sorted(set(self._component_map(gid).values()))
                if (view := self.cluster_view(gid, root)) and view["size"] >= min_size
                and (not cross_border or view["cross_border"])
            ]
            if out and len(out) + len(parts) > limit:
                more = True  # the next page starts with this cluster
                break
            scanned += 1
            out.extend(parts)
            if len(out) >= limit:
                more = next(ids, None) is not None
                break
        out.sort(key=lambda v: (-v["size"], v["id"]))
        return {"clusters": out, "next_offset": scanned if more else None}

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
            "occurred_at": iso(r.occurred_at),
            "modified": iso(r.modified),
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
            ingested_at=iso(row.ingested_at),
            origin_peer=row.origin_peer,
            list=not row.links,
            one_campaign=bool(row.one_campaign),
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

    # ---- ingest batches -----------------------------------------------------------------

    def rejections(self, batch_id: int, *, offset: int = 0, limit: int = 1000) -> dict[str, Any]:
        """Every record an ingest batch rejected, in order, a page at a time.

        Only the batch's own agency (and the node itself) may read them: a rejected
        record quotes its value, which is as sensitive as the report it came in, and
        whatever marking the report would have had was never applied.  Anyone else is
        told there is no such batch, as for a report they may not read."""
        batch = self.conn.execute(
            select(ingest_batches.c.agency, ingest_batches.c.rejected).where(
                ingest_batches.c.id == batch_id)
        ).first()
        if batch is None or not (self.reader.is_system or self.reader.agency == batch.agency):
            raise NotFound(f"no ingest batch {batch_id} of your agency", field="batch_id",
                           value=str(batch_id))
        rows = self.conn.execute(
            select(*(ingest_rejections.c[c] for c in REJECTION_FIELDS))
            .where(ingest_rejections.c.batch_id == batch_id)
            .order_by(ingest_rejections.c.seq)
            .offset(offset)
            .limit(limit)
        ).all()
        listed = [
            {name: value for name, value in zip(REJECTION_FIELDS, row, strict=True)
             if value is not None}
            for row in rows
        ]
        more = offset + len(listed) < batch.rejected and len(listed) == limit
        return {
            "batch_id": batch_id,
            "agency": batch.agency,
            "rejected": batch.rejected,
            "rejections": listed,
            "next_offset": offset + len(listed) if more else None,
        }

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
