"""The review queue repository: enqueue, list, confirm, reject, export.

Why here and not in `bersama.detection`: detection is pure and never writes;
this module is the one place that turns a model's verdict into a row, and a
human's verdict into a report.  Confirming goes through the ingest pipeline
(`bersama.ingest.pipeline.ingest`), so a confirmed scam is marked, stored and
correlated exactly like any other report; the observables are re-extracted
from the text by the same extractor the detector used, with the agency's
country as the default for national-format phone numbers.  Each function takes
the caller's `Connection` and runs inside the caller's transaction; a
decision also appends a row to the tamper-evident audit log
(`review.confirm` / `review.reject`, with the actor), next to `decided_by`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from bersama.config import Settings
from bersama.errors import Conflict, InvalidInput, NotFound
from bersama.markings import Marking, Reader
from bersama.store import audit
from bersama.store.identities import agency_country, require_audience
from bersama.store.tables.core import reports
from bersama.store.tables.detection import review_items
from bersama.store.values import iso_utc, utcnow

QUEUE_BANDS = ("likely", "review")
NAMESPACE = uuid.UUID("6f1c1d55-3a53-4b8e-9c1e-2f0d7c0b6a11")


def enqueue(conn: Connection, *, agency: str, text: str, result: dict[str, Any], source: str,
            now: datetime | None = None, report_id: int | None = None) -> int | None:
    """Queue one scored message if its band is likely or review; returns the item id.

    `report_id` links an item to the report it was stored as (triage at ingest,
    `bersama.ingest.triage`): confirming it then records the decision on that
    report instead of creating a second one."""
    if result.get("band") not in QUEUE_BANDS:
        return None
    row = {
        "agency": agency, "text": text, "language": result["language"],
        "probability": float(result["probability"]), "band": result["band"],
        "scam_types": result.get("scam_types", []), "entities": result.get("entities", []),
        "model_version": result["model_version"], "source": source[:200],
        "status": "queued", "created_at": now or utcnow(), "report_id": report_id,
    }
    pk = conn.execute(insert(review_items).values(**row)).inserted_primary_key
    return int(pk[0]) if pk else None


def _as_dict(row: Any) -> dict[str, Any]:
    d = dict(row._mapping)
    for k in ("decided_at", "created_at"):
        d[k] = iso_utc(d.get(k))
    return d


def list_items(conn: Connection, *, agency: str | None, status: str | None = "queued",
               limit: int = 100, after_id: int = 0) -> list[dict[str, Any]]:
    """Items of one agency (all agencies when `agency` is None: the node operator)."""
    if status is not None and status not in ("queued", "confirmed", "rejected"):
        raise InvalidInput(f"unknown review status {status!r}", field="status", value=status)
    q = select(review_items).where(review_items.c.id > after_id)
    if agency is not None:
        q = q.where(review_items.c.agency == agency)
    if status is not None:
        q = q.where(review_items.c.status == status)
    rows = conn.execute(q.order_by(review_items.c.id).limit(max(1, min(limit, 1000))))
    return [_as_dict(r) for r in rows]


def get_item(conn: Connection, item_id: int, *, agency: str | None) -> dict[str, Any]:
    row = conn.execute(select(review_items).where(review_items.c.id == item_id)).first()
    if row is None or (agency is not None and row.agency != agency):
        raise NotFound(f"review item {item_id} not found", field="id", value=str(item_id))
    return _as_dict(row)


def _who(actor: Reader) -> str:
    return actor.user or actor.agency or ("system" if actor.is_system else "unknown")


def reject(conn: Connection, item_id: int, *, actor: Reader,
           now: datetime | None = None) -> dict[str, Any]:
    return _decide(conn, item_id, "rejected", actor, now or utcnow(), report_id=None)


def _decide(conn: Connection, item_id: int, status: str, actor: Reader, now: datetime, *,
            report_id: int | None) -> dict[str, Any]:
    agency = None if actor.is_system else actor.agency
    item = get_item(conn, item_id, agency=agency)
    if report_id is None:  # a rejected item stored at ingest stays linked to its report
        report_id = item["report_id"]
    if item["status"] != "queued":
        raise Conflict(f"review item {item_id} was already {item['status']} by "
                       f"{item['decided_by']}", field="id", value=str(item_id))
    done = conn.execute(
        update(review_items)
        .where(review_items.c.id == item_id, review_items.c.status == "queued")
        .values(status=status, decided_by=_who(actor), decided_at=now, report_id=report_id)
    )
    if done.rowcount != 1:
        raise Conflict(f"review item {item_id} was decided meanwhile", field="id",
                       value=str(item_id))
    audit.record(conn, reader=actor, action=f"review.{status.removesuffix('ed')}",
                 target=f"review:{item_id}", address=None, now=now,
                 detail={"agency": item["agency"], "report_id": report_id,
                         "model_version": item["model_version"],
                         "probability": item["probability"]})
    return get_item(conn, item_id, agency=None)


def confirm(conn: Connection, settings: Settings, item_id: int, *, actor: Reader,
            marking: Marking | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Confirm a queued item: ingest it as a report of its agency, then record the decision."""
    from bersama.ingest.model import ReportDraft
    from bersama.ingest.pipeline import ingest
    from bersama.observables.amounts import extract_amounts
    from bersama.observables.extract import extract_entities
    from bersama.taxonomy import ScamType

    when = now or utcnow()
    agency = None if actor.is_system else actor.agency
    item = get_item(conn, item_id, agency=agency)
    if item["status"] != "queued":
        raise Conflict(f"review item {item_id} was already {item['status']}", field="id",
                       value=str(item_id))
    if marking is not None:
        if item["report_id"] is not None:
            raise InvalidInput("this item's report was stored at ingest with its marking; "
                               "confirm it without a marking", field="tlp")
        require_audience(conn, marking)
    if item["report_id"] is not None:  # stored at ingest (triage): no second report
        out = _decide(conn, item_id, "confirmed", actor, when, report_id=item["report_id"])
        out["report"] = conn.execute(
            select(reports.c.stix_id).where(reports.c.id == item["report_id"])
        ).scalar_one()
        return out
    amounts = extract_amounts(item["text"])
    country = agency_country(conn, item["agency"])
    types = tuple(ScamType(t["type"]) for t in item["scam_types"]
                  if t.get("type") in ScamType.__members__.values())
    key = f"{item['agency']}:review:{item_id}"
    draft = ReportDraft(
        source_id=f"report--{uuid.uuid5(NAMESPACE, key)}",
        modified=when,
        observables=tuple(extract_entities(item["text"], country=country)),
        title=f"Confirmed scam message (review item {item_id})",
        scam_types=types,
        loss_amount=amounts[0][0] if amounts else None,
        loss_currency=amounts[0][1] if amounts else None,
        language=None if item["language"] == "und" else item["language"],
        narrative=item["text"],
        marking=marking,
        labels=("detection-review", f"model:{item['model_version']}"),
        source_ref=f"review:{item_id}",
    )
    result = ingest(conn, settings, agency=item["agency"], items=[draft],
                    source_format="detection-review", source=f"review:{item_id}", actor=actor,
                    clock=lambda: when)
    report_id = result.report_ids[0] if result.report_ids else None
    out = _decide(conn, item_id, "confirmed", actor, when, report_id=report_id)
    out["report"] = draft.source_id  # the id that `GET /api/v1/reports/{id}` takes
    return out


def export(conn: Connection, *, agency: str | None) -> Iterator[dict[str, Any]]:
    """Decided items as labelled rows for retraining (label 1 = confirmed scam)."""
    q = select(review_items).where(review_items.c.status != "queued")
    if agency is not None:
        q = q.where(review_items.c.agency == agency)
    for r in conn.execute(q.order_by(review_items.c.id)):
        yield {"id": r.id, "text": r.text, "label": int(r.status == "confirmed"),
               "status": r.status, "language": r.language,
               "scam_types": [t["type"] for t in r.scam_types],
               "model_probability": r.probability, "model_version": r.model_version,
               "decided_by": r.decided_by,
               "decided_at": iso_utc(r.decided_at)}
