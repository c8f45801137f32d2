"""Signing: detached JWS over RFC 8785 canonical JSON, verified against a pinned key."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest

from bersama.errors import InvalidInput
from bersama.federation.signing import (
    NodeKey,
    canonical_bytes,
    jws_kid,
    load_or_create_node_key,
    parse_public_key,
    public_key_text,
    verify,
)

OBJ = {
    "type": "indicator",
    "spec_version": "2.1",
    "id": "indicator--0f7c4b8e-2d36-4d39-9b0f-1c2a3b4c5d6e",
    "created": "2026-01-01T00:00:00.000Z",
    "modified": "2026-01-02T00:00:00.000Z",
    "name": "Scam line ☎",
    "pattern": "[x-bersama-phone-number:number = '+60123456789']",
    "pattern_type": "stix",
    "valid_from": "2026-01-01T00:00:00Z",
    "confidence": 80,
}


def test_sign_and_verify_roundtrip() -> None:
    key = NodeKey.generate()
    jws = key.sign(OBJ)
    assert verify(OBJ, jws, key.public)
    # key order and whitespace do not matter: the payload is canonical JSON
    reordered = json.loads(json.dumps(dict(reversed(list(OBJ.items()))), indent=2))
    assert verify(reordered, jws, key.public)


def test_header_is_detached_unencoded_eddsa() -> None:
    key = NodeKey.generate()
    protected, payload, _sig = key.sign(OBJ).split(".")
    assert payload == ""
    header = json.loads(base64.urlsafe_b64decode(protected + "=" * (-len(protected) % 4)))
    assert header == {"alg": "EdDSA", "b64": False, "crit": ["b64"], "kid": key.kid}


def test_tampered_object_fails() -> None:
    key = NodeKey.generate()
    jws = key.sign(OBJ)
    assert not verify({**OBJ, "confidence": 81}, jws, key.public)
    assert not verify({**OBJ, "extra": 1}, jws, key.public)


def test_wrong_key_fails() -> None:
    key, other = NodeKey.generate(), NodeKey.generate()
    assert not verify(OBJ, key.sign(OBJ), other.public)
    # an attacker re-signing with their own key but claiming our kid still fails
    forged = other.sign(OBJ)
    assert not verify(OBJ, forged, key.public)


@pytest.mark.parametrize("bad", ["", "a.b", "a..b", "x.y.z", "....", "eyJ9..AAAA"])
def test_malformed_jws_fails(bad: str) -> None:
    assert not verify(OBJ, bad, NodeKey.generate().public)


def test_signature_property_excluded_from_payload() -> None:
    assert canonical_bytes({**OBJ, "x_bersama_signature": "zzz"}) == canonical_bytes(OBJ)


def test_canonical_is_rfc8785() -> None:
    assert canonical_bytes({"b": 1, "a": [1.0, "é"]}) == '{"a":[1,"é"],"b":1}'.encode()


def test_public_key_text_roundtrip() -> None:
    key = NodeKey.generate()
    text = public_key_text(key.public)
    assert text.startswith("ed25519:")
    assert public_key_text(parse_public_key(text)) == text
    assert jws_kid(key.sign(OBJ)) == text


@pytest.mark.parametrize("bad", ["rsa:AAAA", "ed25519:!!!", "ed25519:AAAA", ""])
def test_parse_public_key_rejects(bad: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_public_key(bad)
    assert err.value.field == "key"


def test_node_key_file_created_once_with_0600(tmp_path: Path) -> None:
    first = load_or_create_node_key(tmp_path / "data")
    path = tmp_path / "data" / "node_key.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_node_key(tmp_path / "data").kid == first.kid


def _jcs_reference(obj: dict[str, object]) -> bytes:
    import rfc8785

    return rfc8785.dumps(obj)


@pytest.mark.parametrize("obj", [
    OBJ,
    {"a": "\u0000\u001f\"\\/\u007f\u2028é😀", "B": [True, False, None, -0, 2**53 - 1]},
    {"z": {"y": [{"b": 1, "a": 2}], "x": ""}, "é": 1, "\U0001f600": 2, "\ue000": 3},
    {"f": 1.5, "g": 1e21, "h": 100.0, "i": -(2**53) + 1},
])
def test_fast_canonical_path_matches_rfc8785(obj: dict[str, object]) -> None:
    assert canonical_bytes(obj) == _jcs_reference(obj)


def test_fast_canonical_path_matches_rfc8785_on_generated_objects() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    scalars = (st.text() | st.booleans() | st.none()
               | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1))
    values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                          max_leaves=20)

    @settings(max_examples=200, deadline=None)
    @given(st.dictionaries(st.text(max_size=8), values, max_size=6))
    def check(obj: dict[str, object]) -> None:
        try:
            expected = _jcs_reference(obj)
        except Exception:
            return
        assert canonical_bytes(obj) == expected

    check()


def test_unsafe_integer_refused_with_the_object_id() -> None:
    with pytest.raises(InvalidInput) as err:
        canonical_bytes({"id": "x--1", "n": 2**60})
    assert err.value.value == "x--1"


def test_header_written_in_another_key_order_verifies_and_alg_none_does_not() -> None:
    key = NodeKey.generate()
    payload = canonical_bytes(OBJ)

    def with_header(header: dict[str, object]) -> str:
        protected = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=").decode()
        sig = key.private.sign(protected.encode() + b"." + payload)
        return f"{protected}..{base64.urlsafe_b64encode(sig).rstrip(b'=').decode()}"

    good = {"kid": key.kid, "crit": ["b64"], "b64": False, "alg": "EdDSA"}
    assert verify(OBJ, with_header(good), key.public)
    assert not verify(OBJ, with_header({**good, "alg": "none"}), key.public)
    assert not verify(OBJ, with_header({**good, "b64": True}), key.public)
