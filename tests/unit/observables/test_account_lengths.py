"""Account-number lengths per country: the table, the normaliser, the extractor."""

from __future__ import annotations

import pytest

from bersama.errors import InvalidObservable
from bersama.observables import Kind, bank_account, extract_entities_with_rejections
from bersama.observables.account_lengths import (
    BANK_LENGTHS,
    COUNTRY_LENGTHS,
    GENERIC,
    account_lengths,
)
from bersama.observables.accounts import BANK_NAMES
from bersama.synth.catalog import COUNTRIES


def test_the_table_names_known_banks_and_ranges_within_the_generic_bounds() -> None:
    for (country, code), (lo, hi) in BANK_LENGTHS.items():
        assert (country, code) in BANK_NAMES, (country, code)
        assert GENERIC[0] <= lo <= hi <= GENERIC[1], (country, code)
    for country, (lo, hi) in COUNTRY_LENGTHS.items():
        assert GENERIC[0] <= lo <= hi <= GENERIC[1], country


def test_a_bank_entry_only_widens_its_countrys_range() -> None:
    for (country, code), (lo, hi) in BANK_LENGTHS.items():
        c_lo, c_hi = COUNTRY_LENGTHS[country]
        assert lo <= c_lo, (country, code)
        assert c_hi <= hi, (country, code)


def test_generated_accounts_have_their_banks_lengths() -> None:
    for country in COUNTRIES.values():
        for bank in country.banks:
            lo, hi = account_lengths(country.code, bank.code)
            assert lo <= bank.digits <= hi, (country.code, bank.code)


@pytest.mark.parametrize(("country", "bank", "number", "says"), [
    ("TH", "Krungthai", "123456", "account numbers of banks in TH have 10-14 digits"),
    ("TH", "Bank Foo", "123456789", "account numbers of banks in TH have 10-14 digits"),
    ("TH", "SCB", "123456789012345", "has 15 digits"),
    ("MY", "CIMB", "8001234", "banks in MY have 10-16 digits"),
    ("PH", "BPI", "12345678", "banks in PH have 10-16 digits"),
    ("ID", "BCA", "12345678", "banks in ID have 10-16 digits"),
    ("SG", "DBS", "1234567890123", "banks in SG have 9-12 digits"),
])
def test_a_number_no_bank_of_the_country_issues_is_refused_naming_the_range(
        country: str, bank: str, number: str, says: str) -> None:
    with pytest.raises(InvalidObservable) as exc:
        bank_account(country, bank, number)
    assert exc.value.field == "account_number"
    assert says in exc.value.detail


@pytest.mark.parametrize(("country", "bank", "number"), [
    ("TH", "KTB", "123-4-56789-0"),
    ("TH", "GSB", "0200-1234-5678"),
    # what scammers wrote in the Thai SMS corpus: 11 digits for Krungthai, 10 for GSB,
    # whose own accounts have 10 and 12: a bank's own length is not applied
    ("TH", "KTB", "92-93289-8923"),
    ("TH", "GSB", "9032890320"),
    ("MY", "Maybank", "5140 1234 56"),
    ("PH", "BPI", "123456789012"),
    ("TH", "Bank Foo", "12345678901234"),  # TISCO's 14 digits, a bank the table lacks
    ("MY", "CIMB", "8001234567"),
    ("MY", "CIMB", "80012345678901"),
    ("ID", "BCA", "1234567890123456"),  # a virtual account
    ("VN", "Vietcombank", "123456"),
    ("KH", "ABA", "123456"),  # no table entry: 6-20
    ("SG", "GXS", "123456789012345"),
])
def test_plausible_numbers_are_kept(country: str, bank: str, number: str) -> None:
    assert bank_account(country, bank, number).kind is Kind.BANK_ACCOUNT


@pytest.mark.parametrize(("text", "country", "value", "says"), [
    ("โอนเข้า SCB 123456 ด่วน", "TH", "123456", "10-14 digits"),
    ("Bayar ke Maybank 5140 123 segera", "MY", "5140 123", "10-16 digits"),
])
def test_extracted_numbers_of_the_wrong_length_are_rejections_with_the_range(
        text: str, country: str, value: str, says: str) -> None:
    found, rejected = extract_entities_with_rejections(text, country=country)
    assert not [o for o in found if o.kind is Kind.BANK_ACCOUNT], found
    [r] = [r for r in rejected if r.kind is Kind.BANK_ACCOUNT]
    assert r.value == value
    assert says in r.reason
