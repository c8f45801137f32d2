"""Core read and write endpoints: ingest, checks, clusters, reports, status."""

from __future__ import annotations

import tempfile
from functools import partial
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import Field
from sqlalchemy import Engine

from bersama.api.deps import (
    EngineDep,
    Position,
    ReadConn,
    ReaderDep,
    RowId,
    SettingsDep,
    StrictBody,
    bound_values,
)
from bersama.api.problems import problems
from bersama.api.security import (
    authenticate_request,
    charge_checks,
    client_address,
    credentials_presented,
    require_agency_analyst,
)
from bersama.config import Settings
from bersama.errors import InvalidInput, PayloadTooLarge
from bersama.gcpause import collection_paused
from bersama.ingest.options import adapter_options, batch_marking, mapping_from_json
from bersama.ingest.sources import ingest_stream
from bersama.markings import Reader
from bersama.observables import guess
from bersama.store import audit
from bersama.store.browse import CLUSTER_PAGE_MAX
from bersama.store.identities import agency_country, validate_country
from bersama.store.queries import Reads

router = APIRouter(prefix="/api/v1", tags=["core"], responses=problems(401, 429))


class FastJSONResponse(JSONResponse):
    """JSON rendered by orjson, returned as a ready `Response`.

    A bulk check answer is megabytes of nested dicts; returned as a plain dict,
    FastAPI walks it with `jsonable_encoder` and then `json.dumps`, both in
    Python, which cost more than the check itself.  The payload holds only
    str, int, float, bool, None, lists and dicts, which orjson renders
    byte for byte as compact `json.dumps` would.  A `JSONResponse` so that the
    OpenAPI description says JSON.
    """

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def audit_reads(conn: Any, reads: Reads, request: Request, action: str, target: str) -> None:
    """Record reads of AMBER, AMBER+STRICT and RED objects (one row per request)."""
    if reads.sensitive_reads and not reads.reader.is_system:
        audit.record(
            conn,
            reader=reads.reader,
            action=action,
            target=target,
            address=client_address(request),
            detail={
                "objects": sorted(reads.sensitive_reads)[:1000],
                "count": len(reads.sensitive_reads),
            },
        )


INGEST_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"type": "object"}},  # a STIX bundle or MISP event
    "text/csv": {"schema": {"type": "string"}},
    "text/plain": {"schema": {"type": "string"}},
}}}
"""The body is streamed as it comes (up to `max_body_bytes`), so FastAPI does not know it."""


@router.post(
    "/ingest",
    summary="Ingest a STIX bundle, MISP event, hotline CSV or text",
    responses=problems(403, 404, 413, 422, 503),
    openapi_extra=INGEST_BODY,
)
async def ingest_endpoint(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    reader: ReaderDep,
    format: Literal["stix", "misp", "csv", "text"],
    tlp: str | None = None,
    group: str | None = None,
    recipients: str | None = None,
    review: Annotated[
        bool,
        Query(description="csv/text: also queue the reports whose text scores likely or review"),
    ] = False,
    mapping: Annotated[
        str | None,
        Query(max_length=8192, description='csv: the column mapping as JSON, as a mapping file '
              'holds it (docs/ingest-formats.md), e.g. {"columns": {"phone": "No. Telefon"}}'),
    ] = None,
    encoding: Annotated[
        str | None,
        Query(max_length=40, description="csv/text: the input's encoding when not UTF-8 "
              "(cp1252, cp874, tis-620...)"),
    ] = None,
) -> dict[str, Any]:
    agency = require_agency_analyst(reader, "ingest reports")
    marking = batch_marking(tlp, group, recipients)
    options = adapter_options(
        format, mapping=None if mapping is None else mapping_from_json(mapping), encoding=encoding)
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > settings.max_body_bytes:
                raise PayloadTooLarge(
                    f"request body exceeds {settings.max_body_bytes} bytes", field="body"
                )
            spool.write(chunk)
        if size == 0:
            raise InvalidInput("request body is empty", field="body")
        spool.seek(0)
        # In the thread pool: a batch takes seconds, and the event loop serves everyone.
        result = await run_in_threadpool(
            partial(
                ingest_stream,
                engine,
                settings,
                spool,  # type: ignore[arg-type]  # SpooledTemporaryFile is a binary stream
                fmt=format,
                agency=agency,
                actor=reader,
                source=f"api:{format}",
                batch_marking=marking,
                address=client_address(request),
                review=review,
                **options,
            )
        )
    return result.as_dict()


@router.get(
    "/ingest/{batch_id}/rejections",
    summary="Every record an ingest batch of your agency rejected, a page at a time",
    responses=problems(404),
)
def batch_rejections(
    conn: ReadConn,
    settings: SettingsDep,
    reader: ReaderDep,
    batch_id: RowId,
    offset: Position = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> dict[str, Any]:
    return Reads(conn, reader, settings).rejections(batch_id, offset=offset, limit=limit)


@router.get(
    "/check",
    summary="Check one identifier",
    response_class=FastJSONResponse,
    dependencies=[Depends(credentials_presented)],
)
def check_one(
    request: Request,
    value: Annotated[str, Query(min_length=1, max_length=4096)],
    country: Annotated[str | None, Query(min_length=2, max_length=2)] = None,
    top: Annotated[
        int | None,
        Query(ge=0, description="how many of the cluster's other observables to list"),
    ] = None,
) -> Response:
    # The reader, settings, engine and connection are taken here rather than as
    # dependencies: FastAPI runs each sync dependency in the thread pool, and every
    # hop there and back costs more than the check itself.  One connection serves
    # the authentication (which commits the token's use itself) and the check, and
    # commits the audit row of the read only when the check succeeded, as
    # `read_conn` does.
    settings: Settings = request.app.state.settings
    engine: Engine = request.app.state.engine
    with engine.connect() as conn:
        auth = authenticate_request(request, conn)
        obs = guess(value, country=validate_country(country) if country else auth.country)
        reads = Reads(conn, auth.reader, settings, top=top)
        result = reads.check(obs)
        result["value"] = value
        audit_reads(conn, reads, request, "check", obs.ref if reads.sensitive_reads else "check")
        conn.commit()
    return FastJSONResponse(result)


class BulkCheck(StrictBody):
    values: list[str] = Field(min_length=1)
    country: str | None = Field(default=None, min_length=2, max_length=2)
    top: int | None = Field(
        default=None,
        ge=0,
        description="how many of each cluster's other observables to list (default and "
        "most: the node's cluster_top_observables); 0 for the figures only",
    )


@router.post(
    "/check",
    summary="Check up to 10,000 identifiers",
    response_class=FastJSONResponse,
    responses=problems(400, 413),
)
def check_bulk(request: Request, body: BulkCheck, reader: ReaderDep) -> Response:
    settings: Settings = request.app.state.settings
    bound_values(settings, body.values)
    charge_checks(request, len(body.values) - 1)
    engine: Engine = request.app.state.engine
    with engine.connect() as conn:  # as in `check_one`
        country = (validate_country(body.country) if body.country
                   else agency_country(conn, reader.agency))
        # The answer is rendered and freed while the cyclic collector is paused: its
        # containers never reach a collection (`Reads.check_many` explains the pause).
        with collection_paused():
            payload = orjson.dumps(
                {"results": bulk(conn, reader, settings, body.values, country, request, body.top)}
            )
        conn.commit()
    return Response(payload, media_type="application/json")


def bulk(
    conn: Any,
    reader: Reader,
    settings: Any,
    values: list[str],
    country: str | None,
    request: Request | None,
    top: int | None = None,
) -> list[dict[str, Any]]:
    from bersama.errors import InvalidObservable

    parsed: list[Any] = []
    for v in values:
        try:
            parsed.append(guess(v, country=country))
        except InvalidObservable as exc:
            parsed.append(exc)
    reads = Reads(conn, reader, settings, top=top)
    found = iter(reads.check_many([p for p in parsed if not isinstance(p, Exception)]))
    out: list[dict[str, Any]] = []
    for value, p in zip(values, parsed, strict=True):
        if isinstance(p, Exception):
            out.append({"value": value, "valid": False, "reason": str(p)})
        else:
            r = next(found)
            r["value"] = value
            out.append(r)
    if request is not None:
        audit_reads(conn, reads, request, "check-bulk", f"values:{len(values)}")
    return out


@router.get("/clusters", summary="Clusters of reports visible to you, largest first")
def list_clusters(
    request: Request,
    conn: ReadConn,
    settings: SettingsDep,
    reader: ReaderDep,
    cross_border: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Position = 0,
) -> dict[str, Any]:
    reads = Reads(conn, reader, settings)
    out = reads.clusters(cross_border=cross_border, limit=limit, offset=offset)
    audit_reads(conn, reads, request, "clusters", "clusters")
    return out


@router.get("/clusters/{cluster_id}", summary="One cluster with a page of its reports",
            responses=problems(404))
def get_cluster(
    request: Request,
    cluster_id: RowId,
    conn: ReadConn,
    settings: SettingsDep,
    reader: ReaderDep,
    offset: Position = 0,
    limit: Annotated[int, Query(ge=1, le=CLUSTER_PAGE_MAX)] = CLUSTER_PAGE_MAX,
) -> dict[str, Any]:
    reads = Reads(conn, reader, settings)
    out = reads.cluster(cluster_id, offset=offset, limit=limit)
    audit_reads(conn, reads, request, "cluster", f"cluster:{cluster_id}")
    return out


@router.get("/reports/{report_id}", summary="One report", responses=problems(404))
def get_report(
    request: Request,
    report_id: str,
    conn: ReadConn,
    settings: SettingsDep,
    reader: ReaderDep,
) -> dict[str, Any]:
    reads = Reads(conn, reader, settings)
    out = reads.report(report_id)
    audit_reads(conn, reads, request, "report", report_id)
    return out


@router.get("/status", summary="What this node holds that you may read")
def status(conn: ReadConn, settings: SettingsDep, reader: ReaderDep) -> dict[str, Any]:
    out = Reads(conn, reader, settings).status()
    out["node"] = settings.node_name
    return out
