"""What leaves a node: signed envelopes built from stored rows (serving and pushing).

Why one module for both directions of departure: a page served to a peer that
pulls and a page pushed to a peer's writable collection must be the same bytes
under the same rules — selected by the one SQL policy of `bersama.store.taxii`
for the peer's agency, serialised straight from the stored JSON, and signed
with the node key (docs/adr/0005).  Signatures are cached per (key, stored
row), since a row never changes and re-signing dominated serving cost.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import orjson

from bersama.federation.protocol import envelope_bytes, signature_key
from bersama.federation.signing import NodeKey, canonical_bytes
from bersama.store.taxii import Row

SIG_CACHE_SIZE = 200_000

_sig_lock = threading.Lock()
_sig_cache: OrderedDict[tuple[str, int], str] = OrderedDict()


def sign_rows(key: NodeKey, rows: Sequence[Row]) -> dict[str, str]:
    """``{"<id>@<version>": jws}`` for stored rows, from the cache where possible."""
    out: dict[str, str] = {}
    kid = key.kid
    missing: list[Row] = []
    with _sig_lock:
        for row in rows:
            jws = _sig_cache.get((kid, row.seq))
            if jws is None:
                missing.append(row)
            else:
                out[signature_key(row.object_id, row.modified)] = jws
    if missing:
        fresh = [(row, key.sign_canonical(canonical_bytes(orjson.loads(row.body or "{}"))))
                 for row in missing]
        with _sig_lock:
            for row, jws in fresh:
                _sig_cache[(kid, row.seq)] = jws
                out[signature_key(row.object_id, row.modified)] = jws
            while len(_sig_cache) > SIG_CACHE_SIZE:
                _sig_cache.popitem(last=False)
    return out


def signed_envelope(key: NodeKey, rows: Sequence[Row], *, more: bool,
                    next_token: str | None) -> bytes:
    """A TAXII envelope of stored rows with their detached signatures."""
    sigs = sign_rows(key, rows)
    return envelope_bytes([(r.body or "{}").encode() for r in rows], sigs, more=more,
                          next_token=next_token)
