"""TAXII 2.1 server: discovery, API root, collections, objects, manifest, versions, status.

Why this router answers its own errors instead of going through the app's
problem+json table: TAXII clients expect the TAXII error message resource
(title, description, http_status) with the TAXII media type, on every
endpoint, authentication failures included, and on every path under
/taxii2/ the router does not serve (`routing_error`).  Handlers are plain `def`, so
FastAPI runs their database work in its thread pool.  Pages are serialised
straight from the stored JSON bodies; signatures (docs/adr/0005) are computed
with the node key and cached per stored row.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from http.client import responses as REASONS
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Connection, Engine, insert, select
from starlette.concurrency import run_in_threadpool

from bersama.api.problems import status_of
from bersama.config import Settings
from bersama.errors import (
    BersamaError,
    Forbidden,
    InvalidInput,
    TryLater,
    Unauthenticated,
)
from bersama.federation import collections as colls
from bersama.federation.outbound import signed_envelope
from bersama.federation.protocol import (
    PUBLIC_KEY,
    TAXII_21,
    Filters,
    error_body,
    format_timestamp,
    media_type_ok,
    parse_filters,
)
from bersama.federation.receive import receive_objects
from bersama.federation.signing import NodeKey, load_or_create_node_key
from bersama.markings import Reader, Role
from bersama.store import audit
from bersama.store import taxii as q
from bersama.store.tables.federation import taxii_status

log = logging.getLogger("bersama.taxii")


class TaxiiJSON(JSONResponse):
    """What the OpenAPI description says every TAXII endpoint answers; the handlers
    build their `Response`s themselves (`_taxii_response`)."""

    media_type = TAXII_21


class ErrorMessage(BaseModel):
    """The TAXII 2.1 error message resource (`error_body`)."""

    title: str
    description: str | None = None
    http_status: str | None = None
    details: dict[str, Any] | None = None


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses`: these statuses, each an `ErrorMessage` in the TAXII media type."""
    return {s: {"model": ErrorMessage, "description": REASONS[s]} for s in statuses}


AUTH = errors(401, 404, 429)
"""Every endpoint but discovery: no or a refused token, or a collection not visible."""
router = APIRouter(tags=["taxii"], default_response_class=TaxiiJSON, responses=errors(406))
DISCOVERY = "/taxii2/"
API_ROOT = "/taxii2/api/"
OBJECT_FILTERS = frozenset({"added_after", "match[id]", "match[type]", "match[version]",
                            "match[spec_version]", "limit", "next"})
SINGLE_FILTERS = frozenset({"added_after", "match[version]", "match[spec_version]",
                            "limit", "next"})
VERSION_FILTERS = frozenset({"added_after", "match[spec_version]", "limit", "next"})


class TaxiiError(Exception):
    def __init__(self, status: int, title: str, description: str | None = None,
                 details: dict[str, Any] | None = None) -> None:
        super().__init__(title)
        self.status, self.title, self.description, self.details = (
            status, title, description, details)


def _taxii_response(body: Any, status: int = 200, headers: dict[str, str] | None = None
                    ) -> Response:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    return Response(raw, status_code=status, media_type=TAXII_21, headers=headers)


def _error(status: int, title: str, description: str | None = None,
           details: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
           ) -> Response:
    headers = dict(headers or {})
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="bersama", Basic realm="bersama"'
    return _taxii_response(error_body(title, status, description, details), status, headers)


def routing_error(status: int, title: str, detail: str, headers: dict[str, str]) -> Response:
    """The app's routing errors under /taxii2/ (an unknown path 404, a method the path
    does not serve 405 with its `Allow`), as TAXII errors (`problems.install`)."""
    return _error(status, title, detail, headers=headers)


def _map(exc: BersamaError) -> Response:
    """The app's one table of statuses (`bersama.api.problems`), except that TAXII 2.1
    answers a request it cannot accept with 400 rather than 422."""
    details = {k: v for k, v in exc.as_dict().items() if k in ("field", "value", "line")}
    status = status_of(exc)
    if status == 422:
        status = 400
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TryLater) else None
    return _error(status, exc.title, exc.detail, details or None, headers)


def _handle(request: Request, fn: Callable[[], Response], *, body: bool = False) -> Response:
    """Content negotiation and error mapping shared by every endpoint."""
    if not media_type_ok(request.headers.get("accept")):
        return _error(406, "Not Acceptable",
                      f"this endpoint serves {TAXII_21}; the Accept header excludes it")
    if body and not media_type_ok(request.headers.get("content-type"), for_request_body=True):
        return _error(415, "Unsupported Media Type", f"send the request body as {TAXII_21}")
    try:
        return fn()
    except TaxiiError as exc:
        return _error(exc.status, exc.title, exc.description, exc.details)
    except BersamaError as exc:
        return _map(exc)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def node_key(request: Request) -> NodeKey:
    state = request.app.state
    key: NodeKey | None = getattr(state, "node_key", None)
    if key is None:
        key = load_or_create_node_key(_settings(request).data_dir)
        state.node_key = key
    return key


def _reader(request: Request) -> Reader:
    # Imported here: the trust layer's module imports the app's dependencies, which
    # import this router; a top-level import would be circular.
    from bersama.api.security import current_reader

    reader: Reader = current_reader(request)
    if reader.agency is None and not reader.is_system:
        raise Unauthenticated("TAXII needs a bearer token or HTTP Basic credentials")
    return reader


def _params(request: Request) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in request.query_params.multi_items():
        out.setdefault(k, []).append(v)
    return out


def _scope(reader: Reader, collection_id: str) -> colls.Scope:
    scope = colls.find_scope(reader, collection_id)
    if scope is None:
        raise TaxiiError(404, "Collection not found",
                         f"no collection {collection_id!r} is visible to your agency")
    return scope


def _date_headers(rows: list[q.Row]) -> dict[str, str]:
    if not rows:
        return {}
    return {"X-TAXII-Date-Added-First": format_timestamp(rows[0].date_added),
            "X-TAXII-Date-Added-Last": format_timestamp(rows[-1].date_added)}


# ------------------------------------------------------------------ endpoints


@router.get(DISCOVERY, summary="TAXII discovery")
def discovery(request: Request) -> Response:
    def run() -> Response:
        settings = _settings(request)
        return _taxii_response({
            "title": f"Bersama node {settings.node_name}",
            "description": "Bersama cybercrime-intelligence exchange (TAXII 2.1).",
            "default": API_ROOT,
            "api_roots": [API_ROOT],
            PUBLIC_KEY: node_key(request).kid,
        })
    return _handle(request, run)


@router.get(API_ROOT, summary="TAXII API root", responses=errors(401, 429))
def api_root(request: Request) -> Response:
    def run() -> Response:
        _reader(request)
        settings = _settings(request)
        return _taxii_response(colls.api_root_resource(
            f"Bersama node {settings.node_name}", settings.max_body_bytes))
    return _handle(request, run)


@router.get(API_ROOT + "collections/", summary="TAXII collections", responses=errors(401, 429))
def get_collections(request: Request) -> Response:
    def run() -> Response:
        reader = _reader(request)
        return _taxii_response(
            {"collections": [s.resource() for s in colls.scopes_for(reader)]})
    return _handle(request, run)


@router.get(API_ROOT + "collections/{collection_id}/", summary="TAXII collection",
            responses=AUTH)
def get_collection(request: Request, collection_id: str) -> Response:
    def run() -> Response:
        return _taxii_response(_scope(_reader(request), collection_id).resource())
    return _handle(request, run)


def _page(request: Request, collection_id: str, allowed: frozenset[str], *,
          with_body: bool, object_id: str | None = None, default_version: str | None = "last",
          ) -> tuple[Reader, list[q.Row], q.PageRows]:
    reader = _reader(request)
    scope = _scope(reader, collection_id)
    filters: Filters = parse_filters(_params(request), allowed=allowed,
                                     default_version=default_version)
    with _engine(request).connect() as conn:
        result = q.page(conn, reader, scope, filters, with_body=with_body, object_id=object_id)
        if object_id and not result.rows and not filters.next and not q.exists_visible(
                conn, reader, scope, object_id):
            raise TaxiiError(404, "Object not found",
                             f"no object {object_id!r} is visible in this collection")
        sensitive = [] if reader.is_system else q.sensitive_reports(conn, result.rows)
    if sensitive:  # reads of AMBER and above are audited, as on the REST API
        with _engine(request).begin() as conn:
            audit.record(conn, reader=reader, action="taxii.read",
                         target=f"collection:{scope.alias}",
                         address=request.client.host if request.client else None,
                         detail={"reports": sensitive[:1000], "count": len(sensitive)})
    return reader, result.rows, result


def _objects_response(request: Request, rows: list[q.Row], result: q.PageRows) -> Response:
    raw = signed_envelope(node_key(request), rows, more=result.more,
                          next_token=result.next.encode() if result.next else None)
    return _taxii_response(raw, headers=_date_headers(rows))


@router.get(API_ROOT + "collections/{collection_id}/objects/", summary="TAXII get objects",
            responses={**AUTH, **errors(400)})
def get_objects(request: Request, collection_id: str) -> Response:
    def run() -> Response:
        _, rows, result = _page(request, collection_id, OBJECT_FILTERS, with_body=True)
        return _objects_response(request, rows, result)
    return _handle(request, run)


@router.get(API_ROOT + "collections/{collection_id}/objects/{object_id}/",
            summary="TAXII get an object", responses={**AUTH, **errors(400)})
def get_object(request: Request, collection_id: str, object_id: str) -> Response:
    def run() -> Response:
        _, rows, result = _page(request, collection_id, SINGLE_FILTERS, with_body=True,
                                object_id=object_id)
        return _objects_response(request, rows, result)
    return _handle(request, run)


@router.get(API_ROOT + "collections/{collection_id}/objects/{object_id}/versions/",
            summary="TAXII get object versions", responses={**AUTH, **errors(400)})
def get_versions(request: Request, collection_id: str, object_id: str) -> Response:
    def run() -> Response:
        _, rows, result = _page(request, collection_id, VERSION_FILTERS, with_body=False,
                                object_id=object_id, default_version=None)
        body: dict[str, Any] = {"more": result.more}
        if result.next:
            body["next"] = result.next.encode()
        if rows:
            body["versions"] = [r.modified for r in rows]
        return _taxii_response(body, headers=_date_headers(rows))
    return _handle(request, run)


@router.get(API_ROOT + "collections/{collection_id}/manifest/", summary="TAXII manifest",
            responses={**AUTH, **errors(400)})
def get_manifest(request: Request, collection_id: str) -> Response:
    def run() -> Response:
        _, rows, result = _page(request, collection_id, OBJECT_FILTERS, with_body=False)
        body: dict[str, Any] = {"more": result.more}
        if result.next:
            body["next"] = result.next.encode()
        if rows:
            body["objects"] = [{
                "id": r.object_id, "date_added": format_timestamp(r.date_added),
                "version": r.modified or format_timestamp(r.date_added),
                "media_type": "application/stix+json;version=" + r.spec_version,
            } for r in rows]
        return _taxii_response(body, headers=_date_headers(rows))
    return _handle(request, run)


NO_DELETE = "Deleting is not offered"
WITHDRAW = "withdraw a report by publishing a new version with revoked: true"


@router.delete(API_ROOT + "collections/{collection_id}/objects/{object_id}/",
               summary="TAXII delete an object (not offered)",
               # TAXII 2.1 (5.7) answers a deletion 200; this node never deletes, so what it
               # answers a caller who may see the collection is 403, and the 200 is not said.
               status_code=403, responses={**AUTH, 403: {
                   "model": ErrorMessage, "description": f"{NO_DELETE}: {WITHDRAW}"}})
def delete_object(request: Request, collection_id: str, object_id: str) -> Response:
    def run() -> Response:
        _scope(_reader(request), collection_id)
        raise TaxiiError(403, NO_DELETE, WITHDRAW)
    return _handle(request, run)


@router.post(API_ROOT + "collections/{collection_id}/objects/", summary="TAXII add objects",
             status_code=202, responses={**AUTH, **errors(400, 403, 413, 415, 503)},
             openapi_extra={"requestBody": {"required": True, "content": {TAXII_21: {"schema": {
                 "type": "object", "required": ["objects"],
                 "properties": {"objects": {"type": "array", "items": {"type": "object"}}},
             }}}}})
async def add_objects(request: Request, collection_id: str) -> Response:
    settings = _settings(request)
    if not media_type_ok(request.headers.get("content-type"), for_request_body=True):
        return _handle(request, Response, body=True)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > settings.max_body_bytes:
            return _error(413, "Payload too large",
                          f"the API root accepts at most {settings.max_body_bytes} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    return await run_in_threadpool(_handle, request, lambda: _add(request, collection_id, raw),
                                   body=True)


def _add(request: Request, collection_id: str, raw: bytes) -> Response:
    reader = _reader(request)
    scope = _scope(reader, collection_id)
    if not scope.can_write:
        raise TaxiiError(403, "Collection is read-only",
                         f"add objects to the '{colls.SHARED.alias}' collection")
    if not reader.is_peer and reader.role not in (Role.ADMIN, Role.ANALYST):
        raise Forbidden("only analysts, admins and peer nodes may add objects")
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"request body is not JSON: {exc}", field="body") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("objects"), list):
        raise InvalidInput("request body must be a TAXII envelope with an 'objects' list",
                           field="objects")
    now = datetime.now(UTC)
    with _engine(request).begin() as conn:
        status = receive_objects(conn, _settings(request), reader, doc, now=now)
        status_id = str(uuid.uuid4())
        body = {"id": status_id, "request_timestamp": format_timestamp(now), **status}
        conn.execute(insert(taxii_status).values(
            id=status_id, agency=reader.agency or "", request_timestamp=now,
            body=orjson.dumps(body).decode()))
    return _taxii_response(body, status=202)


@router.get(API_ROOT + "status/{status_id}/", summary="TAXII status", responses=AUTH)
def get_status(request: Request, status_id: str) -> Response:
    def run() -> Response:
        reader = _reader(request)
        with _engine(request).connect() as conn:
            row = _status_row(conn, status_id)
        if row is None or (row.agency != reader.agency and not reader.is_system):
            raise TaxiiError(404, "Status not found", f"no status {status_id!r} for you")
        return _taxii_response(row.body.encode())
    return _handle(request, run)


def _status_row(conn: Connection, status_id: str) -> Any:
    return conn.execute(select(taxii_status).where(taxii_status.c.id == status_id)).first()
