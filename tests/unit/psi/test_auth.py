"""Signed PSI requests: tampered, stale, unsigned or foreign-signed requests are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bersama.errors import Unauthenticated
from bersama.federation.signing import NodeKey
from bersama.psi import auth

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
PATH = "/api/v1/psi/query"


def test_valid_request_returns_its_nonce() -> None:
    key = NodeKey.generate()
    headers = auth.sign(key, "POST", PATH, b"{}", NOW)
    assert auth.verify(headers, "POST", PATH, b"{}", pinned=key.public, now=NOW) == headers[
        auth.H_NONCE]


@pytest.mark.parametrize(
    ("body", "path", "shift"),
    [(b'{"x":1}', PATH, 0), (b"{}", "/api/v1/psi/other", 0), (b"{}", PATH, 6 * 60)],
)
def test_tampered_or_stale_requests_are_refused(body: bytes, path: str, shift: int) -> None:
    key = NodeKey.generate()
    headers = auth.sign(key, "POST", PATH, b"{}", NOW)
    with pytest.raises(Unauthenticated):
        auth.verify(headers, "POST", path, body, pinned=key.public,
                    now=NOW + timedelta(seconds=shift))


def test_changed_nonce_or_other_key_is_refused() -> None:
    key = NodeKey.generate()
    headers = auth.sign(key, "POST", PATH, b"{}", NOW)
    with pytest.raises(Unauthenticated, match="signature"):
        auth.verify({**headers, auth.H_NONCE: "0" * 32}, "POST", PATH, b"{}",
                    pinned=key.public, now=NOW)
    with pytest.raises(Unauthenticated, match="signature"):
        auth.verify(headers, "POST", PATH, b"{}", pinned=NodeKey.generate().public, now=NOW)
    with pytest.raises(Unauthenticated, match="signed"):
        auth.verify({}, "POST", PATH, b"{}", pinned=key.public, now=NOW)
