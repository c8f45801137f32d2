"""Minted identifiers: valid, unique, and every written form meets on the node's key."""

from __future__ import annotations

import random

import base58
import bech32
import phonenumbers
import pytest
from eth_hash.auto import keccak

from bersama.errors import InvalidObservable
from bersama.observables import is_warninglisted, normalise
from bersama.observables.model import Kind
from bersama.synth.catalog import ALL_COUNTRIES, COUNTRIES, WELL_KNOWN_URLS
from bersama.synth.identifiers import (
    Minter,
    eip55,
    render,
    well_known_phone,
    well_known_url,
)


@pytest.fixture
def minter() -> Minter:
    return Minter(random.Random(11))  # noqa: S311 - seeded test data


@pytest.mark.parametrize("country", ALL_COUNTRIES)
def test_phone_numbers_are_valid_mobiles_and_national_forms_meet(minter: Minter,
                                                                 country: str) -> None:
    seen: set[str] = set()
    for _ in range(400):
        ident = minter.phone(country)
        assert ident.key not in seen
        seen.add(ident.key)
        pn = phonenumbers.parse(ident.key)
        assert phonenumbers.is_valid_number(pn)
        assert phonenumbers.region_code_for_number(pn) == country
        e164, national, international = ident.parts
        # "012-345 6789" reported in the country and "+60 12-345 6789" anywhere meet.
        assert national == phonenumbers.format_number(pn, phonenumbers.PhoneNumberFormat.NATIONAL)
        assert normalise(Kind.PHONE, national, country=country).key == ident.key
        assert normalise(Kind.PHONE, international, country="SG").key == ident.key
        assert normalise(Kind.PHONE, e164).key == ident.key
        assert ident.obs == normalise(Kind.PHONE, e164)


def test_my_national_format_example(minter: Minter) -> None:
    ident = minter.phone("MY")
    assert ident.parts[1].startswith("01")
    assert ident.parts[2].startswith("+60 1")


def _b58_ok(addr: str, version: bytes) -> bool:
    raw = base58.b58decode_check(addr)
    return raw[:1] == version and len(raw) == 21


def test_crypto_addresses_have_valid_checksums(minter: Minter) -> None:
    chains: set[str] = set()
    for _ in range(600):
        ident = minter.crypto()
        chain, addr = ident.parts
        chains.add(chain)
        if chain == "tron":
            assert addr.startswith("T")
            assert _b58_ok(addr, b"\x41")
        elif chain == "ethereum":
            body = addr[2:]
            digest = keccak(body.lower().encode()).hex()
            for i, c in enumerate(body):
                if c.isalpha():
                    assert c.isupper() == (int(digest[i], 16) >= 8)
            assert eip55(bytes.fromhex(body)) == addr
        elif addr.startswith("bc1"):
            witver, prog = bech32.decode("bc", addr)
            assert witver == 0
            assert prog is not None
            assert len(prog) == 20
        else:
            assert _b58_ok(addr, b"\x00") or _b58_ok(addr, b"\x05")
        assert ident.obs == normalise(Kind.CRYPTO, addr)
    assert chains == {"tron", "ethereum", "bitcoin"}


def test_invalid_values_are_rejected_by_the_normaliser(minter: Minter) -> None:
    for country in ALL_COUNTRIES:
        for _ in range(20):
            ident = minter.invalid(country)
            assert not ident.valid
            assert ident.obs is None
            with pytest.raises(InvalidObservable):
                normalise(ident.kind, ident.value, country=country)


@pytest.mark.parametrize("country", ALL_COUNTRIES)
def test_accounts_wallets_and_written_forms_meet(minter: Minter, country: str) -> None:
    rng = random.Random(3)  # noqa: S311 - seeded test data
    for _ in range(60):
        bank = minter.bank_account(country)
        assert bank.obs == normalise(Kind.BANK_ACCOUNT, bank.value)
        code, name, _swift, _digits = bank.parts
        written = render(bank, country, rng)
        assert normalise(Kind.BANK_ACCOUNT, f"{country}:{name}:{written}").key == bank.key
        assert normalise(Kind.BANK_ACCOUNT, f"{country}:{code}:{written}").key == bank.key
        wallet = minter.ewallet(country)
        assert wallet.obs == normalise(wallet.kind, wallet.value, country=country)
        if wallet.kind is Kind.EWALLET:
            provider_name, account = wallet.parts[1], wallet.parts[2]
            assert normalise(Kind.EWALLET, f"{provider_name}:{account}",
                             country="TH").key == wallet.key


def test_urls_emails_handles_meet_in_every_written_form(minter: Minter) -> None:
    rng = random.Random(5)  # noqa: S311 - seeded test data
    for _ in range(300):
        for ident in (minter.url("parcel-track"), minter.email("refund"),
                      minter.handle("shopee-reviewer")):
            assert ident.obs == normalise(ident.kind, ident.value)
            for text in (False, True):
                written = render(ident, "MY", rng, text=text)
                value = f"{ident.parts[0]}:{written}" if ident.kind is Kind.HANDLE else written
                assert normalise(ident.kind, value).key == ident.key
                assert is_warninglisted(ident.obs) is None


def test_identifiers_are_unique_across_a_large_draw(minter: Minter) -> None:
    refs = [minter.url("x").ref for _ in range(3000)]
    refs += [minter.handle("x").ref for _ in range(3000)]
    refs += [minter.bank_account("SG").ref for _ in range(3000)]
    assert len(set(refs)) == len(refs)


def test_well_known_values_are_on_a_warninglist_or_synthetic() -> None:
    for url in WELL_KNOWN_URLS:
        ident = well_known_url(url)
        assert ident.obs is not None
        assert is_warninglisted(ident.obs)
    for country in ("MY", "SG", "TH", "PH", "VN", "ID"):
        ident = well_known_phone(country)
        assert ident.obs is not None
        assert is_warninglisted(ident.obs)
    for country in COUNTRIES:
        assert well_known_phone(country).obs is not None
