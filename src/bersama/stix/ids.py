"""Deterministic STIX 2.1 SCO ids, computed without building stix2 objects.

STIX 2.1 (§2.9) gives each cyber-observable a uuid5 id in the namespace
00abedb4-aa42-466c-9c01-fed23315a9b7 over the JSON canonicalisation (RFC 8785) of
its ID contributing properties, so every producer names one observable alike and
bundles from different nodes meet on the same ids.  The export hot path only
ever canonicalises small objects of string values (and one-entry `hashes`),
for which `orjson` with sorted keys produces exactly the RFC 8785 bytes; anything
else falls back to the `rfc8785` reference implementation.  A unit test checks
the ids against `stix2`'s own.
"""

from __future__ import annotations

import re
import uuid
from functools import lru_cache
from typing import Any

import orjson
import rfc8785

_CONTROL = re.compile(r"[\x00-\x1f]")
SCO_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")


def _simple(value: Any) -> bool:
    if isinstance(value, str):
        return _CONTROL.search(value) is None
    if isinstance(value, dict):
        return all(isinstance(k, str) and k.isascii() and _simple(v) for k, v in value.items())
    return False


def canonical_json(props: dict[str, Any]) -> bytes:
    """RFC 8785 canonical JSON of a small property dict."""
    if all(k.isascii() and _simple(v) for k, v in props.items()):
        return orjson.dumps(props, option=orjson.OPT_SORT_KEYS)
    return rfc8785.dumps(props)


def sco_id(sco_type: str, contributing: dict[str, Any]) -> str:
    """`<type>--<uuid5>` over the canonical JSON of the ID contributing properties."""
    return _sco_id(sco_type, canonical_json(contributing))


@lru_cache(maxsize=32_768)
def _sco_id(sco_type: str, data: bytes) -> str:
    """uuid5 is ~10 µs; exports name the same values over and over."""
    return f"{sco_type}--{uuid.uuid5(SCO_NAMESPACE, data.decode('utf-8'))}"
