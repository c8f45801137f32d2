"""Crypto addresses: chain detection and checksum validation."""

from __future__ import annotations

import hashlib

import base58
import bech32
import pytest

from bersama.errors import InvalidObservable
from bersama.observables import Kind, crypto

P2PKH = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
P2SH = "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"
P2TR = "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"  # BIP-350 vector
ETH_CHECKSUMMED = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"  # EIP-55 vector
TRON = "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7"
P2WPKH = bech32.encode("bc", 0, list(hashlib.sha256(b"x").digest()[:20]))
P2WSH = bech32.encode("bc", 0, list(hashlib.sha256(b"y").digest()))


@pytest.mark.parametrize(
    ("value", "chain", "typ"),
    [
        (P2PKH, "bitcoin", "p2pkh"),
        (P2SH, "bitcoin", "p2sh"),
        (P2WPKH, "bitcoin", "p2wpkh"),
        (P2WSH, "bitcoin", "p2wsh"),
        (P2TR, "bitcoin", "p2tr"),
        (TRON, "tron", None),
        (ETH_CHECKSUMMED, "ethereum", None),
    ],
)
def test_valid_addresses(value: str, chain: str, typ: str | None) -> None:
    obs = crypto(value)
    assert obs.kind is Kind.CRYPTO
    assert obs.attr("chain") == chain
    assert obs.attr("type") == typ
    assert crypto(obs.key) == obs


def test_ethereum_case_forms_meet() -> None:
    low = ETH_CHECKSUMMED.lower()
    upper = "0x" + ETH_CHECKSUMMED[2:].upper()
    keys = {crypto(v).key for v in (ETH_CHECKSUMMED, low, upper, "0X" + low[2:])}
    assert keys == {low}
    assert crypto(low).display == ETH_CHECKSUMMED


def test_ethereum_wrong_mixed_case_rejected() -> None:
    bad = "0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
    with pytest.raises(InvalidObservable, match="EIP-55"):
        crypto(bad)


def test_bech32_upper_case_meets_lower() -> None:
    assert crypto(P2WPKH.upper()).key == P2WPKH


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", "checksum"),
        (P2WPKH[:-1] + ("q" if P2WPKH[-1] != "q" else "p"), "checksum"),
        (P2WPKH[:10] + P2WPKH[10:].upper(), "mixed case"),
        (bech32.encode("tb", 0, [0] * 20), "mainnet"),
        # witness v1 encoded with the old bech32 constant: BIP-350 says reject.
        (bech32.encode("bc", 1, [1] * 32), "bech32m"),
        # a valid base58check payload with an unknown version byte
        (base58.b58encode_check(b"\x30" + bytes(20)).decode(), "unknown base58"),
        ("0x123", "not a recognised"),
        ("hello", "not a recognised"),
    ],
)
def test_invalid_addresses_rejected(value: str, reason: str) -> None:
    with pytest.raises(InvalidObservable) as exc:
        crypto(value)
    assert reason in exc.value.detail
    assert exc.value.field == "crypto"


def test_bech32m_v0_rejected() -> None:
    """A v0 program with the bech32m constant must be refused (BIP-350)."""
    hrp, data = "bc", [0, *bech32.convertbits(list(bytes(20)), 8, 5)]
    values = bech32.bech32_hrp_expand(hrp) + data
    polymod = bech32.bech32_polymod([*values, 0, 0, 0, 0, 0, 0]) ^ 0x2BC830A3
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    addr = hrp + "1" + "".join(bech32.CHARSET[d] for d in data + checksum)
    with pytest.raises(InvalidObservable, match="must use bech32"):
        crypto(addr)


def test_tron_address_beginning_tb1_is_not_read_as_testnet_bech32() -> None:
    # A valid TRON address (base58check, 0x41 prefix) that happens to begin "TB1".
    obs = crypto("TB1HCpMJVxcJ5jHdzGxQWghpo5k5xyTtSU")
    assert obs.attr("chain") == "tron"
    assert obs.key == "TB1HCpMJVxcJ5jHdzGxQWghpo5k5xyTtSU"
