"""Incremental cluster maintenance in SQL, and the full rebuild it must agree with.

Clusters are connected components of reports joined by *linkable* observables:
not on a warninglist and not a hub (linked to more than `hub_threshold` active
reports).  A cluster's id is its smallest report id, so an incremental result
and `rebuild` produce identical rows, which the tests compare exactly.

Cost: adding reports unions them with the clusters reachable through their
own observables and relabels only the smaller-id-losing clusters, so it grows
with what is new, not with what is stored.  Only splits (a report withdrawn,
a value turning into a hub) re-read a whole cluster, and only that cluster.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from functools import cache

from sqlalchemy import BindParameter, Connection, and_, bindparam, delete, func, or_, select, update

from bersama.correlation.unionfind import UnionFind, components
from bersama.store import bulk, holdings
from bersama.store.tables.core import clusters, observables, report_observables, reports
from bersama.store.values import chunks
from bersama.store.writelock import hold_correlation

CHUNK = 5000
CLUSTER_COLUMNS = ("id", "size", "countries", "cross_border", "stamp")
_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)
"""Every `IN` list of ids below: an expanding parameter is rendered at execution, so
SQLAlchemy neither coerces each of up to 5,000 values nor compiles a new statement for
each list length."""


def _countries_lists() -> Callable[[frozenset[str]], list[str]]:
    """Sorted list of a set of countries, one list object per distinct set: most clusters
    share a few (one country each), and the bulk insert serialises each object to JSON
    once."""
    return cache(sorted)


_linkable = and_(
    observables.c.warninglist.is_(None), observables.c.is_hub.is_(False), reports.c.links
)
"""A link that joins clusters (with `reports` and `observables` joined): a value that is no
hub and on no warninglist, in a report that is no list."""


def refresh_hubs(
    conn: Connection, observable_ids: Iterable[int], threshold: int
) -> tuple[list[int], list[int], set[int]]:
    """Flip hub flags of the given observables; return (new hubs, former hubs, those of
    them that do not link: hubs now, or on a warninglist)."""
    ids = sorted(set(observable_ids))
    new_hubs: list[int] = []
    old_hubs: list[int] = []
    unlinkable: set[int] = set()
    for oid, count, is_hub, listed in bulk.select_in(
        conn, observables, ("id", "report_count", "is_hub", "warninglist"), "id", ids,
        chunk=CHUNK,
    ):
        hub = count > threshold
        if hub != is_hub:
            (new_hubs if hub else old_hubs).append(oid)
        if hub or listed is not None:
            unlinkable.add(oid)
    for flag, group in ((True, new_hubs), (False, old_hubs)):
        for part in chunks(group, CHUNK):
            conn.execute(
                update(observables).where(observables.c.id.in_(_IDS)).values(is_hub=flag),
                {"ids": part},
            )
    return new_hubs, old_hubs, unlinkable


def clusters_of_observables(conn: Connection, observable_ids: Sequence[int]) -> set[int]:
    out: set[int] = set()
    for part in chunks(list(observable_ids), CHUNK):
        out.update(
            conn.execute(
                select(reports.c.cluster_id)
                .distinct()
                .join(report_observables, report_observables.c.report_id == reports.c.id)
                .where(
                    report_observables.c.observable_id.in_(_IDS),
                    reports.c.revoked.is_(False),
                    reports.c.cluster_id.is_not(None),
                ),
                {"ids": part},
            ).scalars()
        )
    return out


def restamp(conn: Connection, cluster_ids: Iterable[int]) -> None:
    """New stamps for clusters whose members did not change but whose identifiers' figures
    did (a list report naming them): what was stored under the old stamps is not served."""
    for part in chunks(sorted(set(cluster_ids)), CHUNK):
        conn.execute(update(clusters).where(clusters.c.id.in_(_IDS)).values(stamp=time.time_ns()),
                     {"ids": part})


def split(conn: Connection, cluster_ids: Iterable[int]) -> None:
    """Recompute the given clusters from their current members (after a value is listed)."""
    holdings.add_cross_border(conn, _split(conn, cluster_ids))


def _split(conn: Connection, cluster_ids: Iterable[int]) -> int:
    """Recompute the given clusters from their current members (after removals or new
    hubs); return the change in cross-border clusters (store/holdings.py counts them)."""
    targets = sorted(set(cluster_ids))
    if not targets:
        return 0
    members: dict[int, str] = {}
    current: dict[int, int] = {}
    edges: list[tuple[int, int]] = []
    for part in chunks(targets, CHUNK):
        for rid, country, cid in conn.execute(
            select(reports.c.id, reports.c.country, reports.c.cluster_id).where(
                reports.c.cluster_id.in_(_IDS), reports.c.revoked.is_(False)
            ),
            {"ids": part},
        ).all():
            members[rid] = country
            current[rid] = cid
        by_obs: dict[int, int] = {}
        for rid, oid in conn.execute(
            select(report_observables.c.report_id, report_observables.c.observable_id)
            .join(reports, reports.c.id == report_observables.c.report_id)
            .join(observables, observables.c.id == report_observables.c.observable_id)
            .where(reports.c.cluster_id.in_(_IDS), reports.c.revoked.is_(False), _linkable),
            {"ids": part},
        ).all():
            first = by_obs.setdefault(oid, rid)
            if first != rid:
                edges.append((first, rid))
    gone = _delete_clusters(conn, targets)
    return _write_components(conn, components(edges, members), members, current) - gone


def _delete_clusters(conn: Connection, ids: Sequence[int]) -> int:
    """Delete clusters; return how many were cross-border."""
    gone = 0
    for part in chunks(ids, CHUNK):
        gone += sum(
            conn.execute(
                delete(clusters).where(clusters.c.id.in_(_IDS)).returning(clusters.c.cross_border),
                {"ids": part},
            ).scalars()
        )
    return gone


def _write_components(
    conn: Connection,
    comp: dict[int, int],
    countries: dict[int, str],
    current: dict[int, int] | None = None,
) -> int:
    """Write the components' clusters; return how many are cross-border.  `current`: the
    members' cluster ids as stored, when some are set (a split keeps most members in the
    cluster they were in: only those that move are updated)."""
    sizes: dict[int, int] = {}
    cc: dict[int, set[str]] = {}
    for rid, root in comp.items():
        sizes[root] = sizes.get(root, 0) + 1
        cc.setdefault(root, set()).add(countries[rid])
    if current is None:
        pairs = [(root, rid) for rid, root in comp.items()]
    else:
        pairs = [(root, rid) for rid, root in comp.items() if current[rid] != root]
    for i in range(0, len(pairs), CHUNK):
        bulk.update_many(conn, reports, "cluster_id", "id", pairs[i : i + CHUNK])
    listed = _countries_lists()
    rows = [
        (root, n, listed(frozenset(cc[root])), len(cc[root]) > 1, time.time_ns())
        for root, n in sorted(sizes.items())
    ]
    for i in range(0, len(rows), CHUNK):
        bulk.insert_rows(conn, clusters, CLUSTER_COLUMNS, rows[i : i + CHUNK])
    return sum(1 for row in rows if row[3])


Added = Mapping[int, tuple[str, Sequence[int]]]
"""Reports to correlate, by id: (country, ids of the observables it links), as the caller
has just stored them; correlation takes them from the caller rather than reading back
what it wrote."""


def join(
    conn: Connection,
    added: Added,
    unlinkable: Container[int],
    unhubbed: Sequence[int],
    fresh: Container[int] = frozenset(),
) -> int:
    """Union newly added reports (cluster_id NULL) and former hubs into the clusters they
    reach; return the change in cross-border clusters.

    `unlinkable`: hubs and warninglisted values among the added reports' observables
    (`refresh_hubs` tells).  `fresh`: observables stored by this same batch, which no
    report in a cluster links yet, so their clusters are not looked up.

    A report whose linkable observables no other added report links and no cluster
    reaches (a report of values new to the node, say) is a cluster of its own, written
    without the union-find.  Union-find nodes are ints, 3*id + 0 for a report, 1 for an
    observable, 2 for a cluster: hashing and comparing ints is several times cheaper than
    ("r", id) tuples."""
    own: dict[int, list[int]] = {}
    named: dict[int, int] = {}  # linkable observable -> how many added reports link it
    for rid, (_, links) in added.items():
        linked = own[rid] = [oid for oid in links if oid not in unlinkable]
        for oid in linked:
            named[oid] = named.get(oid, 0) + 1
    reached: dict[int, list[int]] = {}  # observable -> clusters whose reports link it
    reach = sorted(oid for oid in {*named, *unhubbed} if oid not in fresh)
    for part in chunks(reach, CHUNK):
        for oid, cid in conn.execute(
            select(report_observables.c.observable_id, reports.c.cluster_id)
            .distinct()
            .join(reports, reports.c.id == report_observables.c.report_id)
            .where(
                report_observables.c.observable_id.in_(_IDS),
                reports.c.revoked.is_(False),
                reports.c.cluster_id.is_not(None),
                reports.c.links,
            ),
            {"ids": part},
        ).all():
            reached.setdefault(oid, []).append(cid)
    uf = UnionFind()
    lone: list[int] = []
    for rid, linked in own.items():
        if all(named[oid] == 1 and oid not in reached for oid in linked):
            lone.append(rid)  # a component of its own: no union-find needed
            continue
        node = rid * 3
        uf.add(node)
        for oid in linked:
            uf.union(oid * 3 + 1, node)
    for oid, cids in reached.items():
        for cid in cids:
            uf.union(oid * 3 + 1, cid * 3 + 2)
    return _merge(conn, uf, {rid: country for rid, (country, _) in added.items()}, lone)


def _merge(conn: Connection, uf: UnionFind, new_country: dict[int, str], lone: list[int]) -> int:
    """Apply the union's components in bulk: one target id per component (its minimum);
    each of the `lone` reports is a new cluster of its own."""
    comps: list[tuple[list[int], list[int]]] = []
    for group in uf.groups().values():
        old = [n // 3 for n in group if n % 3 == 2]  # type: ignore[operator]
        new = [n // 3 for n in group if n % 3 == 0]  # type: ignore[operator]
        if old or new:
            comps.append((old, new))
    all_old = sorted({c for old, _ in comps for c in old})
    existing: dict[int, tuple[int, list[str]]] = {}
    for part in chunks(all_old, CHUNK):
        for cid, size, countries in conn.execute(
            select(clusters.c.id, clusters.c.size, clusters.c.countries).where(
                clusters.c.id.in_(_IDS)
            ),
            {"ids": part},
        ):
            existing[cid] = (size, countries)
    relabel: list[tuple[int, int]] = []
    assign: list[tuple[int, int]] = []
    listed = _countries_lists()
    rows: list[tuple[object, ...]] = [
        (rid, 1, listed(frozenset((new_country[rid],))), False, time.time_ns()) for rid in lone
    ]
    for old, new in comps:
        target = min(old + new)
        size = sum(existing[c][0] for c in old) + len(new)
        countries = {cc for c in old for cc in existing[c][1]}
        countries.update(new_country[r] for r in new)
        relabel.extend((target, c) for c in old if c != target)
        assign.extend((target, r) for r in new)
        rows.append(
            (target, size, listed(frozenset(countries)), len(countries) > 1, time.time_ns())
        )
    bulk.update_many(conn, reports, "cluster_id", "cluster_id", relabel)
    bulk.update_many(conn, reports, "cluster_id", "id", assign)
    for part in chunks(lone, CHUNK):
        conn.execute(
            update(reports).where(reports.c.id.in_(_IDS)).values(cluster_id=reports.c.id),
            {"ids": part},
        )
    gone = _delete_clusters(conn, all_old)
    bulk.insert_rows(conn, clusters, CLUSTER_COLUMNS, rows)
    return sum(1 for row in rows if row[3]) - gone


def detach(conn: Connection, report_ids: Sequence[int]) -> tuple[set[int], set[int]]:
    """Take reports out of correlation (before a withdrawal or a new version).

    Decrements the counts of their observables and clears their cluster; returns
    (the clusters they were in, the observables they touched) for the caller to
    `split` and `refresh_hubs` once the batch is applied.
    """
    old_clusters: set[int] = set()
    touched: set[int] = set()
    counts: dict[int, int] = {}
    for part in chunks(list(report_ids), CHUNK):
        old_clusters.update(
            c
            for c in conn.execute(
                select(reports.c.cluster_id).where(
                    reports.c.id.in_(_IDS), reports.c.revoked.is_(False)
                ),
                {"ids": part},
            ).scalars()
            if c is not None
        )
        for oid in conn.execute(
            select(report_observables.c.observable_id)
            .join(reports, reports.c.id == report_observables.c.report_id)
            .where(report_observables.c.report_id.in_(_IDS), reports.c.revoked.is_(False)),
            {"ids": part},
        ).scalars():
            counts[oid] = counts.get(oid, 0) + 1
        conn.execute(
            update(reports).where(reports.c.id.in_(_IDS)).values(cluster_id=None), {"ids": part}
        )
    add_counts(conn, {k: -v for k, v in counts.items()})
    touched.update(counts)
    return old_clusters, touched


def add_counts(conn: Connection, deltas: dict[int, int]) -> None:
    if not deltas:
        return
    marker = bulk.marker(conn)
    if marker is None:  # pragma: no cover - drivers other than sqlite3 and psycopg
        conn.execute(
            update(observables)
            .where(observables.c.id == bindparam("oid"))
            .values(report_count=observables.c.report_count + bindparam("delta")),
            [{"oid": k, "delta": v} for k, v in deltas.items()],
        )
        return
    conn.exec_driver_sql(
        f"UPDATE observables SET report_count = report_count + {marker} "  # noqa: S608
        f"WHERE id = {marker}",  # fixed SQL; values bound
        [(v, k) for k, v in deltas.items()],
    )


def maintain(
    conn: Connection,
    *,
    added: Added,
    split_clusters: set[int],
    touched_observables: set[int],
    hub_threshold: int,
    fresh_observables: Container[int] = frozenset(),
) -> int:
    """Bring clusters up to date after a batch of additions and detachments; return the
    change in cross-border clusters, for the batch to count (store/holdings.py).

    `added`: the reports written by the batch and still active (see `Added`);
    `fresh_observables`: observables this batch stored (see `join`)."""
    touched = set(touched_observables)
    for _, links in added.values():
        touched.update(links)
    new_hubs, unhubbed, unlinkable = refresh_hubs(conn, touched, hub_threshold)
    to_split = set(split_clusters)
    if new_hubs:
        to_split |= clusters_of_observables(conn, new_hubs)
    return _split(conn, to_split) + join(conn, added, unlinkable, unhubbed, fresh_observables)


def rebuild(conn: Connection, hub_threshold: int, list_threshold: int) -> None:
    """Recompute list and hub flags, clusters and counts, and the holdings counters
    (store/holdings.py), from the stored reports alone."""
    hold_correlation(conn)
    named = (
        select(func.count())
        .where(report_observables.c.report_id == reports.c.id)
        .scalar_subquery()
    )
    conn.execute(update(reports).values(links=or_(reports.c.one_campaign, named <= list_threshold)))
    conn.execute(update(observables).values(report_count=0, is_hub=False))
    counts = (
        select(report_observables.c.observable_id, func.count().label("n"))
        .join(reports, reports.c.id == report_observables.c.report_id)
        .where(reports.c.revoked.is_(False))
        .group_by(report_observables.c.observable_id)
    )
    add_counts(conn, dict(conn.execute(counts).all()))
    conn.execute(
        update(observables).where(observables.c.report_count > hub_threshold).values(is_hub=True)
    )
    conn.execute(delete(clusters))
    conn.execute(update(reports).values(cluster_id=None))
    members = dict(
        conn.execute(
            select(reports.c.id, reports.c.country).where(reports.c.revoked.is_(False))
        ).all()
    )
    edges: list[tuple[int, int]] = []
    last_obs, first = -1, -1
    for oid, rid in conn.execute(
        select(report_observables.c.observable_id, report_observables.c.report_id)
        .join(reports, reports.c.id == report_observables.c.report_id)
        .join(observables, observables.c.id == report_observables.c.observable_id)
        .where(reports.c.revoked.is_(False), _linkable)
        .order_by(report_observables.c.observable_id)
    ).all():
        if oid != last_obs:
            last_obs, first = oid, rid
        else:
            edges.append((first, rid))
    _write_components(conn, components(edges, members), members)
    holdings.rebuild(conn)
