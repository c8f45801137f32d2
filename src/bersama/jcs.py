"""RFC 8785 (JSON canonicalisation) at orjson's speed where that is exact.

WHY one module: three things hash or sign canonical JSON on hot paths -- STIX SCO
ids (stix/ids.py), object signatures (federation/signing.py) and the audit chain
(store/audit.py, a row per audited read).  `rfc8785` walks the value in Python and
cost an audited check as much as inserting its row; orjson is C.  The fast path is
taken only where the bytes are provably the same, and tests compare both on fixed
and generated values.
"""

from __future__ import annotations

from typing import Any

import orjson
import rfc8785

_INT_MIN, _INT_MAX = -(2**53) + 1, 2**53 - 1  # rfc8785 refuses integers past these


def canonical(value: Any) -> bytes:
    """RFC 8785 canonical JSON of `value`: the bytes `rfc8785.dumps` writes, or its error.

    orjson with sorted keys writes the same bytes for strings, integers in the double
    range, booleans, None, and lists and dicts with ASCII keys (the same escapes;
    ASCII keys sort alike by code point and by UTF-16 unit).  Anything else (floats,
    other keys or types, lone surrogates, nesting orjson refuses) takes rfc8785's
    path.
    """
    if _plain(value):
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:
            pass
    return rfc8785.dumps(value)


def _plain(value: Any) -> bool:
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return bool(_INT_MIN <= value <= _INT_MAX)
    if kind is list or kind is tuple:
        return all(map(_plain, value))
    if kind is dict:
        return all(type(k) is str and k.isascii() and _plain(v) for k, v in value.items())
    return False
