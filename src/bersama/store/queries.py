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
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    and_,
    bindparam,
    exists,
    func,
    select,
    true,
)

from bersama.config import Settings
from bersama.correlation.score import decayed_score
from bersama.errors import InvalidInput, NotFound
from bersama.gcpause import collection_paused
from bersama.markings import TLP, Reader, reader_tokens
from bersama.markings.model import ALL, may_read
from bersama.markings.policy import hint_for
from bersama.observables.model import Observable
from bersama.store import holdings
from bersama.store import observable_summaries as stored
from bersama.store.clusterviews import (
    SENSITIVE,
    SNAPSHOTS,
    Snapshot,
    Visible,
    aware,
    iso,
    money,
)
from bersama.store.summaries import SUMMARIES, Component, View
from bersama.store.summary_writer import offer, offer_summaries, writing
from bersama.store.tables.core import (
    agencies,
    clusters,
    ingest_batches,
    ingest_rejections,
    observables,
    report_audience,
    report_observables,
    reports,
)
from bersama.store.values import chunks

CHUNK = 2000
CLUSTER_PAGE_MAX = 500
"""The most reports one page of a cluster lists (`Reads.cluster`), and the API's default."""
REJECTION_FIELDS = ("reason", "line", "field", "value", "record")
"""A stored rejection as listed (`Reads.rejections`): `Rejection.as_dict`'s keys."""
BULK = 100
"""Values from which a check pauses the cyclic collector (`check_many`)."""

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
    canonical audience."""
    joined = (
        observables.outerjoin(
            report_observables, report_observables.c.observable_id == observables.c.id
        )
        .outerjoin(
            reports,
            and_(reports.c.id == report_observables.c.report_id, reports.c.revoked.is_(False)),
        )
        .outerjoin(clusters, clusters.c.id == reports.c.cluster_id)
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
            reports.c.audience,
            reports.c.links,
        )
        .select_from(joined)
        .where(observables.c.ref.in_(bindparam("refs", expanding=True)))
    )


_CHECK_POLICY = _check_stmt(_READABLE)
_CHECK_ALL = _check_stmt(true())

# Positions in a `_check_stmt` row.
(
    REF, IS_HUB, WARN, RID, AGENCY, COUNTRY, TLP_, SEEN, AMOUNT, CURRENCY, CID, OK, STAMP, AUDIENCE,
    LINKS,
) = range(15)


def readable(reader: Reader) -> ColumnElement[bool]:
    """SQL form of the read decision for `reports` rows."""
    tokens = reader_tokens(reader)
    if ALL in tokens:
        return true()
    return exists().where(
        report_audience.c.report_id == reports.c.id, report_audience.c.token.in_(sorted(tokens))
    )


_iso = iso
_Computed = tuple[str, list[Any]]
"""A linkable value a check read from its links: (ref, every active link)."""
_Seen = tuple[dict[str, Any] | None, int, Sequence[str], dict[str, Any] | None]
"""What a reader may see of a stored summary: (figures, seed, AMBER+ report ids, hint)."""
_NONE: tuple[str, ...] = ()


def _clusters_shown(
    whole: dict[str, Any], partial: dict[str, tuple[Any, _Seen]], found: dict[str, list[Any]]
) -> dict[int, int]:
    """(cluster id -> stamp) of the clusters a check shows: those of values answered from
    stored summaries with something readable, and of values read from their links, the
    cluster of a readable link of each linkable one."""
    wanted = {row[stored.CID]: row[stored.CURRENT] for row in whole.values()}
    for row, seen in partial.values():
        if seen[0] is not None:
            wanted[row[stored.CID]] = row[stored.CURRENT]
    for rows in found.values():
        first = rows[0]
        if first[IS_HUB] or first[WARN] is not None:
            continue
        for row in rows:
            if row[RID] is not None and row[OK] and row[CID] is not None:
                wanted[row[CID]] = row[STAMP] or 0
                break
    return wanted


def _storable(links: list[Any]) -> bool:
    """Can the summary of these links (every active link of a linkable value) be stored?
    Not when a list report names the value: a list is a cluster of its own, so the
    value's reports are in more than one cluster and no one stamp tells when the
    figures change (store/correlate.py)."""
    return links[0][CID] is not None and all(
        r[AUDIENCE] is not None and r[LINKS] for r in links
    )


def _cluster_of(visible: list[Any]) -> tuple[int | None, int]:
    """The cluster a value's answer shows and its seed (the smallest report of it): that of
    the reports that link the value; a list report's own only when no other names it."""
    linking = [r for r in visible if r[LINKS]] or visible
    cid = linking[0][CID]
    return cid, min(int(r[RID]) for r in linking if r[CID] == cid)


class Reads:
    """Reads for one reader, with the per-request caches a bulk check needs."""

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
        self._readable = true() if self._all else _READABLE
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

    # ---- checks -------------------------------------------------------------------------

    def check(self, obs: Observable) -> dict[str, Any]:
        return self.check_many([obs])[0]

    def check_many(self, items: Sequence[Observable]) -> list[dict[str, Any]]:
        """Check values: from their stored summaries where current
        (store/observable_summaries.py), from their links otherwise.

        A bulk check builds some fifteen containers per value and no reference cycles,
        so the cyclic collector is paused while it runs: its passes over the growing
        result were a third of a warm bulk check's CPU (benchmarks/RESULTS.md)."""
        if len(items) < BULK:
            return self._check_many(items)
        with collection_paused():
            return self._check_many(items)

    def _check_many(self, items: Sequence[Observable]) -> list[dict[str, Any]]:
        refs = [o.ref for o in items]
        whole, partial, slow = self._lookup(sorted(set(refs)))
        found: dict[str, list[Any]] = {}
        stmt = _CHECK_ALL if self._all else _CHECK_POLICY
        for part in chunks(slow, CHUNK):
            for row in self.conn.execute(stmt, {**self._params, "refs": part}):
                found.setdefault(row[REF], []).append(row)
        self._load(_clusters_shown(whole, partial, found))
        computed: list[_Computed] = []
        out = []
        for o, ref in zip(items, refs, strict=True):
            hit = whole.get(ref)
            if hit is not None:
                out.append(self._stored_result(o, hit, self._seen_whole(hit)))
            elif ref in partial:
                out.append(self._stored_result(o, *partial[ref]))
            else:
                out.append(self._result(o, found.get(ref), computed))
        if computed and writing(self._engine_key):
            offer_summaries(self._engine_key, self._summary_rows(computed))
        return out

    def _lookup(
        self, refs: list[str]
    ) -> tuple[dict[str, Any], dict[str, tuple[Any, _Seen]], list[str]]:
        """Split `refs`: those with a current stored summary this reader may read whole
        (their rows), those with one it may read in part (their rows and what it may see),
        and the rest."""
        whole: dict[str, Any] = {}
        partial: dict[str, Any] = {}
        for part in chunks(refs, CHUNK):
            for row in self.conn.execute(stored.LOOKUP, {"refs": part}):
                if stored.usable(row):
                    if self._reads_all(row[stored.AUDIENCES]):
                        whole[row[stored.REF]] = row
                    else:
                        partial[row[stored.REF]] = row
        seen = {ref: (row, self._seen_part(row)) for ref, row in partial.items()}
        return whole, seen, [r for r in refs if r not in whole and r not in seen]

    def _seen_whole(self, row: Any) -> _Seen:
        """What a reader who may read every report of a value sees of its stored summary:
        (figures, seed, AMBER+ report ids, hint)."""
        sensitive = row[stored.SENSITIVE]
        return (
            orjson.loads(row[stored.SUMMARY]),
            row[stored.SEED],
            orjson.loads(sensitive) if sensitive != "[]" else _NONE,
            None,
        )

    def _seen_part(self, row: Any) -> _Seen:
        """What a reader who may not read every report of a value sees of its stored
        summary: the figures of the audiences it may read (None when none), merged as
        `_summary` computes them from those reports' links; their seed and AMBER+ report
        ids; and what the hidden AMBER reports may reveal."""
        readable: list[stored.Group] = []
        amber: list[str] = []
        groups = orjson.loads(row[stored.GROUPS])
        for tokens, group in zip(orjson.loads(row[stored.AUDIENCES]), groups, strict=True):
            if self._may_read(frozenset(tokens)):
                readable.append(group)
            else:
                amber.extend(group[3])
        # Hidden reports exist here (not every audience is readable).
        hint = self._amber_hint(amber) if self.reader.agency is not None else None
        if not readable:
            return None, 0, _NONE, hint
        if len(readable) == 1:
            fields, seed, sensitive, _ = readable[0]
            return fields, seed, sensitive, hint
        return (*stored.merged(readable), hint)

    def _reads_all(self, audiences: str) -> bool:
        """May this reader read every one of these audiences (a summary's JSON)?"""
        ok = self._reads.get(audiences)
        if ok is None:
            ok = self._reads[audiences] = all(
                self._may_read(frozenset(tokens)) for tokens in orjson.loads(audiences)
            )
        return ok

    def _load(self, wanted: dict[int, int]) -> None:
        """Stored views where there is one for this reader's signature (store/summaries.py);
        whole snapshots for the rest, offered to the summary writer."""
        if not wanted:
            return
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

    def _base(self, obs: Observable) -> dict[str, Any]:
        return {
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

    def _stored_result(self, obs: Observable, row: Any, seen: _Seen) -> dict[str, Any]:
        """The answer from a stored summary: what `_result` answers from the links of a
        linkable value, from one row."""
        fields, seed, sensitive, hint = seen
        if fields is None:
            base = self._base(obs)
        else:
            if sensitive:
                self.sensitive_reads.update(sensitive)
            # The keys in `_base`'s order, as `_result` fills them.
            base = {
                "kind": obs.kind.value,
                "key": obs.key,
                "display": obs.display or obs.key,
                "valid": True,
                **fields,
                "score": decayed_score(
                    fields["corroboration"],
                    datetime.fromisoformat(fields["last_seen"]),
                    self.now,
                    self.settings.decay_half_life_days,
                ),
                "hub": False,
                "warninglist": None,
                "cluster": self._cluster_part(
                    row[stored.CID], seed, row[stored.REF], None
                ),
            }
        if hint:
            base["hidden"] = hint
        return base

    def _result(
        self, obs: Observable, rows: list[Any] | None, computed: list[_Computed]
    ) -> dict[str, Any]:
        """The answer from the value's links (every active one comes with whether this
        reader may read it); the links of a linkable value also go to `computed`, for
        storing its summary."""
        base = self._base(obs)
        if rows is None:
            return base
        links = [row for row in rows if row[RID] is not None]
        visible = [row for row in links if row[OK]]
        row = rows[0]
        is_hub = bool(row[IS_HUB])
        linkable = not is_hub and row[WARN] is None
        if linkable and links and _storable(links):
            computed.append((row[REF], links))
        if len(visible) < len(links) and self.reader.agency is not None:
            hint = self._amber_hint(
                [r[AGENCY] for r in links if not r[OK] and r[TLP_] == TLP.AMBER.value]
            )
            if hint:
                base["hidden"] = hint
        if not visible:
            return base  # nothing readable: not even whether the node knows the value
        # A hub is only named as such when the reader's own view shows it: the node-wide
        # count behind the flag includes reports the reader may not see.
        base["hub"] = is_hub and len(visible) > self.settings.hub_threshold
        base["warninglist"] = row[WARN]
        fields, last, _, sensitive = self._summary(visible)
        base.update(fields)
        base["score"] = decayed_score(
            fields["corroboration"], last, self.now, self.settings.decay_half_life_days
        )
        self.sensitive_reads.update(sensitive)
        if linkable:
            cid, in_cluster = _cluster_of(visible)
            base["cluster"] = self._cluster_part(cid, in_cluster, row[REF], visible)
        return base

    def summary_rows(self, refs: list[str]) -> list[stored.Row]:
        """The summaries to store for those of `refs` without a current one
        (`summarise_observables`)."""
        slow = self._lookup(refs)[2]
        computed: list[_Computed] = []
        for part in chunks(slow, CHUNK):
            found: dict[str, list[Any]] = {}
            for row in self.conn.execute(_CHECK_ALL, {"refs": part}):
                if row[RID] is not None and not row[IS_HUB] and row[WARN] is None:
                    found.setdefault(row[REF], []).append(row)
            computed.extend((ref, links) for ref, links in found.items() if _storable(links))
        return self._summary_rows(computed) if computed else []

    def _cluster_part(
        self, cid: int | None, seed: int, ref: str, visible: list[Any] | None
    ) -> dict[str, Any] | None:
        """The reader's view of the seed's cluster without the value itself.  `visible`:
        the value's readable links when known (else the seed is one in `cid`)."""
        stored_view = self._stored.get(cid) if cid is not None else None
        part = stored_view.for_seed(seed) if stored_view is not None else None
        if part is not None and (
            visible is None or any(r[RID] == seed and r[CID] == cid for r in visible)
        ):
            view: dict[str, Any] | None = self._stored_view(part, ref)
        elif cid is not None:
            view = self.cluster_view(cid, seed, exclude_ref=ref)
        else:
            return None
        if view is not None and len(view["observables"]) > self.top:
            view["observables"] = view["observables"][: self.top]
        return view

    def _stored_view(self, part: Component, exclude_ref: str) -> dict[str, Any]:
        """A stored view of the seed's component for this reader's signature."""
        shared, sensitive, refs = part
        if sensitive:
            self.sensitive_reads.update(sensitive)
        view = dict(shared)
        listed = shared["observables"]
        if exclude_ref in refs:
            i = refs.index(exclude_ref)
            view["observables"] = listed[:i] + listed[i + 1 :]
        else:
            view["observables"] = list(listed)
        return view

    def _summary(self, links: list[Any]) -> tuple[dict[str, Any], datetime, int, list[str]]:
        """The check's figures from links, in the check's key order; their last sighting
        (the score decays from it), the smallest report id (the cluster view's seed) and
        the AMBER+ report ids read."""
        ags: set[str] = set()
        countries: set[str] = set()
        losses: dict[str, Decimal] = defaultdict(Decimal)
        sensitive: list[str] = []
        first = last = aware(links[0][SEEN])
        seed = links[0][RID]
        for link in links:
            ags.add(link[AGENCY])
            countries.add(link[COUNTRY])
            if link[TLP_] in SENSITIVE:
                sensitive.append(f"report:{link[RID]}")
            if link[AMOUNT] is not None and link[CURRENCY]:
                losses[link[CURRENCY]] += Decimal(link[AMOUNT])
            seen = aware(link[SEEN])
            first = min(first, seen)
            last = max(last, seen)
            seed = min(seed, link[RID])
        agencies_seen = sorted(ags)
        fields = {
            "reports": len(links),
            "agencies": agencies_seen,
            "countries": sorted(countries),
            "first_seen": iso(first),
            "last_seen": iso(last),
            "losses": money(losses),
            "corroboration": len(agencies_seen),
        }
        return fields, last, int(seed), sensitive

    def _summary_rows(self, computed: list[_Computed]) -> list[stored.Row]:
        """Rows to store from the links of values this request read: the figures of all
        of them, and per canonical audience those of its reports with the agencies of
        their AMBER ones (what a reader who may not read that audience is hinted)."""
        ids = {r[AUDIENCE] for _, links in computed for r in links}
        tokens = holdings.Audiences(self.conn).tokens_of(ids)
        out: list[stored.Row] = []
        for ref, links in computed:
            fields, _, seed, sensitive = self._summary(links)
            by: dict[tuple[str, ...], list[Any]] = {}
            for link in links:
                by.setdefault(tokens[link[AUDIENCE]], []).append(link)
            order = sorted(by)
            groups = []
            for key in order:
                part = by[key]
                g_fields, _, g_seed, g_sensitive = self._summary(part)
                amber = [r[AGENCY] for r in part if r[TLP_] == TLP.AMBER.value]
                groups.append((g_fields, g_seed, sorted(set(g_sensitive)), amber))
            out.append(
                (
                    ref,
                    links[0][CID],
                    links[0][STAMP],
                    seed,
                    orjson.dumps(order).decode(),
                    orjson.dumps(sorted(set(sensitive))).decode(),
                    orjson.dumps(fields).decode(),
                    orjson.dumps(groups).decode(),
                )
            )
        return out

    def _amber_hint(self, owners: list[str]) -> dict[str, Any] | None:
        """What hidden AMBER reports (by their owner agencies) may reveal, as each owner
        allows; other hidden reports are never hinted at (`hint_for`)."""
        if not owners:
            return None
        if self._hint_settings is None:
            self._hint_settings = dict(
                self.conn.execute(select(agencies.c.code, agencies.c.hint_amber)).all()
            )
        count = 0
        names: set[str] = set()
        for owner in owners:
            hint = hint_for(TLP.AMBER, self._hint_settings.get(owner) or "none")
            if hint != "none":
                count += 1
            if hint == "agency":
                names.add(owner)
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


def summarise_observables(engine: Engine, settings: Settings) -> Iterator[int]:
    """Store the summary of every linkable value without a current one, one transaction
    per chunk of values (`bersama correlate --summaries`); yield the rows stored per
    chunk.  Checks store them behind the reads anyway: this is for after a large import."""
    after = 0
    system = Reader.system()
    while True:
        with engine.begin() as conn:
            batch = conn.execute(_LINKABLE, {"after": after}).all()
            if not batch:
                return
            after = batch[-1][0]
            reads = Reads(conn, system, settings)
            yield stored.write(conn, reads.summary_rows([ref for _, ref in batch]))


_LINKABLE = (
    select(observables.c.id, observables.c.ref)
    .where(
        observables.c.id > bindparam("after"),
        observables.c.is_hub.is_(False),
        observables.c.warninglist.is_(None),
    )
    .order_by(observables.c.id)
    .limit(CHUNK)
)

__all__ = ["Reads", "readable", "summarise_observables"]
