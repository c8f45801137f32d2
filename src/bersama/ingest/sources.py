"""From a file or request body to a batch: format choice, adapter dispatch, one transaction.

Used by `bersama ingest`, `POST /api/v1/ingest`, the review queue and peer
sync, so that every way in runs the same adapters and the same pipeline.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import BinaryIO

from sqlalchemy import Engine

from bersama.config import Settings
from bersama.ingest.model import Rejection, ReportDraft
from bersama.ingest.pipeline import IngestResult, counting, ingest, load_agency, require_format
from bersama.ingest.triage import Triage, require_reviewable
from bersama.markings import Marking, Reader
from bersama.store import audit
from bersama.store.identities import require_audience

Parser = Callable[..., Iterator[ReportDraft | Rejection]]


def parser_for(fmt: str) -> Parser:
    require_format(fmt)
    if fmt == "stix":
        from bersama.ingest.stix import parse_stix

        return parse_stix
    if fmt == "misp":
        from bersama.ingest.misp import parse_misp

        return parse_misp
    if fmt == "csv":
        from bersama.ingest.csv import parse_csv

        return parse_csv
    from bersama.ingest.text import parse_text

    return parse_text


def ingest_stream(
    engine: Engine,
    settings: Settings,
    stream: BinaryIO,
    *,
    fmt: str,
    agency: str,
    actor: Reader,
    source: str,
    batch_marking: Marking | None = None,
    origin_peer: str | None = None,
    tick: Callable[[int], None] | None = None,
    address: str | None = None,
    review: bool = False,
    **adapter_options: object,
) -> IngestResult:
    """Parse and ingest one input as one atomic batch; with `review`, also queue the
    reports whose message text the detector scores likely or review (ingest/triage.py)."""
    parse = parser_for(fmt)
    if review:
        require_reviewable(fmt)
    with engine.begin() as conn:
        ag = load_agency(conn, agency)
        if batch_marking is not None:
            require_audience(conn, batch_marking)
        items = parse(stream, agency_country=ag.country, source_name=source, **adapter_options)
        if tick is not None:
            items = counting(items, tick)
        triage = Triage(settings, ag.country) if review else None
        if triage is not None:
            items = triage.scan(items)
        result = ingest(
            conn, settings, agency=agency, items=items, source_format=fmt, source=source,
            actor=actor, batch_marking=batch_marking, origin_peer=origin_peer,
        )
        if triage is not None:
            result.queued_for_review = triage.enqueue(conn, agency, source)
        audit.record(
            conn, reader=actor, action="ingest", target=f"batch:{result.batch_id}",
            address=address,
            detail={"format": fmt, "agency": agency, "accepted": result.accepted,
                    "updated": result.updated, "withdrawn": result.withdrawn,
                    "rejected": result.rejected, "origin_peer": origin_peer,
                    "queued_for_review": result.queued_for_review},
        )
        return result
