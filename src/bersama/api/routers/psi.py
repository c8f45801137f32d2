"""Private cross-border checks and disclosures over HTTP (docs/psi.md).

Peer-facing (signed with the calling node's key, see `bersama.psi.auth`, so the
handlers read the raw bytes): `POST /api/v1/psi/query` answers a private set
intersection request, `POST /api/v1/psi/disclose` a disclosure request and
`POST /api/v1/psi/disclosure-status` a poll for its decision.
Analyst-facing: `POST /api/v1/ask-peers`, and `/api/v1/disclosures` to request,
list, approve and deny.  The library's elliptic-curve work runs in the threadpool.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from bersama.api.deps import (
    EngineDep,
    Position,
    ReaderDep,
    RowId,
    SettingsDep,
    StrictBody,
    bound_values,
)
from bersama.api.problems import problems
from bersama.api.security import client_address
from bersama.psi import disclosure, service

router = APIRouter(prefix="/api/v1", tags=["psi"], responses=problems(401, 429))
SIGNED = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": {"type": "object"}}}}}
"""A peer's request: read raw, since the signature covers its exact bytes."""
PEER = problems(403, 404, 413, 422)


class AskBody(StrictBody):
    values: list[str] = Field(min_length=1)
    country: str | None = None


class DisclosureBody(StrictBody):
    peer: str = Field(min_length=1, max_length=100)
    value: str = Field(min_length=1, max_length=2100)
    reason: str = Field(min_length=1, max_length=disclosure.MAX_REASON)
    country: str | None = Field(default=None, min_length=2, max_length=2)


@router.post("/psi/query", summary="Answer a peer's private set intersection request",
             responses=PEER, openapi_extra=SIGNED)
async def psi_query(
    request: Request, settings: SettingsDep, engine: EngineDep, reader: ReaderDep
) -> dict[str, Any]:
    body = await request.body()
    result: dict[str, Any] = await run_in_threadpool(
        service.answer_query, settings, engine, reader, request.headers, body,
        address=client_address(request),
    )
    return result


@router.post("/psi/disclose", summary="Answer a peer's request for the reports behind a value",
             responses=PEER, openapi_extra=SIGNED)
async def psi_disclose(
    request: Request, settings: SettingsDep, engine: EngineDep, reader: ReaderDep
) -> dict[str, Any]:
    body = await request.body()
    result: dict[str, Any] = await run_in_threadpool(
        disclosure.answer_disclosure, settings, engine, reader, request.headers, body,
        address=client_address(request),
    )
    return result


@router.post("/psi/disclosure-status", summary="A peer polls the decision on its request",
             responses=PEER, openapi_extra=SIGNED)
async def psi_disclosure_status(
    request: Request, settings: SettingsDep, engine: EngineDep, reader: ReaderDep
) -> dict[str, Any]:
    body = await request.body()
    result: dict[str, Any] = await run_in_threadpool(
        disclosure.answer_status, settings, engine, reader, request.headers, body,
    )
    return result


@router.post("/ask-peers", summary="Ask every peer which identifiers it holds, privately",
             responses=problems(400, 403, 413))
def ask_peers_endpoint(
    body: AskBody, settings: SettingsDep, engine: EngineDep, reader: ReaderDep
) -> dict[str, Any]:
    bound_values(settings, body.values)
    return service.ask_peers(
        settings, engine, body.values, asking_reader=reader, country=body.country
    ).as_dict()


@router.post("/disclosures", summary="Ask a peer for the reports behind a value it holds",
             responses=problems(400, 403, 404, 413, 502))
def request_disclosure(
    body: DisclosureBody, settings: SettingsDep, engine: EngineDep, reader: ReaderDep
) -> dict[str, Any]:
    return disclosure.request_disclosure(
        settings, engine, asking_reader=reader, peer_name=body.peer, value=body.value,
        reason=body.reason, country=body.country.upper() if body.country else None,
    )


@router.get("/disclosures", summary="Our requests and peers' requests we may decide")
def list_disclosures(
    settings: SettingsDep, engine: EngineDep, reader: ReaderDep, refresh: bool = False,
    offset: Position = 0,
    limit: Annotated[int, Query(ge=1, le=disclosure.PAGE_MAX)] = disclosure.PAGE_DEFAULT,
) -> dict[str, Any]:
    errors = disclosure.refresh(settings, engine) if refresh else {}
    return {**disclosure.list_for(engine, reader, offset=offset, limit=limit),
            "refresh_errors": errors}


@router.post("/disclosures/{disclosure_id}/approve", summary="Release the reports asked for",
             responses=problems(403, 404, 409))
def approve(disclosure_id: RowId, engine: EngineDep, reader: ReaderDep) -> dict[str, Any]:
    return disclosure.decide(engine, reader, disclosure_id, approve=True)


@router.post("/disclosures/{disclosure_id}/deny", summary="Refuse a peer's request",
             responses=problems(403, 404, 409))
def deny(disclosure_id: RowId, engine: EngineDep, reader: ReaderDep) -> dict[str, Any]:
    return disclosure.decide(engine, reader, disclosure_id, approve=False)
