"""Crypto addresses: chain detected from the value, checksums verified.

Supported: Bitcoin base58check (P2PKH `1...`, P2SH `3...`), Bitcoin segwit
bech32 (witness v0) and bech32m (v1+, BIP-350), Ethereum/EVM `0x` + 40 hex with
EIP-55 mixed-case checksum, and TRON base58check with the 0x41 prefix (`T...`).

Key: the address itself, in its canonical case — lower-case for bech32 and
EVM addresses (both are case-insensitive), as written for base58 (case is part
of the value).  The chain is in `attrs["chain"]` (bitcoin, ethereum, tron);
the formats do not overlap, so the key alone is unambiguous.  An EVM address
is the same key on every EVM chain, which is right: one private key controls it.
"""

from __future__ import annotations

import re
from functools import lru_cache

import base58
import bech32
from eth_hash.auto import keccak

from bersama.observables._common import CACHE_SIZE, clean, invalid, make
from bersama.observables.model import Kind, Observable

_BECH32_CONST = 1
_BECH32M_CONST = 0x2BC830A3
_ETH = re.compile(r"\A0[xX][0-9a-fA-F]{40}\Z")
_B58 = re.compile(r"\A[1-9A-HJ-NP-Za-km-z]{25,35}\Z")
_BECH = re.compile(r"\A(bc|tb|bcrt)1[02-9ac-hj-np-z]{6,87}\Z")
_CHARSET_INDEX = {c: i for i, c in enumerate(bech32.CHARSET)}

PATTERN_TEXT = (
    r"0x[0-9a-fA-F]{40}|(?:bc|BC)1[02-9ac-hj-np-zAC-HJ-NP-Z]{11,87}|"
    r"[13T][1-9A-HJ-NP-Za-km-z]{25,34}"
)
"""Regex source matching candidate addresses in text (validated afterwards)."""


def _segwit(addr: str, original: str) -> Observable:
    low = addr.lower()
    if addr != low and addr != addr.upper():
        invalid("mixed case in a bech32 address", field="crypto", value=original)
    m = _BECH.match(low)
    if not m:
        invalid("not a bech32 address", field="crypto", value=original)
    hrp = m.group(1)
    if hrp != "bc":
        invalid(f"not a Bitcoin mainnet address (prefix {hrp}1)", field="crypto", value=original)
    data = [_CHARSET_INDEX[c] for c in low[len(hrp) + 1:]]
    const = bech32.bech32_polymod(bech32.bech32_hrp_expand(hrp) + data)
    if const not in (_BECH32_CONST, _BECH32M_CONST):
        invalid("bech32 checksum mismatch", field="crypto", value=original)
    version = data[0]
    program = bech32.convertbits(data[1:-6], 5, 8, False)
    if version > 16 or program is None or not 2 <= len(program) <= 40:
        invalid("invalid segwit witness program", field="crypto", value=original)
    if version == 0:
        if const != _BECH32_CONST:
            invalid("witness v0 address must use bech32, not bech32m", field="crypto",
                    value=original)
        if len(program) not in (20, 32):
            invalid("witness v0 program must be 20 or 32 bytes", field="crypto", value=original)
    elif const != _BECH32M_CONST:
        invalid(f"witness v{version} address must use bech32m (BIP-350)", field="crypto",
                value=original)
    kind = {0: "p2wpkh" if len(program) == 20 else "p2wsh", 1: "p2tr"}.get(version, "segwit")
    return make(Kind.CRYPTO, low, low, {"chain": "bitcoin", "type": kind})


def _ethereum(addr: str, original: str) -> Observable:
    hexpart = addr[2:]
    low = hexpart.lower()
    digest = keccak(low.encode("ascii")).hex()
    checksummed = "".join(
        c.upper() if c.isalpha() and int(digest[i], 16) >= 8 else c for i, c in enumerate(low)
    )
    if hexpart not in (low, hexpart.upper()) and hexpart != checksummed:
        invalid("EIP-55 checksum mismatch (mixed case does not match)", field="crypto",
                value=original)
    return make(Kind.CRYPTO, "0x" + low, "0x" + checksummed, {"chain": "ethereum"})


def _base58(addr: str, original: str) -> Observable:
    try:
        raw = base58.b58decode_check(addr)
    except ValueError:
        invalid("base58check checksum mismatch", field="crypto", value=original)
    if len(raw) != 21:
        invalid("base58 address payload must be 21 bytes", field="crypto", value=original)
    version = raw[0]
    if version == 0x00 and addr[0] == "1":
        return make(Kind.CRYPTO, addr, addr, {"chain": "bitcoin", "type": "p2pkh"})
    if version == 0x05 and addr[0] == "3":
        return make(Kind.CRYPTO, addr, addr, {"chain": "bitcoin", "type": "p2sh"})
    if version == 0x41 and addr[0] == "T":
        return make(Kind.CRYPTO, addr, addr, {"chain": "tron"})
    invalid(f"unknown base58 address version 0x{version:02x}", field="crypto", value=original)


@lru_cache(maxsize=CACHE_SIZE)
def crypto(value: str) -> Observable:
    """Detect the chain of an address and verify its checksum."""
    s = clean(value, "crypto")
    if _ETH.match(s):
        return _ethereum("0x" + s[2:], s)
    prefix = s[:3].lower()
    # "TB1..." is also how some TRON addresses begin; bech32 is never mixed case, base58
    # addresses almost always are, so only a single-case "tb1" is read as bech32.
    if prefix == "bc1" or s[:5].lower() == "bcrt1" or (
        prefix == "tb1" and s in (s.lower(), s.upper())
    ):
        return _segwit(s, s)
    if _B58.match(s):
        return _base58(s, s)
    invalid("not a recognised Bitcoin, Ethereum or TRON address", field="crypto", value=s)


def looks_like_crypto(s: str) -> bool:
    return bool(_ETH.match(s) or s[:3].lower() == "bc1" or (s[:1] in "13T" and _B58.match(s)))
