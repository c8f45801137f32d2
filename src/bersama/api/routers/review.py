"""The review queue over HTTP: list, confirm, reject, export.

Why analysts only: confirming creates a report under the agency's name, so
only an agency's analysts and admins may decide, and only on their own
agency's items; peers and the public never see the queue.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse

from bersama.api.deps import (
    Position,
    ReadConn,
    ReaderDep,
    RowId,
    SettingsDep,
    StrictBody,
    WriteConn,
)
from bersama.api.problems import problems
from bersama.api.security import require_agency_analyst
from bersama.markings import Reader
from bersama.store import review

router = APIRouter(prefix="/api/v1/review", tags=["detection"],
                   responses=problems(401, 403, 429))


class NDJSONResponse(PlainTextResponse):
    media_type = "application/x-ndjson"


class Decision(StrictBody):
    tlp: str | None = None
    group: str | None = None


def _analyst(reader: Reader) -> str:
    return require_agency_analyst(reader, "use the review queue")


@router.get("")
def list_items(reader: ReaderDep, conn: ReadConn,
               status: Annotated[str, Query(pattern="^(queued|confirmed|rejected|all)$")
                                 ] = "queued",
               limit: Annotated[int, Query(ge=1, le=1000)] = 100,
               after_id: Position = 0) -> dict[str, Any]:
    agency = _analyst(reader)
    items = review.list_items(conn, agency=agency, status=None if status == "all" else status,
                              limit=limit, after_id=after_id)
    return {"items": items}


@router.post("/{item_id}/confirm", responses=problems(400, 404, 409, 413, 503))
def confirm(item_id: RowId, reader: ReaderDep, conn: WriteConn, settings: SettingsDep,
            body: Decision | None = None) -> dict[str, Any]:
    from bersama.ingest.options import batch_marking

    _analyst(reader)
    marking = batch_marking(body.tlp, body.group, None) if body else None
    return review.confirm(conn, settings, item_id, actor=reader, marking=marking)


@router.post("/{item_id}/reject", responses=problems(404, 409))
def reject(item_id: RowId, reader: ReaderDep, conn: WriteConn) -> dict[str, Any]:
    _analyst(reader)
    return review.reject(conn, item_id, actor=reader)


@router.get("/export", response_class=NDJSONResponse)
def export(reader: ReaderDep, conn: ReadConn) -> NDJSONResponse:
    """Decisions as JSON lines (label 1 = confirmed scam), for retraining."""
    agency = _analyst(reader)
    body = "".join(json.dumps(r, ensure_ascii=False) + "\n"
                   for r in review.export(conn, agency=agency))
    return NDJSONResponse(body)
