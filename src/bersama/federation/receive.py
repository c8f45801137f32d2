"""Receiving STIX objects from peers and TAXII clients: verify, record, ingest.

Why one module for both directions of arrival (our sync pulling a page, a
peer pushing with POST): the rules are the same and must not drift apart —
an object from a peer is ingested only if its detached JWS verifies against
the key pinned for that peer; every object from a peer leaves a provenance
row (peer, version, time, signature status) whether it was accepted or not;
rejected objects are counted in `sync_failures` and logged, never ingested.
Accepted objects go through the one ingest pipeline as a STIX bundle, in the
caller's transaction, so a page is all-or-nothing; the SCOs and marking
definitions of the reports the pipeline refuses are kept for the peer's later
reports, and forgotten once stored or old (federation/assemble.py, steps 5 and 6).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, select, update

from bersama.config import Settings
from bersama.errors import Forbidden, InvalidInput, field_path
from bersama.federation.assemble import (
    Assembled,
    assemble,
    carried,
    forget_kept,
    forget_stored,
    keep,
)
from bersama.federation.protocol import SIGNATURES, object_version, signature_key
from bersama.federation.signing import jws_kid, parse_public_key, public_key_text
from bersama.federation.status import settle, status_body
from bersama.federation.verifier import VALID, Checked, checked, signature_statuses
from bersama.ingest.pipeline import IngestResult, ingest, load_agency
from bersama.ingest.stix import parse_stix_objects
from bersama.markings import Reader
from bersama.store.bulk import insert_rows
from bersama.store.tables.core import ingest_rejections
from bersama.store.tables.federation import peers, received_objects, sync_failures
from bersama.store.writelock import hold_correlation

log = logging.getLogger("bersama.federation")

def check_signatures(
    objects: Sequence[dict[str, Any]], signatures: Mapping[str, str], pinned: Ed25519PublicKey,
) -> Checked:
    return checked(objects, signature_statuses(objects, signatures, pinned))


PROVENANCE_COLUMNS = ("peer", "object_id", "modified", "received_at", "signature_status",
                      "key_id")
FAILURE_COLUMNS = ("peer", "kind", "count", "last_at", "last_detail")


def record_provenance(
    conn: Connection, peer: str, checked: Checked, signatures: Mapping[str, str],
    now: datetime, *, pinned_kid: str,
) -> None:
    """One row per (peer, object, version); the first receipt is kept.

    An accepted object's key id is the pinned key (its JWS verified against it, `kid`
    included), so only refused objects' headers are parsed."""
    rows: list[tuple[Any, ...]] = [
        (peer, str(obj.get("id"))[:100], object_version(obj)[:32], now, VALID, pinned_kid)
        for obj in checked.accepted]
    kids: dict[str, str | None] = {}  # one protected header per signer: parse it once
    for obj, status in checked.rejected:
        oid, version = str(obj.get("id"))[:100], object_version(obj)[:32]
        jws = signatures.get(signature_key(oid, version))
        kid = None
        if jws:
            head = jws.partition(".")[0]
            kid = kids[head] if head in kids else kids.setdefault(head, jws_kid(jws))
        rows.append((peer, oid, version, now, status, kid))
    insert_rows(conn, received_objects, PROVENANCE_COLUMNS, rows, ignore_conflicts=True)


def count_failure(conn: Connection, peer: str, kind: str, *, detail: str, now: datetime,
                  n: int = 1) -> None:
    """Add `n` to a peer's failure counter of one kind (signature, transport, ingest...)."""
    row = conn.execute(select(sync_failures.c.count).where(
        sync_failures.c.peer == peer, sync_failures.c.kind == kind)).first()
    if row is None:
        insert_rows(conn, sync_failures, FAILURE_COLUMNS, [(peer, kind, 0, now, "")],
                    ignore_conflicts=True)
    conn.execute(update(sync_failures).where(
        sync_failures.c.peer == peer, sync_failures.c.kind == kind,
    ).values(count=sync_failures.c.count + n, last_at=now, last_detail=detail[:1000]))


def ingest_objects(
    conn: Connection, settings: Settings, *, agency: str, actor: Reader,
    objects: Sequence[dict[str, Any]], source: str, origin_peer: str | None,
) -> IngestResult:
    """Run STIX objects through the ingest pipeline as one bundle, in `conn`'s transaction."""
    ag = load_agency(conn, agency)
    items = parse_stix_objects(objects, agency_country=ag.country,
                               source_name=f"bundle--{uuid.uuid4()}")
    return ingest(conn, settings, agency=agency, items=items, source_format="stix",
                  source=source, actor=actor, origin_peer=origin_peer)


def rejected_records(conn: Connection, batch_id: int) -> set[str]:
    """Every record an ingest batch rejected (its answer lists only the first 1,000).
    A container named there may still be stored (some rejections are warnings about one
    of its properties): keeping what it carried as well costs a few rows and no harm."""
    return {r for r in conn.execute(select(ingest_rejections.c.record).where(
        ingest_rejections.c.batch_id == batch_id)).scalars() if r}


@dataclass
class Accepted:
    """What became of one batch of a peer's objects (one transaction)."""

    checked: Checked
    ingested: IngestResult | None
    assembled: Assembled
    failures: dict[str, str] = field(default_factory=dict)
    """Object id -> why it is not ingested (refused by the pipeline, dropped as an
    orphan, refused for its marking); signature refusals are in `checked`."""


def accept_page(
    conn: Connection, settings: Settings, *, peer: str, agency: str, pinned: Ed25519PublicKey,
    objects: Sequence[dict[str, Any]], signatures: Mapping[str, str], now: datetime,
    source: str, checked: Checked | None = None,
) -> Accepted:
    """Verify a peer's objects (unless `checked` already holds the verdicts), record
    provenance, assemble split reports, ingest, and settle the pushed statuses of
    objects held earlier.  `objects` may be several pages: one pipeline batch.  Takes the
    correlation lock first (store/writelock.py): the provenance rows come before the batch."""
    hold_correlation(conn)
    if checked is None:
        checked = check_signatures(objects, signatures, pinned)
    if checked.rejected:
        bad = checked.rejected
        log.warning("peer %s: %d object(s) refused for their signature (first: %s %s)",
                    peer, len(bad), bad[0][0].get("id"), bad[0][1])
        count_failure(conn, peer, "signature", detail=f"{bad[0][0].get('id')}: {bad[0][1]}",
                      now=now, n=len(bad))
    record_provenance(conn, peer, checked, signatures, now, pinned_kid=public_key_text(pinned))
    forget_kept(conn, peer, before=now - timedelta(days=settings.peer_kept_days))
    parts = assemble(conn, peer=peer, objects=checked.accepted, now=now,
                     hold_seconds=settings.peer_hold_seconds,
                     hold_max=settings.peer_hold_max_objects)
    if parts.refused:
        first = parts.refused[0]
        log.warning("peer %s: %d report(s) refused: %s (first: %s)", peer, len(parts.refused),
                    first[1], first[0].get("id"))
        count_failure(conn, peer, "marking", detail=f"{first[0].get('id')}: {first[1]}",
                      now=now, n=len(parts.refused))
    if parts.orphans:
        count_failure(conn, peer, "orphan", now=now, n=parts.orphans,
                      detail="observables no report named within the hold time were dropped")
    result = None
    failures = dict(parts.dropped)
    kept = parts.kept
    if parts.ready:
        actor = Reader(agency=agency, is_peer=True)
        result = ingest_objects(conn, settings, agency=agency, actor=actor,
                                objects=parts.ready, source=source, origin_peer=peer)
        failures.update((str(r.record), r.reason) for r in result.rejections)
        if result.rejected:
            kept = kept + carried(parts.ready, rejected_records(conn, result.batch_id))
    keep(conn, peer, kept, now)
    forget_stored(conn, peer, parts.ready)
    if parts.settled:
        settle(conn, agency, {oid: failures.get(oid) for oid in parts.settled})
    return Accepted(checked, result, parts, failures)


def peer_for_agency(conn: Connection, agency: str) -> Any:
    return conn.execute(select(peers).where(peers.c.agency == agency)).first()


def receive_objects(
    conn: Connection, settings: Settings, reader: Reader, doc: Mapping[str, Any], *,
    now: datetime,
) -> dict[str, Any]:
    """TAXII Add Objects: ingest an envelope for the posting agency; the status body."""
    objects = doc.get("objects")
    sigs = doc.get(SIGNATURES, {})
    if not isinstance(objects, list) or not all(isinstance(o, dict) for o in objects):
        raise InvalidInput("'objects' must be a list of STIX objects", field="objects")
    if not isinstance(sigs, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in sigs.items()):
        raise InvalidInput(f"'{SIGNATURES}' must map '<id>@<version>' to a JWS string",
                           field=SIGNATURES)
    for i, obj in enumerate(objects):
        if not isinstance(obj.get("id"), str) or not isinstance(obj.get("type"), str):
            name = field_path("objects", i)
            raise InvalidInput(f"{name} is not a STIX object with an id and a type", field=name)
    assert reader.agency is not None  # noqa: S101 - the router refuses anonymous readers
    if reader.is_peer:
        peer = peer_for_agency(conn, reader.agency)
        if peer is None:
            raise Forbidden(f"agency {reader.agency} has no peer with a pinned key here; "
                            "its objects cannot be verified", field="agency",
                            value=reader.agency)
        got = accept_page(
            conn, settings, peer=peer.name, agency=reader.agency,
            pinned=parse_public_key(peer.public_key), objects=objects, signatures=sigs,
            now=now, source=f"taxii-push:{peer.name}")
        failures = {str(o.get("id")): f"signature {status}" for o, status in got.checked.rejected}
        failures.update(got.failures)
        return status_body(objects, failures=failures, pending=got.assembled.pending)
    result = ingest_objects(conn, settings, agency=reader.agency, actor=reader,
                            objects=objects, source="taxii", origin_peer=None)
    return status_body(objects, failures={str(r.record): r.reason for r in result.rejections},
                       pending=set())
