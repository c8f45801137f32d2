"""TAXII 2.1 protocol values, shared by our server and our client (pure).

Media types, timestamps, query filters, the opaque `next` token and the
envelope with its signatures live here so that the server that writes them
and the client that reads them cannot disagree.  Names in quotes are
section titles of TAXII 2.1 (OASIS Standard).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import orjson

from bersama.errors import InvalidInput

TAXII_MEDIA = "application/taxii+json"
TAXII_21 = "application/taxii+json;version=2.1"
STIX_21 = "application/stix+json;version=2.1"
SIGNATURES = "x_bersama_signatures"
"""Envelope property: ``{"<id>@<version>": "<detached JWS>"}`` (docs/adr/0005)."""
PUBLIC_KEY = "x_bersama_public_key"
"""Discovery property: the node's Ed25519 public key (``ed25519:<base64url>``)."""
MAX_LIMIT = 1000
DEFAULT_LIMIT = 1000


def format_timestamp(value: datetime) -> str:
    """TAXII timestamps: UTC, microsecond precision, ``Z``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(value: str, *, field: str = "added_after") -> datetime:
    text = value.strip()
    if not text.endswith(("Z", "z")):
        raise InvalidInput(
            f"{field} must be an RFC 3339 UTC timestamp ending in Z", field=field, value=value
        )
    try:
        parsed = datetime.fromisoformat(text[:-1] + "+00:00")
    except ValueError:
        raise InvalidInput(f"{field} is not a timestamp", field=field, value=value) from None
    return parsed.astimezone(UTC)


def media_type_ok(header: str | None, *, for_request_body: bool = False) -> bool:
    """Content negotiation (TAXII 2.1 "Media Types"): is a TAXII 2.1 representation acceptable?

    For Accept, ``*/*`` and ``application/*`` count (an absent header too); for a
    request body's Content-Type only the TAXII media type itself, with version 2.1
    or no version.
    """
    if not header:
        return not for_request_body
    for item in header.split(","):
        parts = [p.strip().lower() for p in item.split(";")]
        mtype, params = parts[0], parts[1:]
        version = next((p.split("=", 1)[1].strip() for p in params if p.startswith("version=")),
                       None)
        qzero = any(p.replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000") for p in params)
        if qzero:
            continue
        if mtype == TAXII_MEDIA and version in (None, "2.1"):
            return True
        if not for_request_body and mtype in ("*/*", "application/*"):
            return True
    return False


VersionSel = Literal["last", "first", "all"]


@dataclass(frozen=True)
class Filters:
    """The query filters of TAXII 2.1 "Query Parameters", validated."""

    added_after: datetime | None = None
    limit: int = DEFAULT_LIMIT
    next: str | None = None
    ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    versions: tuple[str, ...] = ("last",)
    """Any of "last", "first", "all" and exact STIX timestamps."""
    spec_versions: tuple[str, ...] = ()

    @property
    def all_versions(self) -> bool:
        return "all" in self.versions

    @property
    def version_timestamps(self) -> tuple[str, ...]:
        return tuple(v for v in self.versions if v not in ("last", "first", "all"))


def _split(values: Sequence[str]) -> tuple[str, ...]:
    out: list[str] = []
    for v in values:
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return tuple(dict.fromkeys(out))


def parse_filters(
    params: Mapping[str, Sequence[str]],
    *,
    allowed: frozenset[str],
    default_version: str | None = "last",
    max_limit: int = MAX_LIMIT,
) -> Filters:
    """Validate query parameters; unknown ``match[...]`` filters are a 400."""
    for key in params:
        if key.startswith("match[") and key not in allowed:
            raise InvalidInput(f"unsupported filter {key}", field=key)
    added_after = None
    if "added_after" in allowed and params.get("added_after"):
        added_after = parse_timestamp(params["added_after"][-1])
    limit = max_limit
    if params.get("limit"):
        raw = params["limit"][-1]
        try:
            limit = int(raw)
        except ValueError:
            raise InvalidInput("limit must be a positive integer", field="limit",
                               value=raw) from None
        if limit < 1:
            raise InvalidInput("limit must be a positive integer", field="limit", value=raw)
        limit = min(limit, max_limit)  # a server may return fewer than asked (Pagination)
    next_token = params["next"][-1] if params.get("next") else None
    versions = _split(params.get("match[version]", ()))
    for v in versions:
        if v not in ("last", "first", "all"):
            parse_timestamp(v, field="match[version]")
    if not versions:
        versions = (default_version,) if default_version else ("all",)
    spec = _split(params.get("match[spec_version]", ()))
    for s in spec:
        if s not in ("2.0", "2.1"):
            raise InvalidInput("match[spec_version] must be 2.0 or 2.1",
                               field="match[spec_version]", value=s)
    return Filters(
        added_after=added_after,
        limit=limit,
        next=next_token,
        ids=_split(params.get("match[id]", ())),
        types=_split(params.get("match[type]", ())),
        versions=versions,
        spec_versions=spec,
    )


@dataclass(frozen=True)
class Cursor:
    """Position after the last row served: (date_added, seq).  Opaque to clients."""

    date_added: datetime
    seq: int

    def encode(self) -> str:
        raw = f"{format_timestamp(self.date_added)}|{self.seq}".encode("ascii")
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
            stamp, seq = raw.split("|")
            return cls(parse_timestamp(stamp, field="next"), int(seq))
        except (ValueError, binascii.Error, UnicodeDecodeError, InvalidInput):
            raise InvalidInput("next is not a token this server issued", field="next",
                               value=token) from None


def object_version(obj: Mapping[str, Any]) -> str:
    """The TAXII version of an object (TAXII 2.1 "Versioning"): modified, else created, else ""."""
    v = obj.get("modified") or obj.get("created") or ""
    return v if isinstance(v, str) else ""


def signature_key(object_id: str, version: str) -> str:
    return f"{object_id}@{version}"


@dataclass
class Page:
    """One page as the server builds it and the client reads it."""

    objects: list[dict[str, Any]] = field(default_factory=list)
    signatures: dict[str, str] = field(default_factory=dict)
    more: bool = False
    next: str | None = None
    first_added: str | None = None
    last_added: str | None = None


def envelope_bytes(
    bodies: Sequence[bytes], signatures: Mapping[str, str], *, more: bool, next_token: str | None
) -> bytes:
    """Serialise an envelope (TAXII 2.1 "Envelope") from stored JSON bodies, unparsed."""
    head: dict[str, Any] = {"more": more}
    if next_token:
        head["next"] = next_token
    if signatures:
        head[SIGNATURES] = dict(signatures)
    prefix = orjson.dumps(head)[:-1]
    if not bodies:
        return prefix + b"}"
    return prefix + b',"objects":[' + b",".join(bodies) + b"]}"


def error_body(title: str, status: int, description: str | None = None,
               details: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A TAXII error message (TAXII 2.1 "Error Message" resource)."""
    out: dict[str, Any] = {"title": title, "http_status": str(status)}
    if description:
        out["description"] = description
    if details:
        out["details"] = dict(details)
    return out
