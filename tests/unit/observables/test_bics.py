"""SWIFT/BIC codes and bank countries: every source's spelling of a bank meets on one key."""

from __future__ import annotations

import pytest

from bersama.errors import InvalidObservable
from bersama.observables import Kind, bank_account, normalise
from bersama.observables.accounts import (
    BANK_NAMES,
    BICS,
    CROSS_BORDER_BANKS,
    bic_parts,
    load_data,
    resolve_bank,
)


@pytest.mark.parametrize(
    "bic", ["MBBEMYKL", "MBBEMYKLXXX", "mbbemykl", "MBBE MY KL", "MBBEMYKLKUL"])
def test_known_bic_meets_the_bank_name(bic: str) -> None:
    by_name = bank_account("MY", "Maybank", "5123 4567 8901")
    assert bank_account(None, bic, "512345678901").key == by_name.key == "MY:MBB:512345678901"
    assert bank_account("MY", bic, "512345678901") == by_name
    # the BIC's country wins over the reporting agency's (an assumption, not a statement)
    assert bank_account(None, bic, "512345678901", default_country="TH") == by_name


@pytest.mark.parametrize(("bic", "key"), [
    ("KASITHBK", "TH:KBANK"), ("DBSSSGSG", "SG:DBS"), ("BFTVVNVX", "VN:VCB"),
    ("BNORPHMM", "PH:BDO"), ("CENAIDJA", "ID:BCA"), ("SICOTHBK", "TH:SCB"),
    ("SCBLMYKX", "MY:SCB"), ("MBBESGSG", "SG:MBB"),
])
def test_bics_across_countries(bic: str, key: str) -> None:
    assert bank_account(None, bic, "1234567890", default_country="MY").key == f"{key}:1234567890"


def test_bic_conflicting_with_stated_country_is_invalid() -> None:
    with pytest.raises(InvalidObservable) as exc:
        bank_account("SG", "MBBEMYKL", "512345678901")
    assert exc.value.field == "country"
    assert exc.value.value == "SG"
    assert "MBBEMYKL" in exc.value.detail
    assert "MY" in exc.value.detail


def test_unknown_bic_stays_a_bank_keyed_by_the_bic() -> None:
    assert bank_account("TH", "ZZZZTHBK", "1234567890").key == "TH:ZZZZTHBK:1234567890"
    assert bank_account("TH", "ZZZZTHBKXXX", "1234567890").key == "TH:ZZZZTHBK:1234567890"
    assert bank_account("TH", "ZZZZTHBK123", "1234567890").key == "TH:ZZZZTHBK123:1234567890"
    assert bank_account(None, "ZZZZTHBK", "1234567890", default_country="TH").key == \
        "TH:ZZZZTHBK:1234567890"
    # not a BIC of the stated country: a name, as before (no guessing it is a BIC)
    assert bank_account("SG", "HSBC Bank", "1234567890").key == "SG:HSBCBANK:1234567890"
    assert bank_account("SG", "HSBCBANK", "1234567890").key == "SG:HSBCBANK:1234567890"


@pytest.mark.parametrize(("value", "parts"), [
    ("MBBEMYKL", ("MBBEMYKL", "MY")), ("MBBEMYKLXXX", ("MBBEMYKL", "MY")),
    ("MBBEMYKL123", ("MBBEMYKL123", "MY")), ("MBBEMY", None), ("MBBEZZKL", None),
    ("12BEMYKL", None), ("MBBEMYKL1", None),
])
def test_bic_parts(value: str, parts: tuple[str, str] | None) -> None:
    assert bic_parts(value) == parts


@pytest.mark.parametrize(("bank", "default", "where"), [
    ("Kasikornbank", "MY", ("TH", "KBANK")),      # a Thai bank in a Malaysian report
    ("กสิกรไทย", "SG", ("TH", "KBANK")),
    ("Vietcombank", "PH", ("VN", "VCB")),
    ("Maybank", "MY", ("MY", "MBB")),             # the agency's own country first
    ("Maybank", "SG", ("SG", "MBB")),
    ("Maybank", "TH", ("TH", "MAYBANK")),         # several countries: the agency's, as before
    ("HSBC Bank", "SG", ("SG", "HSBCBANK")),      # banking groups: never moved abroad
    ("Citibank", "PH", ("PH", "CITIBANK")),
    ("Bank Foo", "ID", ("ID", "BANKFOO")),        # unknown names: the agency's
])
def test_bank_country_from_the_alias_table(bank: str, default: str,
                                           where: tuple[str, str]) -> None:
    assert resolve_bank(bank, default_country=default) == where


def test_stated_country_wins_for_names() -> None:
    assert resolve_bank("Kasikornbank", "MY") == ("MY", "KASIKORNBANK")
    assert resolve_bank("Kasikornbank", "TH") == ("TH", "KBANK")


@pytest.mark.parametrize(("bank", "reason"), [
    ("Maybank", "ambiguous"), ("HSBC Bank", "banking group"), ("Bank Foo", "unknown"),
])
def test_no_country_at_all_is_invalid(bank: str, reason: str) -> None:
    with pytest.raises(InvalidObservable, match=reason) as exc:
        bank_account(None, bank, "1234567")
    assert exc.value.field == "country"


@pytest.mark.parametrize("args", [
    ("MY", "MBBEMYKLXXX", "5123"), ("TH", "ZZZZTHBKXXX", "1234567"),
    ("SG", "Hsbc Bank", "1234567"), ("MY", "Kasikornbank", "1234567"),
])
def test_keys_are_fixed_points(args: tuple[str, str, str]) -> None:
    country, bank, number = args
    number = number.ljust(12, "0")  # Maybank's 12 digits, within TH's, SG's and MY's ranges
    obs = bank_account(country, bank, number)
    assert obs.kind is Kind.BANK_ACCOUNT
    assert normalise(Kind.BANK_ACCOUNT, obs.key) == obs


def test_data_files_are_consistent() -> None:
    raw = load_data("bics.json")
    assert sum(len(b) for banks in raw.values() for b in banks.values()) == len(BICS)
    for bic, (country, code) in BICS.items():
        assert len(bic) == 8
        assert bic[4:6] == country
        assert (country, code) in BANK_NAMES
    assert set(BANK_NAMES) >= CROSS_BORDER_BANKS
