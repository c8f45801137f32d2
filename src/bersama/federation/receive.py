"""Receiving STIX objects from peers and TAXII clients: verify, record, ingest.

Why one module for both directions of arrival (our sync pulling a page, a
peer pushing with POST): the rules are the same and must not drift apart —
an object from a peer is ingested only if its detached JWS verifies against
the key pinned for that peer; every object from a peer leaves a provenance
row (peer, version, time, signature status) whether it was accepted or not;
rejected objects are counted in `sync_failures` and logged, never ingested.
Accepted objects go through the one ingest pipeline as a STIX bundle, in the
caller's transaction, so a page is all-or-nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite

from bersama.config import Settings
from bersama.errors import Forbidden, InvalidInput
from bersama.federation.assemble import assemble
from bersama.federation.protocol import SIGNATURES, object_version, signature_key
from bersama.federation.signing import INLINE_SIGNATURE, jws_kid, parse_public_key, verify
from bersama.ingest.pipeline import IngestResult, ingest, load_agency
from bersama.ingest.stix import parse_stix_objects
from bersama.markings import Reader
from bersama.store.bulk import insert_rows
from bersama.store.tables.federation import peers, received_objects, sync_failures

log = logging.getLogger("bersama.federation")

VALID = "valid"
UNSIGNED = "unsigned"
INVALID = "invalid"


@dataclass
class Checked:
    accepted: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    """(object, signature status)"""


def check_signatures(
    objects: Sequence[dict[str, Any]], signatures: Mapping[str, str], pinned: Ed25519PublicKey,
) -> Checked:
    out = Checked()
    for obj in objects:
        jws = signatures.get(signature_key(str(obj.get("id")), object_version(obj)))
        if jws is None:  # the in-object carrier, for servers that only store objects
            inline = obj.get(INLINE_SIGNATURE)
            jws = inline if isinstance(inline, str) else None
        if jws is None:
            out.rejected.append((obj, UNSIGNED))
        elif verify(obj, jws, pinned):
            out.accepted.append(obj)
        else:
            out.rejected.append((obj, INVALID))
    return out


def _insert_ignore(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    ins = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    conn.execute(ins(table).on_conflict_do_nothing(), rows)


def record_provenance(
    conn: Connection, peer: str, items: Iterable[tuple[dict[str, Any], str]],
    signatures: Mapping[str, str], now: datetime,
) -> None:
    """One row per (peer, object, version); the first receipt is kept."""
    rows = []
    kids: dict[str, str | None] = {}  # one protected header per signer: parse it once
    for obj, status in items:
        oid, version = str(obj.get("id"))[:100], object_version(obj)[:32]
        jws = signatures.get(signature_key(oid, version))
        kid = None
        if jws:
            head = jws.partition(".")[0]
            kid = kids[head] if head in kids else kids.setdefault(head, jws_kid(jws))
        rows.append((peer, oid, version, now, status, kid))
    insert_rows(conn, received_objects, PROVENANCE_COLUMNS, rows, ignore_conflicts=True)


PROVENANCE_COLUMNS = ("peer", "object_id", "modified", "received_at", "signature_status",
                      "key_id")


def count_failure(conn: Connection, peer: str, kind: str, *, detail: str, now: datetime,
                  n: int = 1) -> None:
    """Add `n` to a peer's failure counter of one kind (signature, transport, ingest...)."""
    row = conn.execute(select(sync_failures.c.count).where(
        sync_failures.c.peer == peer, sync_failures.c.kind == kind)).first()
    if row is None:
        _insert_ignore(conn, sync_failures, [{"peer": peer, "kind": kind, "count": 0,
                                              "last_at": now, "last_detail": ""}])
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


def accept_page(
    conn: Connection, settings: Settings, *, peer: str, agency: str, pinned: Ed25519PublicKey,
    objects: Sequence[dict[str, Any]], signatures: Mapping[str, str], now: datetime,
    source: str, checked: Checked | None = None,
) -> tuple[Checked, IngestResult | None]:
    """Verify a peer's objects (unless `checked` already holds the verdicts), record
    provenance, assemble split reports, ingest."""
    if checked is None:
        checked = check_signatures(objects, signatures, pinned)
    if checked.rejected:
        bad = checked.rejected
        log.warning("peer %s: %d object(s) refused for their signature (first: %s %s)",
                    peer, len(bad), bad[0][0].get("id"), bad[0][1])
        count_failure(conn, peer, "signature", detail=f"{bad[0][0].get('id')}: {bad[0][1]}",
                      now=now, n=len(bad))
    record_provenance(conn, peer, [(o, VALID) for o in checked.accepted] + checked.rejected,
                      signatures, now)
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
    if parts.ready:
        actor = Reader(agency=agency, is_peer=True)
        result = ingest_objects(conn, settings, agency=agency, actor=actor,
                                objects=parts.ready, source=source, origin_peer=peer)
    return checked, result


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
            raise InvalidInput(f"objects[{i}] is not a STIX object with an id and a type",
                               field=f"objects[{i}]")
    assert reader.agency is not None  # noqa: S101 - the router refuses anonymous readers
    failures: list[dict[str, Any]] = []
    if reader.is_peer:
        peer = peer_for_agency(conn, reader.agency)
        if peer is None:
            raise Forbidden(f"agency {reader.agency} has no peer with a pinned key here; "
                            "its objects cannot be verified", field="agency",
                            value=reader.agency)
        checked, result = accept_page(
            conn, settings, peer=peer.name, agency=reader.agency,
            pinned=parse_public_key(peer.public_key), objects=objects, signatures=sigs,
            now=now, source=f"taxii-push:{peer.name}")
        failures += [{"id": o.get("id"), "version": object_version(o),
                      "message": f"signature {status}"} for o, status in checked.rejected]
        accepted = checked.accepted
    else:
        accepted = objects
        result = ingest_objects(conn, settings, agency=reader.agency, actor=reader,
                                objects=objects, source="taxii", origin_peer=None)
    rejected_ids = {r.record: r.reason for r in (result.rejections if result else [])}
    successes = []
    for o in accepted:
        if o.get("id") in rejected_ids:
            failures.append({"id": o.get("id"), "version": object_version(o),
                             "message": rejected_ids[o.get("id")]})
        else:
            successes.append({"id": o.get("id"), "version": object_version(o)})
    return {
        "status": "complete",
        "total_count": len(objects),
        "success_count": len(successes),
        "successes": successes,
        "failure_count": len(failures),
        "failures": failures,
        "pending_count": 0,
    }
