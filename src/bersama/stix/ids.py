"""Deterministic STIX 2.1 SCO ids, computed without building stix2 objects.

STIX 2.1 (§2.9) gives each cyber-observable a uuid5 id in the namespace
00abedb4-aa42-466c-9c01-fed23315a9b7 over the JSON canonicalisation (RFC 8785) of
its ID contributing properties, so every producer names one observable alike and
bundles from different nodes meet on the same ids.  The export hot path only
ever canonicalises small objects of string values (and one-entry `hashes`),
which `bersama.jcs` writes with orjson.  A unit test checks the ids against
`stix2`'s own.
"""

from __future__ import annotations

import hashlib
import uuid
from functools import lru_cache
from typing import Any

from bersama.jcs import canonical

SCO_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")


def sco_id(sco_type: str, contributing: dict[str, Any]) -> str:
    """`<type>--<uuid5>` over the canonical JSON of the ID contributing properties."""
    return _sco_id(sco_type, canonical(contributing).decode())


@lru_cache(maxsize=32_768)
def _sco_id(sco_type: str, data: str) -> str:
    """Cached: exports name the same values over and over.  Keyed by text, not by the
    canonical bytes: orjson's `bytes` keep the buffer they were written in, about 4 kB
    however short the JSON, so a full cache of bytes keys held 134 MB (text: ~100 B a key;
    benchmarks/bench_memory.py)."""
    return f"{sco_type}--{uuid5(data.encode())}"


_NAMESPACE_BYTES = SCO_NAMESPACE.bytes


def uuid5(name: bytes) -> str:
    """`str(uuid.uuid5(SCO_NAMESPACE, name))` from the digest directly (RFC 9562 5.5: the
    first 16 bytes of SHA-1(namespace + name), version and variant bits set), without
    building a UUID object: 1.0 instead of 2.3 us, and a new observable's id is
    computed on every ingest of it (a unit test compares the two)."""
    b = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name, usedforsecurity=False).digest()[:16])
    b[6] = (b[6] & 0x0F) | 0x50
    b[8] = (b[8] & 0x3F) | 0x80
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
