"""After a private match: asking a peer for the reports behind an identifier.

Design (docs/psi.md, "Disclosure"): the asking node *polls*, the holder never
pushes.  The holder needs no credentials for the asker's node, a lost answer is
simply fetched again, and a node that is down misses nothing.

Asking side (`request_disclosure`): the value is normalised, then checked with
private set intersection against that one peer first; it is sent in the clear
only when the peer holds it (so a mistyped or speculative value never leaves
the node).  The signed request and the peer's answer are kept in
`disclosure_requests` (direction "out"); `refresh` polls pending ones.

Holder side (`answer_disclosure`): authenticated like a PSI query (peer token,
node signature, timestamp, nonce).  A value the holder does not hold for the
asking agency (the PSI answer-set rule) is answered "not-held" and forgotten:
it is neither stored nor audited.  Otherwise CLEAR and GREEN reports the agency
may read are released at once as STIX; if AMBER or above reports also match, a
pending request (direction "in") waits for an admin or analyst of the owning
agency: `decide` approves (their agency's restricted reports are released under
their own markings) or denies.  Every request and decision is audited on both sides.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import httpx
import orjson
from sqlalchemy import Engine, select

from bersama.config import Settings
from bersama.errors import (
    BersamaError,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PeerError,
)
from bersama.markings.model import TLP, Reader, Role
from bersama.observables import guess
from bersama.psi import service
from bersama.store import audit
from bersama.store import psi as store_psi
from bersama.store.identities import peer_reader
from bersama.store.tables.federation import peers
from bersama.store.values import iso_utc

DISCLOSE_PATH = "/api/v1/psi/disclose"
STATUS_PATH = "/api/v1/psi/disclosure-status"
IMMEDIATE = frozenset({TLP.CLEAR.value, TLP.GREEN.value})
"""Released at once to an agency that may read them; anything else needs a person."""
DECIDERS = frozenset({Role.ADMIN, Role.ANALYST})
MAX_REASON = 2000
PENDING, ANSWERED, APPROVED, DENIED = "pending", "answered", "approved", "denied"
PAGE_DEFAULT, PAGE_MAX = 200, 500
"""How many requests a page of `list_for` holds unless told, and at most."""


def _reason(text: object) -> str:
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("a reason is required for a disclosure request", field="reason")
    if len(text) > MAX_REASON:
        raise InvalidInput(f"reason longer than {MAX_REASON} characters", field="reason")
    return text.strip()


def _result(objects: list[dict[str, Any]], withheld: int) -> str:
    return orjson.dumps({"objects": objects, "withheld": withheld}).decode()


def view(row: Mapping[str, Any]) -> dict[str, Any]:
    """A disclosure row as shown by the API and `--json` output."""
    result = orjson.loads(row["result"]) if row.get("result") else {}
    return {
        "id": int(row["id"]), "direction": row["direction"], "peer": row["peer"],
        "remote_id": row["remote_id"], "agency": row["agency"], "value_ref": row["value_ref"],
        "reason": row["reason"], "status": row["status"], "requested_by": row["requested_by"],
        "decided_by": row["decided_by"],
        "created_at": iso_utc(row["created_at"]), "decided_at": iso_utc(row["decided_at"]),
        "answered_at": iso_utc(row["answered_at"]),
        "objects": result.get("objects", []), "withheld": result.get("withheld", 0),
    }




# ---------------------------------------------------------------- asking side


def request_disclosure(
    settings: Settings, engine: Engine, *, asking_reader: Reader, peer_name: str, value: str,
    reason: str, country: str | None, transport: httpx.BaseTransport | None = None,
    now: Callable[[], datetime] = service._utcnow,
) -> dict[str, Any]:
    """Ask `peer_name` for the reports behind `value`; returns the stored request."""
    if asking_reader.agency is None or asking_reader.is_peer:
        raise Forbidden("only a user of this node's agencies may request a disclosure")
    if asking_reader.role not in DECIDERS:
        raise Forbidden("disclosure requests need the analyst or admin role")
    why = _reason(reason)
    country = service.asking_country(engine, asking_reader, country)
    ref = guess(value, country=country).ref
    check = service.ask_peers(settings, engine, [value], asking_reader=asking_reader,
                              country=country, transport=transport, now=now,
                              only_peer=peer_name)
    if peer_name in check.peer_errors:
        raise PeerError(f"peer {peer_name}: {check.peer_errors[peer_name]}")
    if peer_name not in check.results[0].held_by:
        raise NotFound(f"peer {peer_name} does not hold this value for your agency; "
                       "nothing was sent", field="value")
    with engine.connect() as conn:
        peer = dict(conn.execute(select(peers).where(peers.c.name == peer_name))
                    .mappings().one())
    with service.peer_client(settings, transport) as client:
        answer = service.signed_post(client, settings, peer, DISCLOSE_PATH, {
            "ref": ref, "reason": why, "requested_by": asking_reader.user,
        }, now=now)
    status = str(answer.get("status", ""))
    if status not in {PENDING, ANSWERED, "not-held"}:
        raise PeerError(f"peer {peer_name} answered with unknown status {status!r}")
    objects = answer.get("objects") or []
    if not isinstance(objects, list):
        raise PeerError(f"peer {peer_name} sent malformed objects")
    at = now()
    with engine.begin() as conn:
        did = store_psi.add_disclosure(
            conn, direction="out", peer=peer_name,
            remote_id=str(answer["id"]) if answer.get("id") is not None else None,
            agency=asking_reader.agency, value_ref=ref, reason=why, status=status,
            requested_by=asking_reader.user, created_at=at,
            answered_at=at if status != PENDING else None,
            result=_result(objects, int(answer.get("withheld") or 0)),
        )
        audit.record(conn, reader=asking_reader, action="disclosure.request",
                     target=f"disclosure:{did}", address=None, now=at,
                     detail={"peer": peer_name, "ref": ref, "reason": why, "status": status,
                             "objects": len(objects)})
        return view(store_psi.get_disclosure(conn, did))


def refresh(
    settings: Settings, engine: Engine, *, transport: httpx.BaseTransport | None = None,
    now: Callable[[], datetime] = service._utcnow,
) -> dict[str, str]:
    """Poll peers for the answers to our pending requests; returns errors per request."""
    with engine.connect() as conn:
        pending = store_psi.list_disclosures(conn, direction="out", status=PENDING)
        peer_rows = {str(p["name"]): dict(p) for p in conn.execute(select(peers)).mappings()}
    errors: dict[str, str] = {}
    if not pending:
        return errors
    with service.peer_client(settings, transport) as client:
        for row in pending:
            peer = peer_rows.get(row["peer"])
            if peer is None or row["remote_id"] is None:
                continue
            try:
                answer = service.signed_post(client, settings, peer, STATUS_PATH,
                                             {"id": row["remote_id"]}, now=now)
            except BersamaError as exc:
                errors[str(row["id"])] = exc.detail
                continue
            status = str(answer.get("status", ""))
            if status == PENDING:
                continue
            if status not in {APPROVED, DENIED}:
                errors[str(row["id"])] = f"unknown status {status!r}"
                continue
            objects = answer.get("objects") or []
            at = now()
            with engine.begin() as conn:
                store_psi.update_disclosure(
                    conn, int(row["id"]), status=status, answered_at=at,
                    decided_by=str(answer.get("decided_by") or "") or None,
                    result=_result(objects if isinstance(objects, list) else [],
                                   int(answer.get("withheld") or 0)))
                audit.record(conn, reader=Reader.system(), action="disclosure.answered",
                             target=f"disclosure:{row['id']}", address=None, now=at,
                             detail={"peer": row["peer"], "status": status,
                                     "objects": len(objects)})
    return errors


# ---------------------------------------------------------------- holder side


def answer_disclosure(
    settings: Settings, engine: Engine, reader: Reader, headers: Mapping[str, str], body: bytes,
    *, address: str | None = None, now: Callable[[], datetime] = service._utcnow,
) -> dict[str, Any]:
    peer = service.authenticate_peer(engine, reader, headers, DISCLOSE_PATH, body, now=now())
    doc = service.json_object(body)
    ref, why = doc.get("ref"), _reason(doc.get("reason"))
    if not isinstance(ref, str) or not ref or len(ref) > 2100:
        raise InvalidInput("ref must be a normalised identifier", field="ref")
    by = doc.get("requested_by")
    requested_by = by[:254] if isinstance(by, str) else None
    at = now()
    with engine.begin() as conn:
        # A value in the clear is an enumeration oracle: each one counts like a PSI item.
        service.charge_answer(conn, settings, peer=str(peer["name"]), agency=str(reader.agency),
                              items=1, day=at.date())
        held = store_psi.held_reports(conn, reader, ref)
        if not held:
            # Not ours to know: answer, and keep nothing of the value (audit without it).
            audit.record(conn, reader=reader, action="disclosure.received",
                         target=f"peer:{peer['name']}", address=address, now=at,
                         detail={"peer": peer["name"], "status": "not-held"})
            return {"id": None, "status": "not-held", "objects": [], "withheld": 0}
        released = [h.id for h in held if h.tlp in IMMEDIATE and h.readable]
        restricted = [h for h in held if h.tlp not in IMMEDIATE]
        objects = store_psi.stix_of_reports(conn, released)
        status = PENDING if restricted else ANSWERED
        did = store_psi.add_disclosure(
            conn, direction="in", peer=peer["name"], remote_id=None, agency=reader.agency,
            value_ref=ref, reason=why, status=status, requested_by=requested_by,
            created_at=at, answered_at=at if status == ANSWERED else None,
            result=_result(objects, len(restricted)),
        )
        audit.record(conn, reader=reader, action="disclosure.received",
                     target=f"disclosure:{did}", address=address, now=at,
                     detail={"peer": peer["name"], "ref": ref, "reason": why, "status": status,
                             "released": len(released), "pending": len(restricted),
                             "owners": sorted({h.agency for h in restricted})})
    return {"id": did, "status": status, "objects": objects, "withheld": len(restricted)}


def answer_status(
    settings: Settings, engine: Engine, reader: Reader, headers: Mapping[str, str], body: bytes,
    *, address: str | None = None, now: Callable[[], datetime] = service._utcnow,
) -> dict[str, Any]:
    del settings, address
    service.authenticate_peer(engine, reader, headers, STATUS_PATH, body, now=now())
    raw = service.json_object(body).get("id")
    try:
        did = int(str(raw))
    except ValueError:
        raise InvalidInput("id must be a disclosure request id", field="id") from None
    with engine.connect() as conn:
        row = store_psi.get_disclosure(conn, did)
    if row["direction"] != "in" or row["agency"] != reader.agency:
        raise NotFound(f"no disclosure request {did}", field="id", value=str(did))
    out = view(row)
    return {"id": did, "status": out["status"], "decided_by": out["decided_by"],
            "objects": out["objects"], "withheld": out["withheld"]}


def decide(
    engine: Engine, reader: Reader, disclosure_id: int, *, approve: bool,
    now: Callable[[], datetime] = service._utcnow,
) -> dict[str, Any]:
    """Approve or deny a peer's pending request, as an admin or analyst of an owner."""
    if not reader.is_system and (reader.is_peer or reader.agency is None
                                 or reader.role not in DECIDERS):
        raise Forbidden("deciding disclosures needs the analyst or admin role of this node")
    at = now()
    with engine.begin() as conn:
        row = store_psi.get_disclosure(conn, disclosure_id)
        if row["direction"] != "in":
            raise InvalidInput("only requests from peers are decided here; this one is ours",
                               field="id", value=str(disclosure_id))
        if row["status"] != PENDING:
            raise Conflict(f"disclosure {disclosure_id} is already {row['status']}",
                               field="id", value=str(disclosure_id))
        asker = peer_reader(conn, str(row["agency"]))
        held = store_psi.held_reports(conn, asker, str(row["value_ref"]))
        restricted = [h for h in held if h.tlp not in IMMEDIATE]
        mine = [h for h in restricted if reader.is_system or h.agency == reader.agency]
        if not mine and not reader.is_system:
            raise Forbidden(f"agency {reader.agency} owns none of the reports asked for",
                            field="id", value=str(disclosure_id))
        released = [h.id for h in held if h.tlp in IMMEDIATE and h.readable]
        if approve:
            released += [h.id for h in mine]
        objects = store_psi.stix_of_reports(conn, released)
        status = APPROVED if approve else DENIED
        who = reader.user or (f"agency:{reader.agency}" if reader.agency else "system")
        store_psi.update_disclosure(conn, disclosure_id, status=status, decided_by=who,
                                    decided_at=at,
                                    result=_result(objects, len(restricted) - (
                                        len(mine) if approve else 0)))
        audit.record(conn, reader=reader, action=f"disclosure.{'approve' if approve else 'deny'}",
                     target=f"disclosure:{disclosure_id}", address=None, now=at,
                     detail={"peer": row["peer"], "agency": row["agency"],
                             "released": len(released), "restricted": len(restricted)})
        return view(store_psi.get_disclosure(conn, disclosure_id))


def list_for(engine: Engine, reader: Reader, *, offset: int = 0,
             limit: int = PAGE_DEFAULT) -> dict[str, Any]:
    """A page of our requests (of the reader's agency) and of peers' requests the reader may
    decide, newest first: `{"disclosures": [...], "next_offset": n | None}`."""
    with engine.connect() as conn:
        rows = store_psi.disclosures_for(conn, reader, immediate=IMMEDIATE, offset=offset,
                                         limit=limit + 1)
    return {"disclosures": [view(r) for r in rows[:limit]],
            "next_offset": offset + limit if len(rows) > limit else None}
