"""Private cross-border checks over HTTP (docs/psi.md).

`POST /api/v1/psi/query` is the answering side, called by peer nodes only; its
body is signed (see `bersama.psi.auth`), so the handler reads the raw bytes.
`POST /api/v1/ask-peers` is the asking side, called by this node's analysts.
The library's elliptic-curve work runs in the threadpool.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from bersama.api.deps import EngineDep, ReaderDep, SettingsDep
from bersama.errors import InvalidInput
from bersama.psi import service

router = APIRouter(prefix="/api/v1", tags=["psi"])


class AskBody(BaseModel):
    values: list[str] = Field(min_length=1)
    country: str | None = None


@router.post("/psi/query", summary="Answer a peer's private set intersection request")
async def psi_query(
    request: Request, settings: SettingsDep, engine: EngineDep, reader: ReaderDep
) -> dict[str, Any]:
    body = await request.body()
    result: dict[str, Any] = await run_in_threadpool(
        service.answer_query, settings, engine, reader, request.headers, body,
        address=request.client.host if request.client else None,
    )
    return result


@router.post("/ask-peers", summary="Ask every peer which identifiers it holds, privately")
def ask_peers_endpoint(
    body: AskBody, settings: SettingsDep, engine: EngineDep, reader: ReaderDep
) -> dict[str, Any]:
    if len(body.values) > settings.bulk_check_max:
        raise InvalidInput(f"at most {settings.bulk_check_max} values per request",
                           field="values")
    return service.ask_peers(
        settings, engine, body.values, asking_reader=reader, country=body.country
    ).as_dict()
