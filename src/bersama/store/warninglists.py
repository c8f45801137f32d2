"""Agencies' own warninglists: official numbers and accounts that must never link clusters.

A bank's public hotline or a police tip line appears in thousands of honest
reports ("I called the real bank at ..."). Listing it makes the value stop
linking at once: existing clusters joined through it are split, and values
ingested later are flagged on arrival (see `bersama.ingest.pipeline`).
"""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, update

from bersama.observables.model import Observable
from bersama.store import correlate
from bersama.store.tables.core import observables, warninglist
from bersama.store.writelock import hold_correlation


def add(conn: Connection, *, agency: str, obs: Observable, note: str = "") -> bool:
    """List a value for an agency; returns False when it was already listed."""
    hold_correlation(conn)
    exists = conn.execute(
        select(warninglist.c.id).where(warninglist.c.agency == agency,
                                       warninglist.c.ref == obs.ref)
    ).first()
    if exists:
        return False
    conn.execute(insert(warninglist).values(agency=agency, ref=obs.ref, note=note))
    oid = conn.execute(
        select(observables.c.id).where(observables.c.ref == obs.ref,
                                       observables.c.warninglist.is_(None))
    ).scalar()
    if oid is not None:
        affected = correlate.clusters_of_observables(conn, [oid])
        conn.execute(
            update(observables).where(observables.c.id == oid)
            .values(warninglist=f"agency:{agency}")
        )
        correlate.split(conn, affected)
    return True


def entries(conn: Connection, agency: str | None = None) -> list[dict[str, str]]:
    stmt = select(warninglist.c.agency, warninglist.c.ref, warninglist.c.note).order_by(
        warninglist.c.agency, warninglist.c.ref
    )
    if agency:
        stmt = stmt.where(warninglist.c.agency == agency)
    return [{"agency": a, "ref": r, "note": n} for a, r, n in conn.execute(stmt)]
