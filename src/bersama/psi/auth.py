"""Binding a PSI request to its sender, its body, a time and a nonce.

The bearer token says which peer agency is calling; the Ed25519 signature (the
node key of `bersama.federation.signing`, pinned per peer) proves the body was
produced by that node and not altered, and covers a timestamp and a random
nonce so a captured request cannot be replayed: the answering node refuses
timestamps outside `WINDOW` and remembers nonces for twice that long
(`bersama.store.psi.check_nonce`).  Pure apart from the clock passed in.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bersama.errors import Unauthenticated
from bersama.federation.signing import NodeKey, verify_canonical

WINDOW = timedelta(minutes=5)
H_TIME = "x-bersama-timestamp"
H_NONCE = "x-bersama-nonce"
H_SIG = "x-bersama-signature"


def signing_input(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    digest = hashlib.sha256(body).hexdigest()
    return "\n".join(
        ("bersama-psi-v1", method.upper(), path, timestamp, nonce, digest)
    ).encode("utf-8")


def sign(key: NodeKey, method: str, path: str, body: bytes, now: datetime) -> dict[str, str]:
    """Headers to send with a request to a peer's PSI endpoint."""
    ts = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    nonce = secrets.token_hex(16)
    sig = key.sign_canonical(signing_input(method, path, ts, nonce, body))
    return {H_TIME: ts, H_NONCE: nonce, H_SIG: sig}


def verify(
    headers: Mapping[str, str], method: str, path: str, body: bytes, *,
    pinned: Ed25519PublicKey, now: datetime,
) -> str:
    """Check the signature and the time; returns the nonce for the replay check."""
    ts, nonce, sig = headers.get(H_TIME), headers.get(H_NONCE), headers.get(H_SIG)
    if not ts or not nonce or not sig:
        raise Unauthenticated("PSI requests must be signed (timestamp, nonce, signature)",
                              field="signature")
    if len(nonce) != 32 or any(c not in "0123456789abcdef" for c in nonce):
        raise Unauthenticated("nonce must be 32 lower-case hex digits", field="nonce")
    try:
        when = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise Unauthenticated("bad request timestamp", field="timestamp", value=ts) from None
    if abs(now - when) > WINDOW:
        raise Unauthenticated("request timestamp outside the accepted window",
                              field="timestamp", value=ts)
    if not verify_canonical(signing_input(method, path, ts, nonce, body), sig, pinned):
        raise Unauthenticated("bad signature on PSI request", field="signature")
    return nonce
