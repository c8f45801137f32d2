"""Reassembling reports that a peer's pagination split across pages (or pushes).

Why: the ingest pipeline turns one bundle into drafts, and a report is only as
good as the observables and marking definitions its bundle holds.  Our own
server never splits a report version across pages, but it sends each shared
SCO and marking definition once (the first report to name it carries it), and
a foreign TAXII server may put a report on one page and its observables on the
next.  Received pages are therefore assembled before ingest:

1. refs missing from the page are resolved against what this node already
   received *from the same peer* (`stix_objects.origin_peer`: SCOs and marking
   definitions; reports and other containers by id) and against objects held
   back earlier;
2. a report (or observed-data) whose object_refs or custom marking
   definitions are still missing is *held* — stored verified in
   `held_objects` with the objects it already has — and completed when the
   rest arrives on a later page or push, or (2b) when a pull sync, once its walk
   is done, fetches by id (TAXII Get An Object) what the reports held in that
   sync still miss (`wanted`, then `sync.fetch_missing`, bounded by
   `peer_fetch_max_objects` per page); what the peer gives goes through
   `receive.accept_page` like a page, and a 404 leaves the hold as it is.
   Only a pull asks: on a push the peer is the client, and a later pull does not
   ask for reports held before it, so a 404 is not asked again every sync;
3. observables no report has named yet are held too (a foreign server may
   send them first);
4. holding is bounded: an object is held at most `peer_hold_seconds`, and at
   most `peer_hold_max_objects` objects per peer (the oldest are released
   first).  A released report is ingested with what it has — unless a custom
   marking definition it names never arrived: then it is refused (counted,
   kind ``marking``), because ingesting it would weaken its marking.  Released
   observables that no report named are dropped (counted, kind ``orphan``);
5. the SCOs and marking definitions a *refused* report carried (refused here
   for its marking, or by the ingest pipeline: a report id another agency
   owns, an unstorable value...) are *kept* (`kept_objects`, `keep`), and
   step 1 resolves refs against them too.  Without them every later report of
   that peer naming the same SCO or marking would wait for an object the peer
   never sends again, and be released without it or refused.  Kept objects are
   read by this module alone, for the same peer: they belong to no report, so
   no reader is ever served or shown one (TAXII serves `stix_objects`, checks
   read the stored links of reports); an SCO becomes readable only as part of
   a later report that names it, under that report's marking, as any SCO
   resolved in step 1 does;
6. keeping is bounded: a kept object goes once a stored report of that peer
   holds it (it is then in `stix_objects`, which step 1 reads first, so the
   kept copy would never be read again; `forget_stored`, after each page is
   ingested), and a kept SCO goes `peer_kept_days` after it was kept
   (`forget_kept`, before each page is assembled; a later report naming it is
   then held and, on a pull, completed by step 2b).  Marking definitions are
   not aged out: a peer has one per sharing group, and without it every later
   report of that group would be refused.

Every page runs through here, also an empty one, so expired holds are
released on the next sync even when the peer has nothing new.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, delete, insert, select

from bersama.federation.protocol import object_version
from bersama.ingest.stix import STIX21_SCO_TYPES
from bersama.stix.scos import SUPPORTED_SCO_TYPES
from bersama.stix.tlp import tlp_from_id
from bersama.store.bulk import insert_rows
from bersama.store.tables.core import reports, stix_objects
from bersama.store.tables.federation import held_objects, kept_objects

SCO_TYPES = frozenset(SUPPORTED_SCO_TYPES | STIX21_SCO_TYPES)
CONTAINERS = frozenset({"report", "observed-data"})
"""Types whose `object_refs` decide what a draft contains."""
NEEDED = frozenset(SCO_TYPES | {"indicator", "observed-data", "incident"})
"""Referenced types that change a draft; refs to other types (identity...) never hold."""
KEPT = frozenset(SCO_TYPES | {"marking-definition"})
"""Types resolved from earlier receipts (step 1), so kept when a refused report carried them."""


_WELL_FORMED = re.compile(
    r"[a-z0-9-]+--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")


ORPHAN = "an observable no report named within the hold time: dropped"


def _type(ref: str) -> str:
    return ref.split("--", 1)[0]


def needs(obj: dict[str, Any]) -> list[str]:
    """What an object needs in its bundle: refs that change its draft, custom markings."""
    out: list[str] = []
    if obj.get("type") in CONTAINERS:
        refs = obj.get("object_refs")
        if isinstance(refs, list):
            out += [r for r in refs if isinstance(r, str) and _type(r) in NEEDED]
    marks = obj.get("object_marking_refs")
    if isinstance(marks, list):
        out += [m for m in marks if isinstance(m, str) and tlp_from_id(m) is None]
    return out


@dataclass
class Assembled:
    ready: list[dict[str, Any]] = field(default_factory=list)
    """Objects to ingest now, as one bundle."""
    held: int = 0
    completed: int = 0
    """Containers held earlier and complete now."""
    released: int = 0
    """Containers released incomplete (time or size bound)."""
    refused: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    orphans: int = 0
    pending: set[str] = field(default_factory=set)
    """Ids held after this pass (a pushed object among them is *pending* in its status)."""
    settled: set[str] = field(default_factory=set)
    """Ids held before this pass and no longer held: ingested now, already known, or
    dropped (then also in `dropped`)."""
    dropped: dict[str, str] = field(default_factory=dict)
    """Id -> why it will never be ingested (refused for its marking, orphan observable)."""
    kept: list[dict[str, Any]] = field(default_factory=list)
    """SCOs and marking definitions the reports in `refused` carried, to `keep`."""


def _newer(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return object_version(a) >= object_version(b)


def _known(conn: Connection, peer: str, missing: set[str]) -> tuple[dict[str, dict[str, Any]],
                                                                    set[str]]:
    """Objects this node already received from `peer`: bodies of SCOs and marking
    definitions, and the ids of containers ingested as reports."""
    bodies: dict[str, dict[str, Any]] = {}
    flat = [m for m in missing if _type(m) in KEPT]
    for chunk in _chunks(flat, 500):
        for oid, body in conn.execute(
            select(stix_objects.c.object_id, stix_objects.c.body)
            .where(stix_objects.c.object_id.in_(chunk), stix_objects.c.origin_peer == peer)
            .order_by(stix_objects.c.seq)
        ):
            if body:
                bodies[oid] = orjson.loads(body)
    for chunk in _chunks([m for m in flat if m not in bodies], 500):  # step 5
        for oid, body in conn.execute(
            select(kept_objects.c.object_id, kept_objects.c.body)
            .where(kept_objects.c.object_id.in_(chunk), kept_objects.c.peer == peer)
        ):
            bodies[oid] = orjson.loads(body)
    other = [m for m in missing if m not in bodies and _type(m) not in SCO_TYPES]
    ingested: set[str] = set()
    for chunk in _chunks(other, 500):
        ingested.update(conn.execute(select(reports.c.stix_id).where(
            reports.c.stix_id.in_(chunk), reports.c.origin_peer == peer)).scalars())
    return bodies, ingested


def _chunks(items: Sequence[str], n: int) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), n):
        yield items[i:i + n]


def _reach(roots: Iterable[str], need: dict[str, list[str]]) -> set[str]:
    """Ids needed, directly or through a container, by the containers `roots`."""
    seen: set[str] = set()
    stack = [r for root in roots for r in need[root]]
    while stack:
        ref = stack.pop()
        if ref in seen:
            continue
        seen.add(ref)
        stack.extend(need.get(ref, ()))
    return seen


def assemble(  # noqa: PLR0912, PLR0915 - one pass over the page, step by step as documented
    conn: Connection, *, peer: str, objects: Sequence[dict[str, Any]], now: datetime,
    hold_seconds: float, hold_max: int,
) -> Assembled:
    """Decide what of `objects` (verified, from `peer`) and of what was held to ingest now."""
    out = Assembled()
    pool: dict[str, dict[str, Any]] = {}
    since: dict[str, datetime] = {}
    for row in conn.execute(select(held_objects).where(held_objects.c.peer == peer)):
        pool[row.object_id] = orjson.loads(row.body)
        held_at = row.held_at
        since[row.object_id] = held_at if held_at.tzinfo else held_at.replace(tzinfo=now.tzinfo)
    was_held = set(since)
    for obj in objects:
        oid = str(obj["id"])
        if oid not in pool or _newer(obj, pool[oid]):
            pool[oid] = obj
    containers = [o for o in pool.values() if o.get("type") in CONTAINERS
                  or o.get("object_marking_refs")]
    need = {str(c["id"]): needs(c) for c in containers}
    missing = {r for refs in need.values() for r in refs if r not in pool}
    if missing:
        bodies, ingested = _known(conn, peer, missing)
        known = set(bodies) | ingested
        for oid, body in bodies.items():
            pool[oid] = body
        missing -= known
    else:
        known = set()
    incomplete = {cid for cid, refs in need.items() if any(r in missing for r in refs)}
    for _ in range(3):  # a report naming an incomplete observed-data is incomplete too
        more = {cid for cid, refs in need.items()
                if any(r in incomplete for r in refs)} - incomplete if incomplete else set()
        if not more:
            break
        incomplete |= more
    expiry = now - timedelta(seconds=hold_seconds)
    hold: dict[str, dict[str, Any]] = {}
    ready_roots: list[dict[str, Any]] = []
    for c in containers:
        cid = str(c["id"])
        if cid not in incomplete:
            ready_roots.append(c)
            out.completed += cid in was_held
        elif since.get(cid, now) > expiry and _WELL_FORMED.match(cid):
            hold[cid] = c  # (a malformed one goes on to the pipeline, which rejects it)
        elif any(_type(r) == "marking-definition" and r in missing for r in need[cid]):
            out.refused.append((c, "its marking definition never arrived"))
        else:
            ready_roots.append(c)
            out.released += 1
    if len(hold) > hold_max:  # the size bound: release the oldest first
        for cid in sorted(hold, key=lambda i: since.get(i, now))[:len(hold) - hold_max]:
            c = hold.pop(cid)
            ready_roots.append(c)
            out.released += 1
    ready_ids = {str(c["id"]) for c in ready_roots}
    for_ready = _reach(ready_ids, need)
    for_held = _reach(list(hold), need)
    out.kept = carried(pool.values(), [str(c["id"]) for c, _ in out.refused],
                       besides=ready_ids | for_ready | set(hold) | for_held | known)
    kept = {str(o["id"]) for o in out.kept}
    for oid, obj in pool.items():
        if oid in hold:
            continue
        otype = obj.get("type")
        if oid in ready_ids or oid in for_ready:
            out.ready.append(obj)
        elif oid in known or oid in kept:
            continue  # received before (step 1), or kept for the peer's later reports (step 5)
        elif otype in SCO_TYPES or oid in for_held:
            if oid in for_held or (since.get(oid, now) > expiry and len(hold) < hold_max):
                hold[oid] = obj
            else:
                out.orphans += 1
                out.dropped[oid] = ORPHAN
        elif oid in was_held:
            continue  # a held marking definition nobody waits for any more: done
        elif otype not in CONTAINERS:
            out.ready.append(obj)  # indicators, incidents, identities...: ingest as they are
        if oid in for_held and oid not in known:
            hold[oid] = obj
    out.held = len(hold)
    out.pending = set(hold)
    out.settled = was_held - out.pending
    out.dropped.update((str(c["id"]), reason) for c, reason in out.refused)
    _store(conn, peer, pool_held=hold, was_held=was_held, since=since, now=now)
    return out


def wanted(conn: Connection, peer: str, *, held_since: datetime, limit: int) -> list[str]:
    """Step 2b: what the containers of `peer` held since `held_since` (in this sync) still
    miss, neither held nor received before nor kept, well-formed ids only: at most `limit`
    of them, the same ones for the same state (sorted)."""
    if limit <= 0:
        return []
    held = set(conn.execute(select(held_objects.c.object_id).where(
        held_objects.c.peer == peer)).scalars())
    missing: set[str] = set()
    for body in conn.execute(select(held_objects.c.body).where(
            held_objects.c.peer == peer, held_objects.c.held_at >= held_since)).scalars():
        obj = orjson.loads(body)
        if obj.get("type") in CONTAINERS or obj.get("object_marking_refs"):
            missing.update(r for r in needs(obj) if r not in held and _WELL_FORMED.match(r))
    if missing:
        bodies, ingested = _known(conn, peer, missing)
        missing -= set(bodies) | ingested
    return sorted(missing)[:limit]


def carried(objects: Iterable[dict[str, Any]], refused: Collection[str], *,
            besides: Collection[str] = ()) -> list[dict[str, Any]]:
    """The SCOs and marking definitions among `objects` that the containers `refused`
    (ids) name, directly or through another container among `objects`, except the ids
    `besides`: what to keep (step 5) of the reports refused here for their marking
    (`assemble`, besides what is ingested, held or known already) or by the pipeline."""
    if not refused:
        return []
    by_id = {str(o["id"]): o for o in objects}
    need = {oid: needs(o) for oid, o in by_id.items()
            if o.get("type") in CONTAINERS or o.get("object_marking_refs")}
    reached = _reach([r for r in refused if r in need], need)
    return [o for oid, o in by_id.items()
            if oid in reached and oid not in besides and o.get("type") in KEPT]


def keep(conn: Connection, peer: str, objects: Sequence[dict[str, Any]], now: datetime) -> None:
    """Keep what a refused report of `peer` carried (step 5); the first receipt stays."""
    rows = {str(o["id"])[:100]: (peer, str(o["id"])[:100], object_version(o)[:32], now,
                                 orjson.dumps(o).decode()) for o in objects}
    insert_rows(conn, kept_objects, ("peer", "object_id", "modified", "kept_at", "body"),
                list(rows.values()), ignore_conflicts=True)


def forget_kept(conn: Connection, peer: str, *, before: datetime) -> None:
    """Step 6, by age: forget the SCOs kept for `peer` before `before`."""
    conn.execute(delete(kept_objects).where(
        kept_objects.c.peer == peer, kept_objects.c.kept_at < before,
        kept_objects.c.object_id.not_like("marking-definition--%")))


def forget_stored(conn: Connection, peer: str, objects: Iterable[dict[str, Any]]) -> None:
    """Step 6, by use: forget the kept objects among `objects` (just ingested) that a
    stored report of `peer` now holds."""
    ids = sorted({str(o["id"]) for o in objects if o.get("type") in KEPT})
    if not ids or conn.execute(select(kept_objects.c.object_id).where(
            kept_objects.c.peer == peer).limit(1)).first() is None:
        return  # (most peers have nothing kept)
    stored = select(stix_objects.c.seq).where(
        stix_objects.c.object_id == kept_objects.c.object_id, stix_objects.c.origin_peer == peer)
    for chunk in _chunks(ids, 500):
        conn.execute(delete(kept_objects).where(
            kept_objects.c.peer == peer, kept_objects.c.object_id.in_(chunk), stored.exists()))


def _store(conn: Connection, peer: str, *, pool_held: dict[str, dict[str, Any]],
           was_held: set[str], since: dict[str, datetime], now: datetime) -> None:
    if not pool_held and not was_held:
        return
    conn.execute(delete(held_objects).where(held_objects.c.peer == peer))
    rows = [{"peer": peer, "object_id": oid[:100], "modified": object_version(obj)[:32],
             "held_at": since.get(oid, now), "body": orjson.dumps(obj).decode()}
            for oid, obj in pool_held.items()]
    if rows:
        conn.execute(insert(held_objects), rows)
