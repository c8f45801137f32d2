"""What the node holds, per audience: counters kept on ingest, read by the statistics.

Why: `/api/v1/status` and the front page count what the reader may read (statistics
never count hidden rows).  Counting that from the reports scanned the whole store on
every request, minutes at 10M observables.  Ingest keeps counters instead, and a
reader's figures are sums over the counters of the audiences it may read: one indexed
range per token the reader holds, whatever the size of the store (ADR 0009).

Audiences.  A report's audience tokens (`report_audience`) decide who may read it:
a reader may when its tokens (`reader_tokens`) meet them.  Every reader but the
system holds `public`, and every reader holding any other token also holds
`community`; so tokens with `public` are read exactly as `{public}`, tokens with
`community` exactly as `{community}`, and the rest as they are.  That *canonical*
form makes the same read decision for every reader and merges most audiences into
two.  Canonical audiences are named once (`audiences`, tokens indexed in
`audience_tokens`), and each report points at its own (`reports.audience`).

Counters (tables/holdings.py):
- `report_holdings`: active reports per (audience, country);
- `observable_holdings`: observables per audience, where an observable's audience
  (`observables.audience`) is the canonical union of its active reports' audiences,
  NULL when it has none.  A reader may read one of those reports exactly when it may
  read the union, so the distinct observables a reader may see are the sum over the
  audiences it may read;
- `node_counters`: the cross-border clusters, kept by store/correlate.py.

On ingest (`Tally`) an observable's audience only widens when it gains links, computed
from its stored audience and the new links' without reading its links; it is
recomputed only when it loses one (a superseded or revoked version), and then a widely
linked public or community value by its first matching link rather than all of them
(`_lost_audiences`: a hub's tens of thousands of links are not read per batch).
Counters are written once per batch.
`rebuild` recomputes everything from the reports alone and agrees exactly with the
incremental result (tests/contract/test_holdings.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from typing import Any

import orjson
from sqlalchemy import (
    BindParameter,
    Connection,
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite

from bersama.markings.model import ALL, COMMUNITY, PUBLIC
from bersama.store import bulk
from bersama.store.tables.core import (
    clusters,
    observables,
    report_audience,
    report_observables,
    reports,
)
from bersama.store.tables.holdings import (
    audience_tokens,
    audiences,
    node_counters,
    observable_holdings,
    report_holdings,
)
from bersama.store.values import chunks

CHUNK = 5000
RANGE = 20_000
"""Ids per step of `rebuild`: its memory stays bounded at any store size."""
CROSS_BORDER = "cross_border_clusters"
Tokens = tuple[str, ...]
_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)


def canonical(tokens: Iterable[str]) -> Tokens:
    """The tokens every reader reads exactly as it reads `tokens` (see above)."""
    held = frozenset(tokens)
    if PUBLIC in held:
        return (PUBLIC,)
    if COMMUNITY in held:
        return (COMMUNITY,)
    return tuple(sorted(held))


def _digest(tokens: Tokens) -> str:
    return hashlib.sha256(orjson.dumps(tokens)).hexdigest()


class Audiences:
    """Canonical audiences by tokens and by id, for one transaction: an audience named
    in it is rolled back with it, so nothing here outlives the caller's work."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._ids: dict[Tokens, int] = {}
        self._tokens: dict[int, Tokens] = {}
        self._unions: dict[frozenset[int], int] = {}

    def ids_of(self, many: Iterable[Tokens]) -> dict[Tokens, int]:
        """The ids of canonical token sets, naming the new ones (one lookup for all)."""
        # in token order, so that the same input names its new audiences with the same ids
        # (a set's order changes with each process's string hashing)
        wanted = sorted(set(many))
        todo = {_digest(t): t for t in wanted if t not in self._ids}
        if todo:
            conn = self.conn
            found = bulk.lookup(conn, audiences, "digest", "id", list(todo))
            missing = [d for d in todo if d not in found]
            if missing:
                # Concurrent batches may name the same audience: the second waits for the
                # first and skips it; whoever's insert stands also wrote the tokens, and
                # writing them again is skipped the same way.
                bulk.insert_rows(
                    conn,
                    audiences,
                    ("digest", "tokens"),
                    [(d, list(todo[d])) for d in missing],
                    ignore_conflicts=True,
                )
                named = bulk.lookup(conn, audiences, "digest", "id", missing)
                bulk.insert_rows(
                    conn,
                    audience_tokens,
                    ("token", "audience_id"),
                    [(tok, named[d]) for d in missing for tok in todo[d]],
                    ignore_conflicts=True,
                )
                found.update(named)
            for d, aid in found.items():
                self._ids[todo[d]] = aid
                self._tokens[aid] = todo[d]
        return {t: self._ids[t] for t in wanted}

    def tokens_of(self, ids: Iterable[int]) -> dict[int, Tokens]:
        wanted = set(ids)
        todo = sorted(wanted - self._tokens.keys())
        for aid, tokens in bulk.select_in(self.conn, audiences, ("id", "tokens"), "id", todo):
            self._tokens[aid] = tuple(tokens)
            self._ids[tuple(tokens)] = aid
        return {a: self._tokens[a] for a in wanted}

    def unions(self, many: Sequence[AbstractSet[int]]) -> list[int | None]:
        """The canonical audience of each set of audiences together (None for none), the
        new ones named in one lookup."""
        known = self._unions
        todo = {frozenset(s) for s in many if len(s) > 1} - known.keys()
        if todo:
            tokens = self.tokens_of({aid for key in todo for aid in key})
            canon = {key: canonical(t for aid in key for t in tokens[aid]) for key in todo}
            ids = self.ids_of(canon.values())
            for key, c in canon.items():
                known[key] = ids[c]
        return [next(iter(s), None) if len(s) < 2 else known[frozenset(s)] for s in many]


class Tally:
    """The counters' changes of one ingest batch (one transaction).

    The pipeline calls `withdraw` before replacing reports, `add` for every active
    report it writes, `flush` once each chunk's reports and links are written (the
    observables' audiences), `cross_border` with what correlation changed, and `write`
    at the end of the batch.  Counters are written last: every batch moves the same
    few rows, and a row written stays locked until the batch commits (PostgreSQL);
    batches already run one at a time from their first chunk (store/writelock.py)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.audiences = Audiences(conn)
        self._reports: dict[tuple[int, str], int] = {}
        self._observables: dict[tuple[int], int] = {}
        self._cross_border = 0
        self._gained: dict[int, frozenset[int]] = {}
        self._lost: set[int] = set()

    def audiences_of(self, token_sets: Sequence[Iterable[str]]) -> list[int]:
        """The canonical audience id of each report's tokens."""
        canon = [canonical(t) for t in token_sets]
        ids = self.audiences.ids_of(canon)
        return [ids[c] for c in canon]

    def withdraw(self, report_ids: Sequence[int], observable_ids: Iterable[int]) -> None:
        """Before `report_ids` are replaced: their active versions leave the counts, and the
        observables those linked (as `correlate.detach` returned them) are recomputed."""
        counts = self._reports
        for part in chunks(report_ids, CHUNK):
            for aid, country in self.conn.execute(
                select(reports.c.audience, reports.c.country).where(
                    reports.c.id.in_(_IDS), reports.c.revoked.is_(False)
                ),
                {"ids": part},
            ):
                counts[aid, country] = counts.get((aid, country), 0) - 1
        self._lost.update(observable_ids)

    def add(self, audience: int, country: str, links: Iterable[int]) -> None:
        """An active report written, with the observables it links."""
        key = (audience, country)
        self._reports[key] = self._reports.get(key, 0) + 1
        gained = self._gained
        one = frozenset((audience,))  # shared: a report of 300,000 values, one set, not 300,000
        for oid in links:
            seen = gained.get(oid)
            if seen is None:
                gained[oid] = one
            elif audience not in seen:
                gained[oid] = seen | one

    def cross_border(self, delta: int) -> None:
        """Cross-border clusters written (+) or deleted (-) by `correlate.maintain`."""
        self._cross_border += delta

    def flush(self) -> None:
        """Widen or recompute the audiences of the observables this chunk touched."""
        conn = self.conn
        gained, lost = self._gained, self._lost
        ids = sorted(gained.keys() | lost)
        obs = self._observables
        if ids:
            stored: dict[int, int | None] = bulk.lookup(conn, observables, "id", "audience", ids)
            linked = _lost_audiences(conn, sorted(lost), stored)
            sets: list[AbstractSet[int]] = []
            for oid in ids:
                if oid in lost:
                    sets.append(linked.get(oid, set()))
                else:
                    old = stored[oid]
                    sets.append(gained[oid] if old is None else gained[oid] | {old})
            changed: list[tuple[int | None, int]] = []
            for oid, new in zip(ids, self.audiences.unions(sets), strict=True):
                old = stored[oid]
                if new != old:
                    changed.append((new, oid))
                    if old is not None:
                        obs[old,] = obs.get((old,), 0) - 1
                    if new is not None:
                        obs[new,] = obs.get((new,), 0) + 1
            bulk.update_many(conn, observables, "audience", "id", changed)
        self._gained = {}
        self._lost = set()

    def write(self) -> None:
        """Add the batch's changes to the counters."""
        _add(self.conn, report_holdings, self._reports)
        _add(self.conn, observable_holdings, self._observables)
        add_cross_border(self.conn, self._cross_border)
        self._reports = {}
        self._observables = {}
        self._cross_border = 0


WIDE_LINKS = 500
"""Links from which an observable that lost one is first tried by `_still_broad`."""


def _lost_audiences(
    conn: Connection, lost: Sequence[int], stored: dict[int, int | None]
) -> dict[int, set[int]]:
    """The audiences of the active reports of each observable that lost a link.

    Reading every link costs what the value is linked to, and a hub at 10M observables
    has tens of thousands: replacing one report that names a bank's hotline used to
    read them all.  A widely linked value whose audience is `{public}` (or
    `{community}`) mostly keeps it, and whether it does is decided exactly by the
    first active link found with that audience (canonical forms: one link readable by
    the public makes the union public; without one, one readable by the community makes
    it the community's).  Only when none is found are its links all read."""
    if not lost:  # the common chunk: nothing replaced, nothing to read
        return {}
    broad = bulk.lookup(conn, audiences, "digest", "id",
                        [_digest((PUBLIC,)), _digest((COMMUNITY,))])
    public, community = broad.get(_digest((PUBLIC,))), broad.get(_digest((COMMUNITY,)))
    wide = {public, community} - {None}
    candidates = [oid for oid in lost if stored.get(oid) in wide]
    out: dict[int, set[int]] = {}
    if candidates:
        links = bulk.lookup(conn, observables, "id", "report_count", candidates)
        for oid in candidates:
            if links.get(oid, 0) >= WIDE_LINKS:
                kept = _still_broad(conn, oid, public, community if stored[oid] == community
                                    else None)
                if kept is not None:
                    out[oid] = {kept}
    return out | _active_audiences(conn, [oid for oid in lost if oid not in out])


def _still_broad(conn: Connection, oid: int, *in_order: int | None) -> int | None:
    """The first of these audiences that one of the observable's active reports has."""
    for aid in in_order:
        if aid is not None and conn.execute(
            select(report_observables.c.report_id)
            .join(reports, reports.c.id == report_observables.c.report_id)
            .where(report_observables.c.observable_id == oid, reports.c.audience == aid,
                   reports.c.revoked.is_(False))
            .limit(1)
        ).first() is not None:
            return aid
    return None


def _active_audiences(conn: Connection, observable_ids: Sequence[int]) -> dict[int, set[int]]:
    """The audiences of each observable's active reports."""
    out: dict[int, set[int]] = {}
    for part in chunks(observable_ids, CHUNK):
        for oid, aid in conn.execute(
            select(report_observables.c.observable_id, reports.c.audience)
            .distinct()
            .join(reports, reports.c.id == report_observables.c.report_id)
            .where(report_observables.c.observable_id.in_(_IDS), reports.c.revoked.is_(False)),
            {"ids": part},
        ):
            out.setdefault(oid, set()).add(aid)
    return out


_UPSERTS: dict[tuple[str, str], Any] = {}


def _add(conn: Connection, table: Table, deltas: dict[Any, int]) -> None:
    """Add `deltas` ({key columns' values: delta}) to the table's last column, creating rows
    as needed, in key order (concurrent batches then lock rows in one order)."""
    rows = sorted((*key, n) for key, n in deltas.items() if n)
    if not rows:
        return
    names = [c.name for c in table.columns]
    stmt = _UPSERTS.get((conn.dialect.name, table.name))
    if stmt is None:
        dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        base = dialect_insert(table).values({n: bindparam(n) for n in names})
        value = names[-1]
        stmt = _UPSERTS[conn.dialect.name, table.name] = base.on_conflict_do_update(
            index_elements=names[:-1], set_={value: table.c[value] + base.excluded[value]}
        )
    conn.execute(stmt, [dict(zip(names, row, strict=True)) for row in rows])


def add_cross_border(conn: Connection, delta: int) -> None:
    """Cross-border clusters were written (+) or deleted (-) outside an ingest batch."""
    _add(conn, node_counters, {(CROSS_BORDER,): delta})


# ---- reads ----------------------------------------------------------------------------

_READABLE = select(audience_tokens.c.audience_id).where(
    audience_tokens.c.token.in_(bindparam("tokens", expanding=True))
)
_BY_COUNTRY = (
    select(report_holdings.c.country, func.sum(report_holdings.c.reports))
    .group_by(report_holdings.c.country)
    .having(func.sum(report_holdings.c.reports) > 0)
    .order_by(report_holdings.c.country)
)
_OBSERVABLES = select(func.coalesce(func.sum(observable_holdings.c.observables), 0))
_BY_COUNTRY_READABLE = _BY_COUNTRY.where(report_holdings.c.audience.in_(_READABLE))
_OBSERVABLES_READABLE = _OBSERVABLES.where(observable_holdings.c.audience.in_(_READABLE))
_CROSS_BORDER = select(node_counters.c.value).where(node_counters.c.name == CROSS_BORDER)


def held(conn: Connection, tokens: frozenset[str]) -> tuple[dict[str, int], int]:
    """(active reports by country, distinct observables) a reader with `tokens` may read."""
    if ALL in tokens:
        by_country = conn.execute(_BY_COUNTRY).all()
        n_obs = conn.execute(_OBSERVABLES).scalar_one()
    else:
        params = {"tokens": sorted(tokens)}
        by_country = conn.execute(_BY_COUNTRY_READABLE, params).all()
        n_obs = conn.execute(_OBSERVABLES_READABLE, params).scalar_one()
    # int(): PostgreSQL sums BIGINT as NUMERIC
    return {country: int(n) for country, n in by_country}, int(n_obs)


def cross_border_clusters(conn: Connection) -> int:
    return int(conn.execute(_CROSS_BORDER).scalar() or 0)


# ---- rebuild --------------------------------------------------------------------------


def rebuild(conn: Connection) -> None:
    """Recompute every report's and observable's audience and every counter from the
    stored reports, their audience tokens and links alone (`correlate --rebuild`, and
    migration 0004 on a store written before the counters).  Audiences already named
    keep their ids; rows already right are not rewritten."""
    names = Audiences(conn)
    top = conn.execute(select(func.max(reports.c.id))).scalar() or 0
    for lo in range(1, top + 1, RANGE):
        current: dict[int, int | None] = {}
        tokens: dict[int, list[str]] = {}
        for rid, aid, token in conn.execute(
            select(reports.c.id, reports.c.audience, report_audience.c.token)
            .select_from(
                reports.outerjoin(report_audience, report_audience.c.report_id == reports.c.id)
            )
            .where(reports.c.id >= lo, reports.c.id < lo + RANGE)
        ):
            current[rid] = aid
            if token is not None:
                tokens.setdefault(rid, []).append(token)
        canon = {rid: canonical(tokens.get(rid, ())) for rid in current}
        ids = names.ids_of(canon.values())
        bulk.update_many(
            conn,
            reports,
            "audience",
            "id",
            [(ids[c], rid) for rid, c in canon.items() if ids[c] != current[rid]],
        )
    top = conn.execute(select(func.max(observables.c.id))).scalar() or 0
    linked = observables.outerjoin(
        report_observables, report_observables.c.observable_id == observables.c.id
    ).outerjoin(
        reports,
        and_(reports.c.id == report_observables.c.report_id, reports.c.revoked.is_(False)),
    )
    for lo in range(1, top + 1, RANGE):
        stored: dict[int, int | None] = {}
        auds: dict[int, set[int]] = {}
        for oid, aid, report_aid in conn.execute(
            select(observables.c.id, observables.c.audience, reports.c.audience)
            .select_from(linked)
            .where(observables.c.id >= lo, observables.c.id < lo + RANGE)
        ):
            stored[oid] = aid
            if report_aid is not None:
                auds.setdefault(oid, set()).add(report_aid)
        news = names.unions([auds.get(oid, set()) for oid in stored])
        changed = [
            (new, oid) for (oid, aid), new in zip(stored.items(), news, strict=True) if new != aid
        ]
        bulk.update_many(conn, observables, "audience", "id", changed)
    conn.execute(delete(report_holdings))
    conn.execute(delete(observable_holdings))
    conn.execute(delete(node_counters).where(node_counters.c.name == CROSS_BORDER))
    conn.execute(
        insert(report_holdings).from_select(
            ["audience", "country", "reports"],
            select(reports.c.audience, reports.c.country, func.count())
            .where(reports.c.revoked.is_(False))
            .group_by(reports.c.audience, reports.c.country),
        )
    )
    conn.execute(
        insert(observable_holdings).from_select(
            ["audience", "observables"],
            select(observables.c.audience, func.count())
            .where(observables.c.audience.is_not(None))
            .group_by(observables.c.audience),
        )
    )
    n_cross = conn.execute(
        select(func.count()).select_from(clusters).where(clusters.c.cross_border.is_(True))
    ).scalar_one()
    add_cross_border(conn, n_cross)


__all__ = [
    "Audiences",
    "Tally",
    "add_cross_border",
    "canonical",
    "cross_border_clusters",
    "held",
    "rebuild",
]
