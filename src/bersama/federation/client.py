"""A TAXII 2.1 client for peer sync, built to survive peers that misbehave.

Why our own client rather than taxii2-client: sync needs hard bounds that a
general client does not give (a total deadline per request, a cap on response
bytes read off the wire, a cap on pages), an injectable transport so every
failure mode is unit-tested with `httpx.MockTransport`, retries with
exponential backoff on transient failures only, and pagination that follows
TAXII 2.1 exactly: `next` while the server gives one; when `more` is true and
`next` is absent, `added_after` = the X-TAXII-Date-Added-Last header; and a
page that repeats any earlier page of the walk, a fallback cursor that does not
advance, or more than `max_pages` pages stop the walk instead of looping
forever.  "Get an Object" answers None for a 404: for a sync asking a peer for an
object a report misses, "not there for you" is an answer, not a failure.
taxii2-client is used in the interoperability tests, from the other side.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx
import orjson

from bersama.errors import PeerError
from bersama.federation.protocol import (
    PUBLIC_KEY,
    SIGNATURES,
    TAXII_21,
    Page,
    format_timestamp,
    object_version,
    parse_timestamp,
)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class ClientLimits:
    page_limit: int = 1000
    """`limit` asked of the peer; a peer may return fewer but never more."""
    max_response_bytes: int = 64 * 1024 * 1024
    timeout_seconds: float = 30.0
    """Total time allowed for one request, body included."""
    max_pages: int = 100_000
    retries: int = 4
    backoff_base_seconds: float = 0.5
    backoff_max_seconds: float = 30.0


@dataclass(frozen=True)
class ApiRoot:
    url: str
    """The API root URL, ending in '/'."""
    public_key: str | None
    """The key the peer publishes in its discovery document, if we saw one."""


def _slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


class TaxiiClient:
    """Synchronous client for one peer (sync runs in a worker thread)."""

    def __init__(
        self,
        token: str | None,
        *,
        limits: ClientLimits | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = limits or ClientLimits()
        headers = {"Accept": TAXII_21}
        auth: httpx.BasicAuth | None = None
        if token and ":" in token:  # "user:password": HTTP Basic (our own tokens have no ':')
            user, _, password = token.partition(":")
            auth = httpx.BasicAuth(user, password)
        elif token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(
            headers=headers,
            auth=auth,
            timeout=httpx.Timeout(self.limits.timeout_seconds),
            transport=transport,
            follow_redirects=False,
        )
        self._sleep = sleep
        self._clock = clock

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> TaxiiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport -----------------------------------------------------------------

    def _read_bounded(self, response: httpx.Response, deadline: float, url: str) -> bytes:
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.limits.max_response_bytes:
            raise PeerError(
                f"peer response of {declared} bytes exceeds the limit of "
                f"{self.limits.max_response_bytes}", value=url)
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.limits.max_response_bytes:
                raise PeerError(
                    f"peer response exceeds the limit of {self.limits.max_response_bytes} bytes",
                    value=url)
            if self._clock() > deadline:
                raise PeerError(
                    f"peer response took longer than {self.limits.timeout_seconds}s", value=url)
            chunks.append(chunk)
        return b"".join(chunks)

    def _send(
        self, method: str, url: str, *, params: Mapping[str, str] | None = None,
        body: bytes | None = None,
    ) -> tuple[int, httpx.Headers, bytes]:
        """One request with retries; returns (status, headers, body read within bounds)."""
        attempt = 0
        while True:
            deadline = self._clock() + self.limits.timeout_seconds
            try:
                headers = {"Content-Type": TAXII_21} if body is not None else None
                with self._http.stream(method, url, params=params, content=body,
                                       headers=headers) as response:
                    if response.status_code in RETRY_STATUSES:
                        raise _Retryable(f"peer answered HTTP {response.status_code}")
                    raw = self._read_bounded(response, deadline, url)
                    return response.status_code, response.headers, raw
            except (httpx.TransportError, _Retryable) as exc:
                attempt += 1
                if attempt > self.limits.retries:
                    raise PeerError(
                        f"peer unreachable after {attempt} attempts: {exc}", value=url) from None
                delay = min(self.limits.backoff_max_seconds,
                            self.limits.backoff_base_seconds * 2 ** (attempt - 1))
                self._sleep(delay)

    def _request(
        self, method: str, url: str, *, params: Mapping[str, str] | None = None,
        body: bytes | None = None,
    ) -> tuple[httpx.Headers, Any]:
        """One request with retries; returns (headers, parsed JSON)."""
        status, headers, raw = self._send(method, url, params=params, body=body)
        return headers, _json(status, raw, url)

    # -- discovery -----------------------------------------------------------------

    def resolve(self, url: str) -> ApiRoot:
        """Accept a discovery URL or an API root URL; return the API root."""
        _, doc = self._request("GET", _slash(url))
        if not isinstance(doc, dict):
            raise PeerError("peer discovery/API root answer is not a JSON object", value=url)
        if "api_roots" in doc:
            key = doc.get(PUBLIC_KEY) if isinstance(doc.get(PUBLIC_KEY), str) else None
            root = doc.get("default") or next(iter(doc.get("api_roots") or []), None)
            if not isinstance(root, str):
                raise PeerError("peer discovery document lists no API root", value=url)
            root_url = _slash(str(httpx.URL(_slash(url)).join(root)))
            _, api = self._request("GET", root_url)
            if not isinstance(api, dict) or "versions" not in api:
                raise PeerError("peer API root answer has no 'versions'", value=root_url)
            return ApiRoot(root_url, key)
        if "versions" in doc:
            return ApiRoot(_slash(url), None)
        raise PeerError("URL is neither a TAXII discovery document nor an API root", value=url)

    def collection(self, api_root: str, collection_id: str) -> dict[str, Any]:
        _, doc = self._request("GET", f"{_slash(api_root)}collections/{collection_id}/")
        if not isinstance(doc, dict) or not isinstance(doc.get("id"), str):
            raise PeerError("peer collection answer has no id", value=collection_id)
        return doc

    # -- objects -------------------------------------------------------------------

    def iter_pages(
        self, api_root: str, collection_id: str, *, added_after: datetime | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> Iterator[Page]:
        """Every page of a collection's objects after `added_after`, in order."""
        url = f"{_slash(api_root)}collections/{collection_id}/objects/"
        base: dict[str, str] = {"limit": str(self.limits.page_limit), **(extra or {})}
        if added_after is not None:
            base["added_after"] = format_timestamp(added_after)
        params = dict(base)
        seen_pages: set[bytes] = set()
        cursor = added_after
        for _ in range(self.limits.max_pages):
            headers, doc = self._request("GET", url, params=params)
            page = parse_envelope(doc, headers, url=url, limit=self.limits.page_limit)
            fingerprint = _fingerprint(page)
            if page.objects and fingerprint in seen_pages:
                raise PeerError("peer repeated a page it already sent; pagination stopped",
                                value=url)
            seen_pages.add(fingerprint)
            yield page
            if not page.more:
                return
            if page.next:
                # A repeated token is not itself a loop: medallion reuses one token per
                # query as a server-side cursor.  Repeated *pages* are (checked above).
                params = {**base, "next": page.next}
                continue
            # more=true without next: the added_after fallback.
            if not page.last_added:
                raise PeerError("peer said more=true without next or X-TAXII-Date-Added-Last",
                                value=url)
            last = parse_timestamp(page.last_added, field="X-TAXII-Date-Added-Last")
            if cursor is not None and last <= cursor:
                raise PeerError("peer's X-TAXII-Date-Added-Last does not advance; "
                                "pagination stopped", value=url)
            cursor = last
            params = {**base, "added_after": format_timestamp(last)}
        raise PeerError(f"peer returned more than {self.limits.max_pages} pages", value=url)

    def get_object(self, api_root: str, collection_id: str, object_id: str) -> Page | None:
        """TAXII 2.1 "Get an Object": the last version of one object, with its signature;
        None when the peer answers 404 (it does not have it, or does not share it with
        us).  Objects of other ids in the answer are left out."""
        oid = quote(object_id, safe="")
        url = f"{_slash(api_root)}collections/{collection_id}/objects/{oid}/"
        status, headers, raw = self._send("GET", url)
        if status == 404:
            return None
        page = parse_envelope(_json(status, raw, url), headers, url=url,
                              limit=self.limits.page_limit)
        page.objects = [o for o in page.objects if o["id"] == object_id]
        return page

    def add_objects(self, api_root: str, collection_id: str, envelope: bytes) -> dict[str, Any]:
        """POST an envelope (optional push); returns the status resource."""
        url = f"{_slash(api_root)}collections/{collection_id}/objects/"
        _, doc = self._request("POST", url, body=envelope)
        return _status_doc(doc, url)

    def status(self, api_root: str, status_id: str) -> dict[str, Any]:
        """GET a status resource (TAXII 2.1 "Get Status"), to poll a pending POST."""
        url = f"{_slash(api_root)}status/{status_id}/"
        _, doc = self._request("GET", url)
        return _status_doc(doc, url)


def _status_doc(doc: Any, url: str) -> dict[str, Any]:
    if not isinstance(doc, dict) or doc.get("status") not in ("pending", "complete"):
        raise PeerError("peer answered without a TAXII status resource", value=url)
    if doc["status"] == "pending" and not isinstance(doc.get("id"), str):
        raise PeerError("peer's pending status resource has no id to poll", value=url)
    return doc


class _Retryable(Exception):
    pass


def _json(status: int, raw: bytes, url: str) -> Any:
    if status >= 400:
        raise PeerError(f"peer answered HTTP {status}: {_snippet(raw)}", value=url)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise PeerError(f"peer answered non-JSON: {_snippet(raw)}", value=url) from None


def _snippet(raw: bytes) -> str:
    return raw[:200].decode("utf-8", "replace")


def _fingerprint(page: Page) -> bytes:
    h = hashlib.sha256()
    for obj in page.objects:
        h.update(f"{obj.get('id')}@{object_version(obj)}\n".encode())
    return h.digest()


def parse_envelope(doc: Any, headers: Mapping[str, str], *, url: str, limit: int) -> Page:
    """Validate a TAXII envelope; anything malformed is a PeerError, nothing partial."""
    if not isinstance(doc, dict):
        raise PeerError("peer envelope is not a JSON object", value=url)
    objects = doc.get("objects", [])
    more = doc.get("more", False)
    next_token = doc.get("next")
    sigs = doc.get(SIGNATURES, {})
    if not isinstance(objects, list) or not isinstance(more, bool):
        raise PeerError("peer envelope: 'objects' must be a list and 'more' a boolean", value=url)
    if next_token is not None and not (isinstance(next_token, str) and next_token):
        raise PeerError("peer envelope: 'next' must be a non-empty string", value=url)
    if not isinstance(sigs, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in sigs.items()
    ):
        raise PeerError(f"peer envelope: '{SIGNATURES}' must map strings to strings", value=url)
    if len(objects) > limit:
        raise PeerError(f"peer returned {len(objects)} objects for limit={limit}", value=url)
    for i, obj in enumerate(objects):
        if not (isinstance(obj, dict) and isinstance(obj.get("id"), str)
                and isinstance(obj.get("type"), str)):
            raise PeerError(f"peer envelope: objects[{i}] is not a STIX object with id and type",
                            value=url)
    return Page(
        objects=objects,
        signatures=sigs,
        more=more,
        next=next_token,
        first_added=headers.get("X-TAXII-Date-Added-First"),
        last_added=headers.get("X-TAXII-Date-Added-Last"),
    )
