"""Both ends of a private check: the answering node's handler and `ask_peers`.

Answering (`answer_query`): authenticate (peer token -> reader, node signature
pinned per peer, timestamp, nonce), count the items in the client's message
and enforce the daily limits per peer and per agency *before* any work, then
process the request under the asking agency's current generation.  What is
recorded is the count, the peer and the time; the answering node never sees
an identifier in the clear, so it cannot log one.

Asking (`ask_peers`): normalise every value (invalid values are reported and
never sent), enforce this node's own daily limits, then ask each peer with one
signed POST per batch of `protocol.MAX_BATCH` values; one round trip carries
the request and, when the peer's generation changed, its setup segments,
which are cached per peer in memory.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import orjson
from sqlalchemy import Connection, Engine, select

from bersama.config import Settings
from bersama.errors import (
    BersamaError,
    Forbidden,
    InvalidInput,
    NotFound,
    PeerError,
    RateLimited,
)
from bersama.federation.signing import load_or_create_node_key, parse_public_key
from bersama.markings.model import Reader
from bersama.observables import guess
from bersama.psi import auth, protocol
from bersama.store import audit
from bersama.store import psi as store_psi
from bersama.store.identities import agency_country, validate_country
from bersama.store.tables.federation import peers

QUERY_PATH = "/api/v1/psi/query"


def _utcnow() -> datetime:
    return datetime.now(UTC)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: object, field_name: str) -> bytes:
    if not isinstance(text, str):
        raise InvalidInput(f"{field_name} must be a base64 string", field=field_name)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(f"{field_name} is not base64", field=field_name) from None


def _audit(conn: Connection, reader: Reader, *, action: str, target: str,
           detail: dict[str, Any], address: str | None = None) -> None:
    audit.record(conn, reader=reader, action=action, target=target, address=address,
                 detail=detail)


# ---------------------------------------------------------------- answering side


def authenticate_peer(
    engine: Engine, reader: Reader, headers: Mapping[str, str], path: str, body: bytes, *,
    now: datetime,
) -> dict[str, Any]:
    """The calling peer's row, once its token, node signature and nonce are checked."""
    if not reader.is_peer or reader.agency is None:
        raise Forbidden("private checks are answered to peer nodes only")
    with engine.begin() as conn:
        peer = conn.execute(select(peers).where(peers.c.agency == reader.agency)).mappings().first()
        if peer is None:
            raise Forbidden(f"no peer record for agency {reader.agency}")
        nonce = auth.verify(headers, "POST", path, body,
                            pinned=parse_public_key(peer["public_key"]), now=now)
        store_psi.check_nonce(conn, peer=peer["name"], nonce=nonce, now=now,
                              window=auth.WINDOW)
    return dict(peer)


def json_object(body: bytes) -> dict[str, Any]:
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise InvalidInput("body must be JSON", field="body") from None
    if not isinstance(doc, dict):
        raise InvalidInput("body must be a JSON object", field="body")
    return doc


def charge_answer(
    conn: Connection, settings: Settings, *, peer: str, agency: str, items: int, day: date
) -> None:
    """Count `items` against the answering side's daily limits, or refuse them all."""
    by_peer = store_psi.used_today(conn, day=day, side="in", peer=peer)
    by_agency = store_psi.used_today(conn, day=day, side="in", agency=agency)
    if by_peer + items > settings.ask_limit_per_peer_per_day:
        raise RateLimited(f"daily limit of {settings.ask_limit_per_peer_per_day} "
                          f"identifiers for peer {peer} reached", retry_after=3600)
    if by_agency + items > settings.ask_limit_per_agency_per_day:
        raise RateLimited(f"daily limit of {settings.ask_limit_per_agency_per_day} "
                          f"identifiers for agency {agency} reached", retry_after=3600)
    store_psi.add_usage(conn, day=day, side="in", peer=peer, agency=agency, items=items)


def answer_query(
    settings: Settings, engine: Engine, reader: Reader, headers: Mapping[str, str],
    body: bytes, *, address: str | None = None, now: Callable[[], datetime] = _utcnow,
) -> dict[str, Any]:
    peer = authenticate_peer(engine, reader, headers, QUERY_PATH, body, now=now())
    agency = str(reader.agency)
    doc = json_object(body)
    request = unb64(doc.get("request"), "request")
    n = protocol.request_size(request)
    with engine.begin() as conn:
        charge_answer(conn, settings, peer=str(peer["name"]), agency=agency, items=n,
                      day=now().date())
        _audit(conn, reader, action="psi.answer", target=f"peer:{peer['name']}",
               detail={"items": n}, address=address)
    gen = store_psi.current_generation(engine, reader, now, workers=settings.psi_workers)
    response = gen.server().process(request)
    out: dict[str, Any] = {"generation": gen.tag, "response": b64(response), "items": n}
    if doc.get("have_generation") != gen.tag:
        out["setups"] = [b64(s) for s in gen.segments]
    return out


# ---------------------------------------------------------------- asking side


@dataclass
class AskResult:
    value: str
    ref: str | None = None
    error: str | None = None
    held_by: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "ref": self.ref, "error": self.error,
                "held_by": self.held_by}


@dataclass
class AskReport:
    results: list[AskResult]
    peers_asked: list[str]
    peer_errors: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        return {"results": [r.as_dict() for r in self.results], "peers_asked": self.peers_asked,
                "peer_errors": self.peer_errors}


_SETUP_CACHE: dict[tuple[str, str], tuple[bytes, ...]] = {}
"""Setup segments per (peer, generation tag), so a generation is downloaded once."""


def normalise(values: Sequence[str], country: str | None) -> list[AskResult]:
    out = []
    for v in values:
        try:
            out.append(AskResult(value=v, ref=guess(v, country=country).ref))
        except BersamaError as exc:
            out.append(AskResult(value=v, error=exc.detail))
    return out


def node_base(url: str) -> str:
    """The peer node's base URL from what `peer add` stored (often its TAXII discovery URL)."""
    parts = urlsplit(url)
    prefix = parts.path.split("/taxii2", 1)[0].rstrip("/")
    return urlunsplit((parts.scheme, parts.netloc, prefix, "", ""))


def signed_post(
    client: httpx.Client, settings: Settings, peer: Mapping[str, Any], path: str,
    doc: dict[str, Any], *, now: Callable[[], datetime],
) -> dict[str, Any]:
    """POST `doc` to a peer's PSI endpoint, signed by this node; the peer's JSON answer."""
    key = load_or_create_node_key(settings.data_dir)
    body = orjson.dumps(doc)
    headers = auth.sign(key, "POST", path, body, now())
    headers["authorization"] = f"Bearer {peer['token']}"
    headers["content-type"] = "application/json"
    url = node_base(str(peer["url"])) + path
    try:
        resp = client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise PeerError(f"peer {peer['name']} unreachable: {exc!r}") from None
    if resp.status_code != 200:
        raise PeerError(f"peer {peer['name']} answered {resp.status_code}: {resp.text[:300]}")
    try:
        out = resp.json()
    except ValueError:
        raise PeerError(f"peer {peer['name']} answered with something not JSON") from None
    if not isinstance(out, dict):
        raise PeerError(f"peer {peer['name']} answered with a JSON value not an object")
    return out


def peer_client(settings: Settings, transport: httpx.BaseTransport | None) -> httpx.Client:
    """An HTTP client for PSI calls: set-up of a large answer set can take minutes."""
    return httpx.Client(transport=transport, timeout=settings.psi_timeout_seconds)


def _ask_one(client: httpx.Client, settings: Settings, peer: Mapping[str, Any],
             refs: list[str], now: Callable[[], datetime]) -> set[str]:
    found: set[str] = set()
    for chunk in protocol.batches(refs):
        batch = protocol.client_batch(chunk)
        cached = [g for (p, g) in _SETUP_CACHE if p == peer["name"]]
        doc = signed_post(client, settings, peer, QUERY_PATH, {
            "request": b64(batch.request), "have_generation": cached[-1] if cached else None,
        }, now=now)
        try:
            gen = str(doc["generation"])
            response = unb64(doc["response"], "response")
        except (KeyError, TypeError, ValueError):
            raise PeerError(f"peer {peer['name']} sent a malformed PSI answer") from None
        if "setups" in doc:
            if not isinstance(doc["setups"], list):
                raise PeerError(f"peer {peer['name']} sent malformed setups")
            for k in [k for k in _SETUP_CACHE if k[0] == peer["name"]]:
                del _SETUP_CACHE[k]
            _SETUP_CACHE[(peer["name"], gen)] = tuple(unb64(s, "setups") for s in doc["setups"])
        setups = _SETUP_CACHE.get((peer["name"], gen))
        if setups is None:
            raise PeerError(f"peer {peer['name']} sent no setup for generation {gen}")
        found.update(chunk[i] for i in batch.intersect(setups, response))
    return found


def _charge_ask(conn: Connection, settings: Settings, reader: Reader, *,
                peer_rows: list[dict[str, Any]], items: int, day: date) -> None:
    """This node's own daily limits on what its agencies ask, checked before sending."""
    agency = str(reader.agency)
    used = store_psi.used_today(conn, day=day, side="out", agency=agency)
    if used + items > settings.ask_limit_per_agency_per_day:
        raise RateLimited(f"daily limit of {settings.ask_limit_per_agency_per_day} "
                          f"identifiers asked by {agency} reached", retry_after=3600)
    for p in peer_rows:
        used_p = store_psi.used_today(conn, day=day, side="out", peer=p["name"])
        if used_p + items > settings.ask_limit_per_peer_per_day:
            raise RateLimited(f"daily limit of {settings.ask_limit_per_peer_per_day} "
                              f"identifiers asked of peer {p['name']} reached", retry_after=3600)
    for p in peer_rows:
        store_psi.add_usage(conn, day=day, side="out", peer=p["name"], agency=agency,
                            items=items)
    _audit(conn, reader, action="psi.ask", target="peers",
           detail={"items": items, "peers": [p["name"] for p in peer_rows]})


def asking_country(engine: Engine, reader: Reader, country: str | None) -> str | None:
    """The country whose national formats the asked values are read in: `country`,
    checked, else the asking agency's (issue 5: "in the asking agency's national formats")."""
    if country:
        return validate_country(country)
    with engine.connect() as conn:
        return agency_country(conn, reader.agency)


def ask_peers(
    settings: Settings, engine: Engine, values: list[str], *, asking_reader: Reader,
    country: str | None, transport: httpx.BaseTransport | None = None,
    now: Callable[[], datetime] = _utcnow, only_peer: str | None = None,
) -> AskReport:
    """Ask every peer (or `only_peer`) which of `values` it holds, without telling it;
    the values are read in `asking_country`'s national formats."""
    if asking_reader.agency is None or asking_reader.is_peer:
        raise Forbidden("only a user of this node's agencies may ask peers")
    results = normalise(values, asking_country(engine, asking_reader, country))
    refs = sorted({r.ref for r in results if r.ref})
    with engine.begin() as conn:
        q = select(peers).order_by(peers.c.name)
        if only_peer is not None:
            q = q.where(peers.c.name == only_peer)
        peer_rows = [dict(p) for p in conn.execute(q).mappings()]
        if only_peer is not None and not peer_rows:
            raise NotFound(f"no peer named {only_peer!r}", field="peer", value=only_peer)
        if refs:
            _charge_ask(conn, settings, asking_reader, peer_rows=peer_rows, items=len(refs),
                        day=now().date())
    held: dict[str, list[str]] = {}
    errors: dict[str, str] = {}
    if refs:
        with peer_client(settings, transport) as client:
            for p in peer_rows:
                try:
                    for ref in _ask_one(client, settings, p, refs, now):
                        held.setdefault(ref, []).append(p["name"])
                except BersamaError as exc:
                    errors[p["name"]] = exc.detail
    for r in results:
        if r.ref:
            r.held_by = sorted(held.get(r.ref, []))
    return AskReport(results, [p["name"] for p in peer_rows], errors)
