"""Node keys and detached JWS signatures over RFC 8785 canonical STIX objects.

Why detached JWS (RFC 7515 with the unencoded payload option of RFC 7797):
the signed bytes are the object's canonical JSON (RFC 8785), which every
receiver can recompute from the object it parsed, so the signature travels
beside the object (in the TAXII envelope, see docs/adr/0005) and the STIX
object itself stays byte-for-byte what its producer wrote.  The key id is the
public key itself (``ed25519:<base64url>``), so a verifier never needs a key
directory: it compares the `kid` with the key it pinned for that peer.

The only I/O here is `load_or_create_node_key`, which reads or writes the
node's private key file (mode 0600) in the data directory.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import orjson
import rfc8785
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from nacl import bindings as nacl_bindings
from nacl.exceptions import BadSignatureError as NaclBadSignature
from nacl.exceptions import TypeError as NaclTypeError
from nacl.exceptions import ValueError as NaclValueError

from bersama.errors import ConfigurationError, InvalidInput
from bersama.jcs import canonical

KEY_FILE_NAME = "node_key.pem"
KEY_PREFIX = "ed25519:"
INLINE_SIGNATURE = "x_bersama_signature"
"""The in-object carrier, for TAXII servers that store objects but not our envelope
property (e.g. medallion); excluded from the signed bytes.  Bersama serves the envelope
carrier; receivers accept either (docs/adr/0005)."""
SIGNATURE_FIELDS = (INLINE_SIGNATURE,)


def _b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64u(text: str, *, field: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise InvalidInput(f"{field} is not base64url", field=field, value=text) from None


def public_key_text(key: Ed25519PublicKey) -> str:
    """The printable form of a public key: ``ed25519:<base64url of the 32 raw bytes>``."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return KEY_PREFIX + _b64u(raw)


def parse_public_key(text: str) -> Ed25519PublicKey:
    """Parse what `public_key_text` prints (as given to `bersama peer add --key`)."""
    value = text.strip()
    if not value.startswith(KEY_PREFIX):
        raise InvalidInput(
            f"public key must look like '{KEY_PREFIX}<base64url>'", field="key", value=text
        )
    raw = _unb64u(value.removeprefix(KEY_PREFIX), field="key")
    if len(raw) != 32:
        raise InvalidInput("an Ed25519 public key is 32 bytes", field="key", value=text)
    return Ed25519PublicKey.from_public_bytes(raw)


def canonical_bytes(obj: Mapping[str, Any]) -> bytes:
    """RFC 8785 canonical JSON of the object minus any signature property."""
    body = ({k: v for k, v in obj.items() if k not in SIGNATURE_FIELDS}
            if INLINE_SIGNATURE in obj or not isinstance(obj, dict) else obj)
    try:
        return canonical(body)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise InvalidInput(
            f"object cannot be canonicalised: {exc}", field="id", value=str(obj.get("id"))
        ) from None


@dataclass(frozen=True)
class NodeKey:
    """The node's Ed25519 key pair."""

    private: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> NodeKey:
        return cls(Ed25519PrivateKey.generate())

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @cached_property
    def kid(self) -> str:
        return public_key_text(self.public)

    def header(self) -> str:
        """The protected header, base64url-encoded (constant per key: computed once)."""
        return _protected_header(self.kid)

    def sign(self, obj: Mapping[str, Any]) -> str:
        return self.sign_canonical(canonical_bytes(obj))

    @cached_property
    def _sodium_secret(self) -> bytes:
        """libsodium's 64-byte secret key (seed + public key), for fast signing."""
        seed = self.private.private_bytes(serialization.Encoding.Raw,
                                          serialization.PrivateFormat.Raw,
                                          serialization.NoEncryption())
        raw = self.public.public_bytes(serialization.Encoding.Raw,
                                       serialization.PublicFormat.Raw)
        return seed + raw

    def sign_canonical(self, payload: bytes) -> str:
        """Detached compact JWS: ``<protected>..<signature>`` (payload omitted, RFC 7515 F)."""
        protected = self.header()
        signed = nacl_bindings.crypto_sign(protected.encode("ascii") + b"." + payload,
                                           self._sodium_secret)
        return f"{protected}..{_b64u(signed[:64])}"

    def to_pem(self) -> bytes:
        return self.private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


_HEADERS: dict[str, str] = {}


def _protected_header(kid: str) -> str:
    cached = _HEADERS.get(kid)
    if cached is None:
        header = {"alg": "EdDSA", "b64": False, "crit": ["b64"], "kid": kid}
        cached = _b64u(orjson.dumps(header, option=orjson.OPT_SORT_KEYS))
        _HEADERS[kid] = cached
    return cached


def jws_kid(jws: str) -> str | None:
    """The `kid` of a detached JWS, or None when the JWS is malformed."""
    try:
        protected, _payload, _sig = jws.split(".")
        header = orjson.loads(_unb64u(protected, field="signature"))
    except (ValueError, InvalidInput, orjson.JSONDecodeError):
        return None
    kid = header.get("kid") if isinstance(header, dict) else None
    return kid if isinstance(kid, str) else None


def verify(obj: Mapping[str, Any], jws: str, pinned: Ed25519PublicKey) -> bool:
    """True exactly when `jws` is a valid detached signature of `obj` by `pinned`."""
    try:
        payload = canonical_bytes(obj)
    except InvalidInput:
        return False
    return verify_canonical(payload, jws, pinned)


def verify_canonical(payload: bytes, jws: str, pinned: Ed25519PublicKey) -> bool:
    parts = jws.split(".") if isinstance(jws, str) else []
    if len(parts) != 3 or parts[1] != "":
        return False
    protected, _, sig_text = parts
    try:
        sig = _unb64u(sig_text, field="signature")
    except InvalidInput:
        return False
    raw, kid = _raw_and_kid(pinned)
    if protected != _protected_header(kid) and not _header_ok(protected, kid):
        return False
    message = protected.encode("ascii") + b"." + payload
    if len(sig) != 64:
        return False
    return _ed25519_verify(raw, sig, message)


_RAW_KIDS: dict[int, tuple[Ed25519PublicKey, bytes, str]] = {}


def _raw_and_kid(pinned: Ed25519PublicKey) -> tuple[bytes, str]:
    """The raw bytes and key id of a pinned key, computed once per key object (a sync
    verifies every object of a page against the same one).  The key object is kept in
    the entry, so its id() is not reused while the entry lives."""
    got = _RAW_KIDS.get(id(pinned))
    if got is None or got[0] is not pinned:
        raw = pinned.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        if len(_RAW_KIDS) > 256:
            _RAW_KIDS.clear()
        got = _RAW_KIDS[id(pinned)] = (pinned, raw, KEY_PREFIX + _b64u(raw))
    return got[1], got[2]


def _ed25519_verify(public: bytes, sig: bytes, message: bytes) -> bool:
    """Ed25519 verification through libsodium (PyNaCl): about 1.6x faster here than
    OpenSSL through `cryptography`, and it releases the GIL, so the sync's prefetch
    thread verifies while the main thread ingests (docs/federation.md, "Speed")."""
    try:
        nacl_bindings.crypto_sign_open(sig + message, public)
    except (NaclBadSignature, NaclValueError, NaclTypeError):
        return False
    return True


def _header_ok(protected: str, kid: str) -> bool:
    """Check a protected header written by another JOSE implementation (any key order)."""
    try:
        header = orjson.loads(_unb64u(protected, field="signature"))
    except (InvalidInput, orjson.JSONDecodeError):
        return False
    return (
        isinstance(header, dict)
        and header.get("alg") == "EdDSA"
        and header.get("b64") is False
        and header.get("crit") == ["b64"]
        and header.get("kid") == kid
        and set(header) <= {"alg", "b64", "crit", "kid", "typ", "cty"}
    )


def load_or_create_node_key(data_dir: Path) -> NodeKey:
    """Read ``data_dir/node_key.pem``; create it (mode 0600) on first use."""
    path = data_dir / KEY_FILE_NAME
    if path.exists():
        try:
            loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (ValueError, TypeError) as exc:
            raise ConfigurationError(
                f"node key file {path} is not a PEM private key: {exc}", field="data_dir"
            ) from None
        if not isinstance(loaded, Ed25519PrivateKey):
            raise ConfigurationError(f"node key file {path} is not an Ed25519 key")
        return NodeKey(loaded)
    data_dir.mkdir(parents=True, exist_ok=True)
    key = NodeKey.generate()
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, key.to_pem())
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # fails if another process created the key meanwhile
    except FileExistsError:
        os.unlink(tmp)
        return load_or_create_node_key(data_dir)
    os.unlink(tmp)
    return key
