"""Authentication, rate limits, body-size limit, security headers and CORS.

Why here and not in each router: every request passes through the same
`current_reader` (Bearer token, or HTTP Basic with the token id as user name
and the token as password, for TAXII clients that only speak Basic), or its
form on a handler's own connection, `authenticate_request`, and the same
middleware, so no endpoint can forget them.  Rate limits are in-process token
buckets: a node is one process per host, and a limit that resets on restart is
still a limit against enumeration.  Nothing here logs a token,
password or Authorization header; log lines name the token by its public id.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy import Connection, Engine

from bersama.api.problems import RoutingError
from bersama.config import Settings
from bersama.errors import Forbidden, RateLimited, Unauthenticated
from bersama.markings import Reader, Role
from bersama.store import audit
from bersama.store.apitokens import Authenticated, authenticate, token_id_of

log = logging.getLogger("bersama.api.security")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CHECK_PATHS = ("/api/v1/check",)
"""Paths whose use is charged to the per-token check rate limit."""


# ---------------------------------------------------------------- rate limits


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """Token buckets per key: `rate_per_minute` sustained, the same as burst."""

    MAX_KEYS = 100_000

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def hit(self, key: str, rate_per_minute: int, cost: int = 1) -> None:
        """Charge `cost` to `key`; raise `RateLimited` (with Retry-After) when empty."""
        if rate_per_minute <= 0:
            return
        now = self._clock()
        per_second = rate_per_minute / 60.0
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.MAX_KEYS:
                self._prune(now, per_second, rate_per_minute)
            bucket = self._buckets[key] = _Bucket(float(rate_per_minute), now)
        bucket.tokens = min(float(rate_per_minute), bucket.tokens + (now - bucket.at) * per_second)
        bucket.at = now
        if bucket.tokens < cost:
            wait = max(1, int((cost - bucket.tokens) / per_second) + 1)
            raise RateLimited(
                f"rate limit of {rate_per_minute} per minute exceeded; retry in {wait} s",
                retry_after=wait,
            )
        bucket.tokens -= cost

    def _prune(self, now: float, per_second: float, capacity: int) -> None:
        """Forget buckets that have refilled (they would behave as new ones anyway)."""
        full = [k for k, b in self._buckets.items()
                if b.tokens + (now - b.at) * per_second >= capacity]
        for k in full:
            del self._buckets[k]
        if len(self._buckets) >= self.MAX_KEYS:  # all busy: drop the oldest half
            for k in sorted(self._buckets, key=lambda k: self._buckets[k].at)[: self.MAX_KEYS // 2]:
                del self._buckets[k]


def limiter_of(request: Request) -> RateLimiter:
    limiter = getattr(request.app.state, "rate_limiter", None)
    if limiter is None:
        limiter = request.app.state.rate_limiter = RateLimiter()
    return limiter


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def charge_checks(request: Request, count: int) -> None:
    """Charge a bulk check's extra values to the caller's check rate limit.

    `current_reader` charges one unit per check request; a bulk check of N
    values should call this with N - 1 so enumeration costs the same in bulk.
    """
    token_id = getattr(request.state, "token_id", None)
    if token_id and count > 0:
        settings: Settings = request.app.state.settings
        limiter_of(request).hit(f"check:{token_id}", settings.check_rate_per_minute, count)


# ---------------------------------------------------------------- authentication


def request_time(request: Request) -> datetime:
    """Now, from the app's clock when a test installed one."""
    clock = getattr(request.app.state, "clock", None)
    return clock() if clock is not None else datetime.now(UTC)


def presented_token(request: Request) -> str | None:
    """The token in the Authorization header (Bearer, or Basic id:token), or None."""
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return value
    if scheme.lower() == "basic" and value:
        try:
            user, _, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthenticated("malformed Basic credentials") from None
        if token_id_of(password) != user:
            raise Unauthenticated("Basic user name must be the token id, password the token")
        return password
    raise Unauthenticated("unsupported Authorization scheme; use Bearer or Basic")


def require_agency_analyst(reader: Reader, may: str, field: str | None = None) -> str:
    """The reader's agency, or `Forbidden` unless an analyst or admin of an agency (not a
    peer): who may write reports and decide or queue them for review."""
    if reader.agency is None or reader.is_peer or reader.role not in (Role.ADMIN, Role.ANALYST):
        raise Forbidden(f"only analysts and admins of an agency may {may}", field=field)
    return reader.agency


_NEEDS_CREDENTIALS = "this endpoint needs an API token (Authorization: Bearer ...)"


async def credentials_presented(request: Request) -> None:
    """401 before parameter validation when no credentials came at all.

    For handlers that call `authenticate_request` inside their own thread-pool hop
    instead of taking the reader as a dependency (a second hop costs more than the
    check); being an async dependency it runs on the event loop and never touches
    the database.
    """
    if presented_token(request) is None:
        raise Unauthenticated(_NEEDS_CREDENTIALS)


def current_reader(request: Request) -> Reader:
    """The authenticated reader of this request, or `Unauthenticated` (401).

    Records token use in the audit log (first use per token per minute), and
    charges check endpoints to the token's check rate limit.
    """
    cached = getattr(request.state, "reader", None)
    if isinstance(cached, Reader):
        return cached
    engine: Engine = request.app.state.engine
    with engine.connect() as conn:
        return authenticate_request(request, conn).reader


def authenticate_request(request: Request, conn: Connection) -> Authenticated:
    """`current_reader` on the caller's connection, which the handler goes on using
    (one connection per request, not two).  Call it before anything else on `conn`:
    what authentication writes (the token's use, or its refusal) is committed here,
    so it stands whatever the handler does next.  The `Authenticated` also carries
    the country of the reader's agency, read with the token.
    """
    token = presented_token(request)
    if token is None:
        raise Unauthenticated(_NEEDS_CREDENTIALS)
    settings: Settings = request.app.state.settings
    now = request_time(request)
    try:
        auth = authenticate(conn, token, now)
    except Unauthenticated:
        _record_refusal(request, conn, settings, token, now)
        raise
    if auth.touched:
        audit.record(
            conn, reader=auth.reader, action="token.use", target=f"token:{auth.token_id}",
            address=client_address(request), detail={"path": request.url.path}, now=now,
        )
        conn.commit()
    request.state.reader = auth.reader
    request.state.token_id = auth.token_id
    if request.scope["path"].startswith(CHECK_PATHS):  # `request.url` would be built for this
        limiter_of(request).hit(f"check:{auth.token_id}", settings.check_rate_per_minute)
    return auth


def _record_refusal(
    request: Request, conn: Connection, settings: Settings, token: str, now: datetime
) -> None:
    """Audit a refused token (its id only, never the secret), then charge the address:
    past `auth_failures_per_minute` an address is answered 429 and audited no more, so
    a flood of bad tokens can neither guess nor fill the audit log."""
    address = client_address(request)
    limiter_of(request).hit(f"auth-failure:{address}", settings.auth_failures_per_minute)
    audit.record(
        conn, reader=Reader.public(), action="token.refused",
        target=f"token:{token_id_of(token) or 'malformed'}", address=address,
        detail={"path": request.url.path}, now=now,
    )
    conn.commit()


# ---------------------------------------------------------------- middleware

_STRICT_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# FastAPI's /docs and /redoc pages are inline HTML that load their bundles from a CDN.
_DOCS_CSP = (
    "default-src 'self'; img-src 'self' data: https://fastapi.tiangolo.com; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
_DOCS_PATHS = ("/docs", "/redoc")


class SecurityHeadersMiddleware:
    """Adds CSP, nosniff, no-referrer and frame denial to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        csp = _DOCS_CSP if path.startswith(_DOCS_PATHS) else _STRICT_CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                for name, value in (
                    (b"content-security-policy", csp.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                ):
                    if name not in present:
                        headers.append((name, value))
                if path.startswith("/api/") and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodySizeLimitMiddleware:
    """Refuses bodies over `max_bytes`: at once by Content-Length, else while streaming.

    The refusal is problem+json, except under a path prefix of `routing_errors`
    (TAXII's), which answers in its own error format as it does the routing's errors."""

    def __init__(self, app: ASGIApp, max_bytes: int,
                 routing_errors: Mapping[str, RoutingError] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.routing_errors = dict(routing_errors or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name.lower() == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_bytes:
                    await self._refuse(scope, receive, send)
                    return
        seen = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            # Past the limit the app is told the client went away (the only signal every
            # body reader honours); its answer is dropped and replaced by our 413 below.
            nonlocal seen, exceeded
            if exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    exceeded = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = f"request body exceeds {self.max_bytes} bytes"
        for prefix, answer in self.routing_errors.items():
            if scope["path"].startswith(prefix):
                response = answer(413, "Payload Too Large", detail, {"Connection": "close"})
                await response(scope, receive, send)
                return
        body = json.dumps({
            "type": "about:blank", "title": "Payload too large", "status": 413,
            "detail": detail, "code": "payload-too-large",
            "field": "body",
        }).encode()
        await send({
            "type": "http.response.start", "status": 413,
            "headers": [(b"content-type", b"application/problem+json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"connection", b"close")],
        })
        await send({"type": "http.response.body", "body": body})


def install(app: FastAPI, settings: Settings, *, clock: Callable[[], float] | None = None,
            routing_errors: Mapping[str, RoutingError] | None = None) -> None:
    """Add the security middleware and the rate limiter to an app (call once, in create_app);
    `routing_errors` as for `problems.install`.

    CORS stays off (no CORS headers at all, so browsers refuse cross-origin
    reads) unless `Settings.cors_origins` names origins.
    """
    app.state.rate_limiter = RateLimiter(clock or time.monotonic)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes,
                       routing_errors=routing_errors)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
            allow_credentials=False,
        )
    app.add_middleware(SecurityHeadersMiddleware)
