"""One reader's scope over the store: where the markings policy meets SQL.

`readable(reader)` turns the reader's audience tokens (`bersama.markings.reader_tokens`)
into one indexed EXISTS over `report_audience`.  Correlation views are computed from
readable reports only -- a cluster shown to a reader is a connected component of the
reports *that reader* may read, so a hidden report can never be the invisible bridge that
puts two visible reports in one campaign.  Hidden reports surface only as the owner
agency's hint setting allows (AMBER only).

`ReadScope` holds what every read of one request shares: the reader, its tokens, the
SQL clause of what it may read, and the per-request caches of cluster views.  The reads
themselves build on it: browsing clusters and reports (`store/browse.py`) and checking
values (`store/queries.py`, whose `Reads` is the one class callers use).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, bindparam, exists, select, true

from bersama.config import Settings
from bersama.errors import InvalidInput
from bersama.markings import Reader, reader_tokens
from bersama.markings.model import ALL, may_read
from bersama.store.clusterviews import SNAPSHOTS, Snapshot, Visible
from bersama.store.summaries import View
from bersama.store.tables.core import clusters, report_audience, reports

# Statements built once: reusing the same objects lets SQLAlchemy skip rebuilding
# their cache keys, which otherwise costs more than SQLite's own work per check.
READABLE = exists().where(
    report_audience.c.report_id == reports.c.id,
    report_audience.c.token.in_(bindparam("tokens", expanding=True)),
)
STAMPS = select(clusters.c.id, clusters.c.stamp).where(
    clusters.c.id.in_(bindparam("cids", expanding=True))
)


def readable(reader: Reader) -> ColumnElement[bool]:
    """SQL form of the read decision for `reports` rows."""
    tokens = reader_tokens(reader)
    if ALL in tokens:
        return true()
    return exists().where(
        report_audience.c.report_id == reports.c.id, report_audience.c.token.in_(sorted(tokens))
    )


class ReadScope:
    """One reader's scope: its tokens, what it may read, and per-request caches."""

    def __init__(
        self,
        conn: Connection,
        reader: Reader,
        settings: Settings,
        now: datetime | None = None,
        *,
        top: int | None = None,
    ) -> None:
        """`top`: how many of the cluster's other observables a check lists (at most the
        node's `cluster_top_observables`, the default; 0 for figures only, which is what
        screening a list needs and spares building and rendering the lists)."""
        self.conn = conn
        self.reader = reader
        self.settings = settings
        self.now = now or datetime.now(UTC)
        most = settings.cluster_top_observables
        if top is not None and not 0 <= top <= most:
            raise InvalidInput(
                f"top must be between 0 and {most} on this node, got {top}",
                field="top",
                value=str(top),
            )
        self.top = most if top is None else top
        tokens = reader_tokens(reader)
        self._all = ALL in tokens
        self._tokens = tokens
        self._readable = true() if self._all else READABLE
        self._params: dict[str, Any] = {} if self._all else {"tokens": sorted(tokens)}
        self._engine_key = conn.engine.url.render_as_string(hide_password=True)
        self._snaps: dict[int, Snapshot] = {}
        self._stored: dict[int, View] = {}
        self._visible: dict[int, Visible] = {}
        self._may: dict[frozenset[str], bool] = {}
        self._reads: dict[str, bool] = {}
        self._hint_settings: dict[str, str] | None = None
        self.sensitive_reads: set[str] = set()

    def _q(self, stmt: Any) -> Any:
        """Execute with the reader's tokens bound (statements stay cacheable)."""
        return self.conn.execute(stmt, self._params)

    def _may_read(self, aud: frozenset[str]) -> bool:
        ok = self._may.get(aud)
        if ok is None:
            ok = self._may[aud] = may_read(self.reader, aud)
        return ok

    def _view_of(self, cluster_id: int) -> tuple[Snapshot, Visible]:
        """The reader's visible components of a node-wide cluster."""
        if cluster_id not in self._snaps:
            stamps = dict(self.conn.execute(STAMPS, {"cids": [cluster_id]}).all())
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
