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

import io
import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite

from bersama.config import Settings
from bersama.errors import Forbidden, InvalidInput
from bersama.federation.protocol import SIGNATURES, object_version, signature_key
from bersama.federation.signing import INLINE_SIGNATURE, jws_kid, parse_public_key, verify
from bersama.ingest.pipeline import IngestResult, ingest, load_agency
from bersama.ingest.stix import parse_stix
from bersama.markings import Reader
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
    for obj, status in items:
        oid, version = str(obj.get("id"))[:100], object_version(obj)[:32]
        jws = signatures.get(signature_key(oid, version))
        rows.append({"peer": peer, "object_id": oid, "modified": version, "received_at": now,
                     "signature_status": status, "key_id": jws_kid(jws) if jws else None})
    _insert_ignore(conn, received_objects, rows)


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
    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": list(objects)}
    items = parse_stix(io.BytesIO(orjson.dumps(bundle)), agency_country=ag.country,
                       source_name=source)
    return ingest(conn, settings, agency=agency, items=items, source_format="stix",
                  source=source, actor=actor, origin_peer=origin_peer)


def accept_page(
    conn: Connection, settings: Settings, *, peer: str, agency: str, pinned: Ed25519PublicKey,
    objects: Sequence[dict[str, Any]], signatures: Mapping[str, str], now: datetime,
    source: str,
) -> tuple[Checked, IngestResult | None]:
    """Verify a peer's objects, record provenance, ingest the verified ones."""
    checked = check_signatures(objects, signatures, pinned)
    if checked.rejected:
        bad = checked.rejected
        log.warning("peer %s: %d object(s) refused for their signature (first: %s %s)",
                    peer, len(bad), bad[0][0].get("id"), bad[0][1])
        count_failure(conn, peer, "signature", detail=f"{bad[0][0].get('id')}: {bad[0][1]}",
                      now=now, n=len(bad))
    record_provenance(conn, peer, [(o, VALID) for o in checked.accepted] + checked.rejected,
                      signatures, now)
    result = None
    if checked.accepted:
        actor = Reader(agency=agency, is_peer=True)
        result = ingest_objects(conn, settings, agency=agency, actor=actor,
                                objects=checked.accepted, source=source, origin_peer=peer)
    return checked, result


def peer_for_agency(conn: Connection, agency: str) -> Any:
    return conn.execute(select(peers).where(peers.c.agency == agency)).first()


def receive_objects(
    conn: Connection, settings: Settings, reader: Reader, doc: Mapping[str, Any], *,
    now: datetime,
) -> dict[str, Any]:
    """TAXII Add Objects: ingest an envelope for the posting agency; the status body."""
    objects = doc.get("objects")
    sigs = doc.get(SIGNATURES) or {}
    if not isinstance(objects, list) or not all(isinstance(o, dict) for o in objects):
        raise InvalidInput("'objects' must be a list of STIX objects", field="objects")
    if not isinstance(sigs, dict):
        raise InvalidInput(f"'{SIGNATURES}' must be an object", field=SIGNATURES)
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
