"""Peers and sync: register a peer, pull its collection page by page, push, loop.

Why each batch of pages is one transaction, cursor included: a node killed in
the middle of a sync restarts from its last committed batch, and the
pipeline's idempotent receipt (same version twice, or an older version after a
newer one, changes nothing) makes re-reading it harmless.  A batch is the
pages already fetched and verified when the previous batch is committed (one
page when the peer is the slower side, up to `BATCH_OBJECTS` objects when
ingest is), so the fixed costs of a pipeline batch and a commit are paid once
for several pages.  The cursor saved after a page that is not the last one is
X-TAXII-Date-Added-Last minus one microsecond, because objects added in the
same instant may straddle the page boundary (a whole ingest batch shares one
date_added); after the last page it is the header itself.  After the last page,
what the reports held in this sync still miss is fetched by id (`fetch_missing`,
assemble.py step 2b).

The cyclic collector is paused for each batch, commit included (`bersama.gcpause`):
provenance, assembly and ingest allocate a few hundred thousand containers per batch
and make almost no cycles, and in a node holding a large heap the full collections
those allocations triggered cost ~9% of the receiving node's CPU (benchmarks/RESULTS.md).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, Engine, insert, select, update

from bersama.config import Settings
from bersama.errors import BersamaError, Conflict, InvalidInput, NotFound, PeerError
from bersama.federation.assemble import wanted
from bersama.federation.client import ClientLimits, TaxiiClient
from bersama.federation.protocol import Page, parse_timestamp
from bersama.federation.push import PushResult, push_key, push_peer
from bersama.federation.receive import Accepted, accept_page, count_failure
from bersama.federation.signing import (
    load_or_create_node_key,
    parse_public_key,
    public_key_text,
)
from bersama.federation.verifier import Checked, Verdicts, Verifier
from bersama.gcpause import collection_paused
from bersama.store.tables.core import agencies
from bersama.store.tables.federation import peer_cursors, peers, sync_failures
from bersama.store.values import aware, iso_utc, utcnow

log = logging.getLogger("bersama.federation")
Clock = Callable[[], datetime]
ClientFactory = Callable[[str | None], TaxiiClient]


@dataclass(frozen=True)
class Peer:
    name: str
    url: str
    api_root: str
    collection_id: str
    token: str | None
    public_key: str
    agency: str
    push_collection: str | None

    @classmethod
    def from_row(cls, row: Any) -> Peer:
        return cls(row.name, row.url, row.api_root, row.collection_id, row.token,
                   row.public_key, row.agency, row.push_collection)


def default_client_factory(settings: Settings,
                           transport: httpx.BaseTransport | None = None) -> ClientFactory:
    limits = ClientLimits(timeout_seconds=settings.peer_timeout_seconds,
                          page_limit=settings.peer_page_size)
    return lambda token: TaxiiClient(token, limits=limits, transport=transport)


def add_peer(
    conn: Connection, *, name: str, url: str, collection: str, token: str | None, key: str,
    agency: str | None, push_collection: str | None, client: TaxiiClient, now: datetime,
) -> Peer:
    """Register a peer after checking its URL, collection and published key."""
    if not name or len(name) > 100:
        raise InvalidInput("peer name must be 1-100 characters", field="name", value=name)
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidInput("the peer's URL must be an http(s) URL, its TAXII discovery URL or "
                           "an API root (https://th-node.example/taxii2/)", field="url", value=url)
    pinned = public_key_text(parse_public_key(key))
    code = agency or name
    if conn.execute(select(agencies.c.code).where(agencies.c.code == code)).first() is None:
        raise NotFound(
            f"agency {code!r} is not registered; add the peer's agency first with "
            f"`bersama agency add {code} --country CC --name NAME --type TYPE --peer`",
            field="agency", value=code)
    if conn.execute(select(peers.c.name).where(peers.c.name == name)).first():
        raise Conflict(f"peer {name!r} already exists", field="name", value=name)
    root = client.resolve(url)
    if root.public_key is not None and root.public_key != pinned:
        raise PeerError(
            f"peer publishes key {root.public_key} but --key is {pinned}; "
            "check the key with the peer's administrator", field="key", value=key)
    coll = client.collection(root.url, collection)
    peer = Peer(name, url, root.url, str(coll["id"]), token, pinned, code, push_collection)
    conn.execute(insert(peers).values(
        name=peer.name, url=peer.url, api_root=peer.api_root,
        collection_id=peer.collection_id, token=peer.token, public_key=peer.public_key,
        agency=peer.agency, push_collection=peer.push_collection, created_at=now))
    return peer


def get_peers(conn: Connection, name: str | None = None) -> list[Peer]:
    stmt = select(peers).order_by(peers.c.name)
    if name is not None:
        stmt = stmt.where(peers.c.name == name)
    found = [Peer.from_row(r) for r in conn.execute(stmt)]
    if name is not None and not found:
        raise NotFound(f"no peer named {name!r}", field="name", value=name)
    return found


def describe_peers(conn: Connection) -> list[dict[str, Any]]:
    """What `bersama peer list` shows: never the token."""
    out = []
    for p in get_peers(conn):
        cur = conn.execute(select(peer_cursors).where(
            peer_cursors.c.peer == p.name,
            peer_cursors.c.collection_id == p.collection_id)).first()
        pushed = conn.execute(select(peer_cursors).where(
            peer_cursors.c.peer == p.name,
            peer_cursors.c.collection_id == push_key(p.push_collection or ""))).first()
        fails = {r.kind: r.count for r in conn.execute(
            select(sync_failures).where(sync_failures.c.peer == p.name))}
        out.append({
            "name": p.name, "url": p.url, "api_root": p.api_root,
            "collection": p.collection_id, "agency": p.agency, "public_key": p.public_key,
            "has_token": bool(p.token),
            "added_after": iso_utc(cur.added_after) if cur else None,
            "last_success_at": iso_utc(cur.last_success_at) if cur else None,
            "last_error": cur.last_error if cur else None,
            "objects_received": cur.objects_received if cur else 0,
            "push_collection": p.push_collection,
            "pushed_until": iso_utc(pushed.added_after) if pushed else None,
            "objects_pushed": pushed.objects_received if pushed else 0,
            "last_push_error": pushed.last_error if pushed else None,
            "failures": fails,
        })
    return out


@dataclass
class SyncResult:
    peer: str
    pages: int = 0
    received: int = 0
    accepted: int = 0
    updated: int = 0
    withdrawn: int = 0
    unchanged: int = 0
    refused_signature: int = 0
    fetched: int = 0
    """Objects fetched by id for the reports held in this sync (`fetch_missing`)."""
    rejected: int = 0
    error: str | None = None
    details: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "details"}


def _save_cursor(conn: Connection, peer: Peer, *, added_after: datetime | None,
                 now: datetime, received: int, error: str | None, success: bool) -> None:
    key = (peer_cursors.c.peer == peer.name) & (
        peer_cursors.c.collection_id == peer.collection_id)
    row = conn.execute(select(peer_cursors).where(key)).first()
    values: dict[str, Any] = {"updated_at": now, "last_error": error}
    if added_after is not None:
        values["added_after"] = added_after
    if success:
        values["last_success_at"] = now
    if row is None:
        conn.execute(insert(peer_cursors).values(
            peer=peer.name, collection_id=peer.collection_id, objects_received=received,
            **values))
    else:
        conn.execute(update(peer_cursors).where(key).values(
            objects_received=peer_cursors.c.objects_received + received, **values))


PREFETCH_PAGES = 8
"""Pages fetched and verified ahead of the ingest, at most (memory bound: ~8 pages)."""
BATCH_OBJECTS = 5000
"""At most this many objects (whole pages, at least one) per transaction and pipeline
batch; a batch takes only pages already fetched and verified, so it never waits."""
_END = object()


@dataclass
class Batch:
    """Consecutive verified pages ingested in one transaction."""

    pages: list[Page] = field(default_factory=list)
    checked: Checked = field(default_factory=Checked)
    objects: list[dict[str, Any]] = field(default_factory=list)
    signatures: dict[str, str] = field(default_factory=dict)

    def add(self, page: Page, verdicts: Verdicts) -> None:
        self.pages.append(page)
        self.objects += page.objects
        self.signatures.update(page.signatures)
        done = verdicts.result()
        self.checked.accepted += done.accepted
        self.checked.rejected += done.rejected


def prefetch(client: TaxiiClient, peer: Peer, pinned: Ed25519PublicKey,
             cursor: datetime | None, *, batch_objects: int = BATCH_OBJECTS,
             depth: int = PREFETCH_PAGES, verifier: Verifier | None = None,
             ) -> Iterator[Batch]:
    """The peer's pages with their signatures verified, fetched by a worker thread
    and verified by `verifier` (a helper process for large syncs) while the caller
    ingests, handed over in batches of the pages that are fetched and verified
    (up to `batch_objects` objects, at least one page).

    Why: fetching waits on the peer and verification runs on another core, so both
    overlap with ingest; and when ingest is the slower side, pages queue up and
    are ingested several per transaction, which saves the pipeline's and the
    transaction's fixed costs per page.  At most `depth` pages wait in memory; the
    caller commits batch by batch, so the cursor never runs ahead of what is
    ingested.  Errors of the walk are re-raised after the pages before them are
    handed over.
    """
    own = verifier is None
    check = verifier or Verifier(pinned)
    box: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                box.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for page in client.iter_pages(peer.api_root, peer.collection_id,
                                          added_after=cursor):
                if not put((page, check.submit(page.objects, page.signatures))):
                    return
            put(_END)
        except Exception as exc:  # handed to the consumer, which raises it
            put(exc)

    worker = threading.Thread(target=produce, name=f"bersama-fetch-{peer.name}", daemon=True)
    worker.start()
    try:
        item = box.get()
        while True:
            if item is _END:
                return
            if isinstance(item, Exception):
                raise item
            batch = Batch()
            batch.add(*item)
            item = None
            while len(batch.objects) < batch_objects:
                try:
                    item = box.get_nowait()
                except queue.Empty:
                    break
                if item is _END or isinstance(item, Exception):
                    break
                page, verdicts = item
                if (len(batch.objects) + len(page.objects) > batch_objects
                        or not verdicts.ready()):
                    break  # (a page still being verified waits for the next batch)
                batch.add(page, verdicts)
                item = None
            yield batch
            if item is None:
                item = box.get()
    finally:
        stop.set()
        worker.join(client.limits.timeout_seconds + 1)
        if own:
            check.close()


def _advance(cursor: datetime | None, page: Page) -> datetime | None:
    if not page.last_added:
        return cursor
    last = parse_timestamp(page.last_added, field="X-TAXII-Date-Added-Last")
    if page.more:
        last -= timedelta(microseconds=1)
    return last if cursor is None or last > cursor else cursor


def sync_peer(engine: Engine, settings: Settings, peer: Peer, *, client: TaxiiClient,
              clock: Clock = utcnow, batch_objects: int = BATCH_OBJECTS) -> SyncResult:
    """Pull every new object of the peer's collection; one transaction per batch of
    pages, the cursor saved in it."""
    result = SyncResult(peer.name)
    pinned = parse_public_key(peer.public_key)
    with engine.connect() as conn:
        row = conn.execute(select(peer_cursors.c.added_after).where(
            peer_cursors.c.peer == peer.name,
            peer_cursors.c.collection_id == peer.collection_id)).first()
    cursor = aware(row.added_after) if row and row.added_after else None
    started = clock()
    try:
        for batch in prefetch(client, peer, pinned, cursor, batch_objects=batch_objects):
            now = clock()
            moved = cursor
            for page in batch.pages:
                moved = _advance(moved, page)
            with collection_paused(), engine.begin() as conn:
                got = accept_page(
                    conn, settings, peer=peer.name, agency=peer.agency, pinned=pinned,
                    objects=batch.objects, signatures=batch.signatures, now=now,
                    source=f"peer:{peer.name}", checked=batch.checked)
                _save_cursor(conn, peer, added_after=moved, now=now,
                             received=len(batch.objects), error=None,
                             success=not batch.pages[-1].more)
            cursor = moved
            result.pages += len(batch.pages)
            result.received += len(batch.objects)
            _tally(result, got)
        fetch_missing(engine, settings, peer, client=client, pinned=pinned, since=started,
                      result=result, clock=clock)
    except BersamaError as exc:
        result.error = f"{exc.title}: {exc.detail}"
        log.warning("sync with peer %s failed: %s", peer.name, result.error)
        kind = "peer" if isinstance(exc, PeerError) else "ingest"
        with engine.begin() as conn:
            now = clock()
            count_failure(conn, peer.name, kind, detail=exc.detail, now=now)
            _save_cursor(conn, peer, added_after=None, now=now, received=0,
                         error=result.error, success=False)
    return result


def _tally(result: SyncResult, got: Accepted) -> None:
    result.refused_signature += len(got.checked.rejected)
    ingested = got.ingested
    if ingested is not None:
        result.accepted += ingested.accepted
        result.updated += ingested.updated
        result.withdrawn += ingested.withdrawn
        result.unchanged += ingested.unchanged
        result.rejected += ingested.rejected


def fetch_missing(engine: Engine, settings: Settings, peer: Peer, *, client: TaxiiClient,
                  pinned: Ed25519PublicKey, since: datetime, result: SyncResult,
                  clock: Clock = utcnow) -> None:
    """After the walk, ask the peer by id (TAXII Get An Object) for what the reports held
    in this sync (held since `since`) still miss — at most `peer_fetch_max_objects` per
    page received — and run what it gives through `accept_page` like a page: verified,
    recorded, assembled with the held reports, ingested, in one transaction.

    Why after the walk and only for reports held in it: a foreign server may send a
    report's objects on a later page, and a report held in an earlier sync was asked
    for then (asking on every sync would repeat each 404 until the hold ends).  A 404
    leaves the report held, as before.  A peer that fails meanwhile: what it gave is
    still ingested, then the error is the sync's."""
    with engine.connect() as conn:
        ids = wanted(conn, peer.name, held_since=since,
                     limit=settings.peer_fetch_max_objects * max(result.pages, 1))
    objects: list[dict[str, Any]] = []
    signatures: dict[str, str] = {}
    failed: PeerError | None = None
    try:
        for oid in ids:
            page = client.get_object(peer.api_root, peer.collection_id, oid)
            if page is not None:
                objects += page.objects
                signatures.update(page.signatures)
    except PeerError as exc:
        failed = exc
    if objects:
        with collection_paused(), engine.begin() as conn:
            got = accept_page(
                conn, settings, peer=peer.name, agency=peer.agency, pinned=pinned,
                objects=objects, signatures=signatures, now=clock(),
                source=f"peer:{peer.name}")
        result.received += len(objects)
        result.fetched += len(objects)
        _tally(result, got)
    if failed is not None:
        raise failed


def sync_all(engine: Engine, settings: Settings, name: str | None = None, *,
             factory: ClientFactory | None = None) -> list[SyncResult]:
    factory = factory or default_client_factory(settings)
    with engine.connect() as conn:
        targets = get_peers(conn, name)
    results = []
    for peer in targets:
        client = factory(peer.token)
        try:
            results.append(sync_peer(engine, settings, peer, client=client))
        finally:
            client.close()
    return results


def push_all(engine: Engine, settings: Settings, name: str | None = None, *,
             factory: ClientFactory | None = None, clock: Clock = utcnow) -> list[PushResult]:
    """Push to every peer with a push collection (or the named one, which must have one)."""
    factory = factory or default_client_factory(settings)
    with engine.connect() as conn:
        targets = get_peers(conn, name)
    if name is not None and not targets[0].push_collection:
        raise InvalidInput(f"peer {name!r} has no push collection; add it with "
                           "`bersama peer add ... --push-collection ID`", field="name",
                           value=name)
    key = load_or_create_node_key(settings.data_dir)
    results = []
    for peer in targets:
        if not peer.push_collection:
            continue
        client = factory(peer.token)
        try:
            results.append(push_peer(
                engine, settings, name=peer.name, agency=peer.agency, api_root=peer.api_root,
                collection=peer.push_collection, client=client, key=key, clock=clock))
        finally:
            client.close()
    return results


class SyncLoop:
    """Background thread pulling from (then pushing to) every peer each interval."""

    def __init__(self, settings: Settings, engine: Engine,
                 factory: ClientFactory | None = None) -> None:
        self.settings, self.engine, self.factory = settings, engine, factory
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bersama-sync", daemon=True)

    def start(self) -> SyncLoop:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                for r in sync_all(self.engine, self.settings, factory=self.factory):
                    if r.received or r.error:
                        log.info("sync %s: %s", r.peer, r.as_dict())
                for p in push_all(self.engine, self.settings, factory=self.factory):
                    if p.sent or p.error:
                        log.info("push %s: %s", p.peer, p.as_dict())
            except Exception:  # the loop must outlive any one failure; it is logged
                log.exception("sync loop iteration failed")
            self._stop.wait(self.settings.sync_interval_seconds)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)


def start_sync_loop(settings: Settings, engine: Engine) -> SyncLoop:
    """For `bersama serve`: start the loop; call `.stop()` on shutdown."""
    return SyncLoop(settings, engine).start()
