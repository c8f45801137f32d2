"""TAXII 2.1 status resources of pushed objects, including those held for reassembly.

Why a status may stay `pending` after the POST has been answered: a peer's
object that `federation.assemble` holds back (a report whose observables or
marking definition are still to come, an observable no report has named yet)
is neither ingested nor refused yet.  Counting it as a success would tell the
pusher that it is ingested when it may later be dropped as an orphan or
refused for its marking; so it is listed in `pendings` (message
`HELD_MESSAGE`) and the status stays `pending` until every held object of it
is settled: a success once it is ingested with its report (or found already
known), a failure once it is dropped.  Settlement happens in the transaction
that ingests or drops the objects (`settle`), whichever way the rest arrived
(a later push, or a pull from the same peer).

A pusher that polls a `pending` status whose every pending object carries
`HELD_MESSAGE` knows the objects are durably held by the peer, so it may move
its push cursor: re-sending them would change nothing (`held_by_peer`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, select, update

from bersama.federation.protocol import object_version
from bersama.store.tables.federation import taxii_status

HELD_MESSAGE = "held for reassembly: waiting for the rest of its report"
_PENDING_MARK = '%"status":"pending"%'
"""Status bodies are compact JSON (orjson), so a pending one contains this text."""


def status_body(
    objects: Sequence[Mapping[str, Any]], *, failures: Mapping[str, str],
    pending: set[str],
) -> dict[str, Any]:
    """The status resource of one Add Objects request (without `id` and timestamp).

    `failures` maps object id to message; ids in `pending` are held; the rest succeeded.
    """
    successes: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    pendings: list[dict[str, Any]] = []
    for o in objects:
        oid = o.get("id")
        entry = {"id": oid, "version": object_version(o)}
        if oid in failures:
            failed.append({**entry, "message": failures[str(oid)]})
        elif oid in pending:
            pendings.append({**entry, "message": HELD_MESSAGE})
        else:
            successes.append(entry)
    return {
        "status": "pending" if pendings else "complete",
        "total_count": len(objects),
        "success_count": len(successes),
        "successes": successes,
        "failure_count": len(failed),
        "failures": failed,
        "pending_count": len(pendings),
        "pendings": pendings,
    }


def settle(conn: Connection, agency: str, outcomes: Mapping[str, str | None]) -> int:
    """Move settled held objects of `agency`'s pending statuses to successes (outcome
    None) or failures (outcome = message); a status with nothing pending left becomes
    complete.  Returns the number of status resources changed."""
    if not outcomes:
        return 0
    rows = conn.execute(select(taxii_status.c.id, taxii_status.c.body).where(
        taxii_status.c.agency == agency, taxii_status.c.body.like(_PENDING_MARK))).all()
    changed = 0
    for sid, raw in rows:
        body = orjson.loads(raw)
        if not _settle_body(body, outcomes):
            continue
        conn.execute(update(taxii_status).where(taxii_status.c.id == sid).values(
            body=orjson.dumps(body).decode()))
        changed += 1
    return changed


def _settle_body(body: dict[str, Any], outcomes: Mapping[str, str | None]) -> bool:
    pendings = body.get("pendings")
    if body.get("status") != "pending" or not isinstance(pendings, list):
        return False
    still: list[Any] = []
    moved = False
    for entry in pendings:
        oid = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(oid, str) or oid not in outcomes:
            still.append(entry)
            continue
        moved = True
        done = {"id": oid, "version": entry.get("version")}
        message = outcomes[oid]
        if message is None:
            body.setdefault("successes", []).append(done)
        else:
            body.setdefault("failures", []).append({**done, "message": message})
    if not moved:
        return False
    body["pendings"] = still
    body["pending_count"] = len(still)
    body["success_count"] = len(body.get("successes") or [])
    body["failure_count"] = len(body.get("failures") or [])
    if not still:
        body["status"] = "complete"
    return True


def held_by_peer(status: Mapping[str, Any]) -> bool:
    """A pending status whose every pending object is held for reassembly by the peer
    (and which accounts for every object): the objects are durably accepted."""
    pendings = status.get("pendings")
    if status.get("status") != "pending" or not isinstance(pendings, list) or not pendings:
        return False
    counts = [status.get(k) for k in ("total_count", "success_count", "failure_count",
                                      "pending_count")]
    if not all(isinstance(c, int) for c in counts):
        return False
    total, ok, bad, waiting = (int(c) for c in counts)  # type: ignore[arg-type]
    return (waiting == len(pendings) and ok + bad + waiting == total
            and all(isinstance(p, dict) and p.get("message") == HELD_MESSAGE
                    for p in pendings))
