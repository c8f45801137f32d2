"""File hashes: MD5, SHA-1, SHA-256 as lower-case hex; the length decides the kind."""

from __future__ import annotations

import re

from bersama.observables._common import clean, invalid, make
from bersama.observables.model import Kind, Observable

_HEX = re.compile(r"\A[0-9a-fA-F]+\Z")
_BY_LEN = {32: Kind.MD5, 40: Kind.SHA1, 64: Kind.SHA256}
HASH_KINDS = frozenset(_BY_LEN.values())


def file_hash(value: str, kind: Kind | None = None) -> Observable:
    """Normalise a hex digest; with `kind`, its length must match that algorithm."""
    s = clean(value, "hash")
    low = s.lower()
    for prefix in ("md5:", "sha1:", "sha256:", "sha-1:", "sha-256:"):
        if low.startswith(prefix):
            low = low[len(prefix):].strip()
            break
    if not _HEX.match(low):
        invalid("not hexadecimal", field="hash", value=s)
    found = _BY_LEN.get(len(low))
    if found is None:
        invalid(f"{len(low)} hex digits: not an MD5 (32), SHA-1 (40) or SHA-256 (64)",
                field="hash", value=s)
    if kind is not None and kind is not found:
        invalid(f"{len(low)} hex digits is {found.value}, not {kind.value}", field="hash",
                value=s)
    return make(found, low, low, {})


def looks_like_hash(s: str) -> bool:
    return len(s) in _BY_LEN and bool(_HEX.match(s))
