"""Checks: what the node knows of values, for one reader, one value or 10,000 at once.

`Reads` is the read layer callers use: it checks values here and browses clusters and
reports through `Browse` (store/browse.py), both within the reader's scope
(store/scope.py, where the markings policy meets SQL).  A check answers from the value's
stored summary where it is current (store/observable_summaries.py) and from its links
otherwise, and the cluster it shows is the reader's visible part of the value's cluster.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Engine, and_, bindparam, func, select, true

from bersama.config import Settings
from bersama.correlation.score import decayed_score
from bersama.gcpause import collection_paused
from bersama.markings import TLP, Reader
from bersama.markings.policy import hint_for
from bersama.observables.model import Observable
from bersama.store import holdings
from bersama.store import observable_summaries as stored
from bersama.store.browse import Browse
from bersama.store.clusterviews import SENSITIVE, SNAPSHOTS, aware, iso, money
from bersama.store.scope import READABLE
from bersama.store.summaries import SUMMARIES, Component
from bersama.store.summary_writer import offer, offer_summaries, writing
from bersama.store.tables.core import agencies, clusters, observables, report_observables, reports
from bersama.store.values import chunks

CHUNK = 2000
BULK = 100
"""Values from which a check pauses the cyclic collector (`check_many`)."""


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


# Built once: reusing the same statement objects lets SQLAlchemy skip rebuilding their
# cache keys, which otherwise costs more than SQLite's own work per check.
_CHECK_POLICY = _check_stmt(READABLE)
_CHECK_ALL = _check_stmt(true())

# Positions in a `_check_stmt` row.
(
    REF, IS_HUB, WARN, RID, AGENCY, COUNTRY, TLP_, SEEN, AMOUNT, CURRENCY, CID, OK, STAMP, AUDIENCE,
    LINKS,
) = range(15)


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


class Reads(Browse):
    """Every read for one reader: checks here, browsing (`Browse`) and the reader's scope
    with the per-request caches a bulk check needs (`ReadScope`)."""

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

__all__ = ["Reads", "summarise_observables"]
