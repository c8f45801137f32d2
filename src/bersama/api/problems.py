"""The one mapping from errors to RFC 9457 problem+json responses.

Errors raised anywhere carry no HTTP codes; this table is the only place that
knows them.  Request validation failures name the offending field, and an
unexpected exception becomes a bare 500 with no internals (and is logged),
so a client's mistake can never surface as a 500 by accident: every client
mistake the node knows of is a `BersamaError` subclass with a 4xx status.
The TAXII router answers its own errors in TAXII's format; the routing's
errors under its prefix (404, 405) are handed to it (`install`'s `routing_errors`).

The OpenAPI description says so too: routes list the statuses they answer
with `problems(...)`, every one as a `Problem` in application/problem+json,
and FastAPI's own 422 description (a JSON `HTTPValidationError` the node never
sends) is replaced by the problem the handler below does send.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from http.client import responses as REASONS
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from bersama.errors import (
    BersamaError,
    Busy,
    ConfigurationError,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    PeerError,
    RateLimited,
    TryLater,
    Unauthenticated,
    field_path,
)

log = logging.getLogger("bersama.api")

STATUS: list[tuple[type[BersamaError], int]] = [
    (PayloadTooLarge, 413),
    (InvalidInput, 422),
    (NotFound, 404),
    (Conflict, 409),
    (Unauthenticated, 401),
    (Forbidden, 403),
    (RateLimited, 429),
    (Busy, 503),
    (PeerError, 502),
    (ConfigurationError, 500),
]
MEDIA_TYPE = "application/problem+json"


def status_of(exc: BersamaError) -> int:
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status
    return 500


class Problem(BaseModel):
    """An RFC 9457 problem document: what every error of the REST API answers."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    code: str | None = None
    field: str | None = None
    line: int | None = None
    value: str | None = None
    errors: list[dict[str, Any]] | None = None


PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` of a route or router: these statuses, each a `Problem`."""
    return {s: {"description": REASONS[s], "content": {MEDIA_TYPE: {"schema": PROBLEM_REF}}}
            for s in statuses}


def describe(schema: dict[str, Any]) -> dict[str, Any]:
    """The app's OpenAPI document with `Problem` defined and FastAPI's default 422
    description (which names a JSON schema the node never sends) made a `Problem`.

    An operation that declares its errors in another media type (the TAXII routes)
    never fails FastAPI's validation, so the default 422 is dropped from it."""
    for item in schema.get("paths", {}).values():
        for op in item.values():
            responses = op.get("responses", {})
            default = responses.get("422", {}).get("content", {}).get("application/json", {})
            if default.get("schema", {}).get("$ref", "").endswith("/HTTPValidationError"):
                errors = {m for code, r in responses.items() if code[0] == "4" and code != "422"
                          for m in r.get("content", {})}
                if errors and MEDIA_TYPE not in errors:
                    del responses["422"]
                else:
                    responses["422"] = problems(422)[422]
    defs = schema.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        defs.pop(unused, None)
    defs["Problem"] = Problem.model_json_schema()
    return schema


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE)


LOCATIONS = ("body", "query", "path", "header", "cookie")
"""Where FastAPI locates what it validates: the first item of a validation error's `loc`."""


def _field_error(error: dict[str, Any]) -> dict[str, str]:
    """One validation error as the field it names and why.

    A body field is named by its path inside the body and a parameter by its name
    (`values[0]`, `top`), as the node's own checks name them (`field_path`): FastAPI's
    location (`("body", "values", 0)`, `("query", "top")`) is no part of the name.  A body
    that is missing, or is not JSON at all, is named `body`: FastAPI locates a JSON syntax
    error at `("body", <character offset>)`, and the offset is no field.
    """
    loc = tuple(error.get("loc", ()))
    reason = str(error.get("msg", ""))
    if error.get("type") == "json_invalid":
        at = loc[1] if len(loc) > 1 else 0
        cause = (error.get("ctx") or {}).get("error")
        return {"field": "body", "reason": f"{reason} at character {at}"
                + (f": {cause}" if cause else "")}
    if loc == ("body",):
        return {"field": "body", "reason": reason}
    where = loc[1:] if loc and loc[0] in LOCATIONS else loc
    return {"field": field_path(*where), "reason": reason}


def _unreadable_body(cause: BaseException) -> dict[str, str]:
    """Why FastAPI could not read a JSON body, its syntax errors aside (`_field_error`):
    it answers those 400 with a bare "error parsing the body", chained from the cause."""
    if isinstance(cause, UnicodeDecodeError):
        reason = f"not UTF-8 ({cause.reason} at byte {cause.start})"
    elif isinstance(cause, RecursionError):
        reason = "JSON nested too deeply"
    else:
        reason = "not readable as JSON"
    return {"field": "body", "reason": reason}


def _invalid(status: int, errors: list[dict[str, str]]) -> JSONResponse:
    """A request that cannot be accepted, naming each field it got wrong and why."""
    first = errors[0] if errors else {"field": "", "reason": "invalid request"}
    named = {"field": first["field"]} if first["field"] else {}
    return problem(status, "Invalid input", f"{first['field'] or 'request'}: {first['reason']}",
                   code="invalid-input", **named, errors=errors)


METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this request's path.

    Starlette's 405 names the methods of the first route whose path matched, but a
    path such as /api/v1/admin/agencies has one route per method; so each method is
    tried against every route, as the router would."""
    return [m for m in METHODS
            if any(route.matches({**request.scope, "method": m})[0] is Match.FULL
                   for route in request.app.router.routes)]


RoutingError = Callable[[int, str, str, dict[str, str]], Response]
"""How a part of the app that speaks another error format (TAXII) answers the
routing's own errors: status, title, detail and headers in, its response out."""


def install(app: FastAPI, routing_errors: Mapping[str, RoutingError] | None = None) -> None:
    """The handlers; `routing_errors` maps a path prefix to its own `RoutingError`."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = describe(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented override

    @app.exception_handler(BersamaError)
    async def _bersama(request: Request, exc: BersamaError) -> JSONResponse:
        status = status_of(exc)
        body = exc.as_dict()
        body.pop("title", None)
        body.pop("detail", None)
        resp = problem(status, exc.title, exc.detail, **body)
        if isinstance(exc, TryLater):
            resp.headers["Retry-After"] = str(exc.retry_after)
        if isinstance(exc, Unauthenticated):
            resp.headers["WWW-Authenticate"] = 'Bearer realm="bersama"'
        return resp

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _invalid(422, [_field_error(e) for e in exc.errors()])

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        # The routing's own errors (404 unknown path, 405 with the `Allow` header that
        # RFC 9110 requires, 400 unparseable body): their headers are part of the answer.
        title = REASONS.get(exc.status_code, str(exc.detail))
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
        path = request.scope["path"]
        for prefix, answer in (routing_errors or {}).items():
            if path.startswith(prefix):
                return answer(exc.status_code, title, str(exc.detail), headers)
        if exc.status_code == 400 and exc.__cause__ is not None:
            return _invalid(400, [_unreadable_body(exc.__cause__)])
        resp = problem(exc.status_code, title, str(exc.detail))
        resp.headers.update(headers)
        return resp

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem(500, "Internal error", "the node failed to answer; see its log")
