"""Bank accounts and e-wallets."""

from __future__ import annotations

import pytest

from bersama.errors import InvalidObservable
from bersama.observables import Kind, bank_account, ewallet
from bersama.observables.account_lengths import account_lengths
from bersama.observables.accounts import load_data


@pytest.mark.parametrize(
    ("country", "bank", "number"),
    [
        ("MY", "Maybank", "5123 4567 8901"),
        ("my", "MBB", "5123-4567-8901"),
        ("MY", "Malayan Banking Berhad", "512345678901"),
        ("MY", "maybank2u", " 5123.4567.8901 "),
    ],
)
def test_bank_spellings_meet(country: str, bank: str, number: str) -> None:
    obs = bank_account(country, bank, number)
    assert obs.kind is Kind.BANK_ACCOUNT
    assert obs.key == "MY:MBB:512345678901"
    assert obs.attr("bank") == "MBB"
    assert obs.attr("bank_name") == "Maybank"


@pytest.mark.parametrize(
    ("country", "bank", "code"),
    [
        ("TH", "Bangkok Bank", "BBL"),
        ("TH", "K-Bank", "KBANK"),
        ("TH", "กสิกรไทย", "KBANK"),
        ("TH", "SCB", "SCB"),
        ("ID", "Bank Central Asia", "BCA"),
        ("PH", "Banco de Oro", "BDO"),
        ("VN", "Vietcombank", "VCB"),
        ("SG", "POSB", "DBS"),
        ("KH", "Advanced Bank of Asia", "ABA"),
        ("MM", "Kanbawza Bank", "KBZ"),
    ],
)
def test_bank_aliases(country: str, bank: str, code: str) -> None:
    assert bank_account(country, bank, "0012345678").attr("bank") == code


def test_every_listed_bank_name_resolves_however_long() -> None:
    # Official names such as "Bank for Agriculture and Agricultural Cooperatives" (44
    # letters) were refused by the 2-40 bound meant for the keys of unknown banks.
    for country, banks in load_data("banks.json").items():
        for code, spellings in banks.items():
            number = "0012345678".ljust(account_lengths(country, code)[0], "9")
            for spelling in spellings:
                assert bank_account(country, spelling, number).attr("bank") == code
                assert bank_account(None, spelling, number,
                                    default_country=country).attr("bank") == code


def test_unknown_bank_name_over_40_letters_is_refused_naming_bank() -> None:
    with pytest.raises(InvalidObservable) as exc:
        bank_account(None, "Bank " + "x" * 40, "0012345678", default_country="TH")
    assert (exc.value.field, "2-40" in exc.value.detail) == ("bank", True)


def test_unknown_bank_keeps_collapsed_name_and_leading_zeros() -> None:
    obs = bank_account("ID", "Bank Foo-Bar", "0001 2345 67")
    assert obs.key == "ID:BANKFOOBAR:0001234567"
    assert obs.attr("bank_name") is None
    assert bank_account("ID", "bank foo bar", "0001234567") == obs


@pytest.mark.parametrize(
    ("args", "field", "reason"),
    [
        (("MY", "MBB", "12345"), "account_number", "expected 6-20"),
        (("MY", "MBB", "1" * 21), "account_number", "expected 6-20"),
        (("MY", "MBB", "12345a78"), "account_number", "digits"),
        (("MY", "MBB", "\uff11\uff12\uff13\uff14\uff15\uff16\uff17"), "account_number", "digits"),
        (("XX", "MBB", "1234567"), "country", "unknown"),
        (("MYS", "MBB", "1234567"), "country", "unknown"),
        (("MY", "-", "1234567"), "bank", "2-40"),
        (("MY", "MBB", ""), "account_number", "empty"),
    ],
)
def test_bank_invalid(args: tuple[str, str, str], field: str, reason: str) -> None:
    with pytest.raises(InvalidObservable) as exc:
        bank_account(*args)
    assert exc.value.field == field
    assert reason in exc.value.detail


@pytest.mark.parametrize(
    ("provider", "account", "country", "key"),
    [
        ("GCash", "0917 123 4567", None, "gcash:+639171234567"),
        ("gcash", "+63 917 123 4567", "MY", "gcash:+639171234567"),
        ("Touch 'n Go eWallet", "012-345 6789", None, "tng:+60123456789"),
        ("TNG", "60123456789".join(["+", ""]), None, "tng:+60123456789"),
        ("TrueMoney", "081 234 5678", "TH", "truemoney:+66812345678"),
        ("GrabPay", "8123 4567", "SG", "grabpay:+6581234567"),
        ("OVO", "0812-3456-7890", None, "ovo:+6281234567890"),
        ("MoMo", "091 234 56 78", None, "momo:+84912345678"),
        ("Wave Money", "09 212 3456", None, "wavemoney:+9592123456"),
        ("PromptPay", "1-2345-67890-12-3", None, "promptpay:1234567890123"),
        ("PromptPay", "081 234 5678", None, "promptpay:+66812345678"),
        ("PayPal", "Scam.Boss@Example.com", None, "paypal:scam.boss@example.com"),
        ("Some New Wallet", "AB-1234", None, "somenewwallet:AB-1234"),
    ],
)
def test_ewallets(provider: str, account: str, country: str | None, key: str) -> None:
    obs = ewallet(provider, account, country)
    assert obs.kind is Kind.EWALLET
    assert obs.key == key


@pytest.mark.parametrize(
    ("provider", "account", "country", "reason"),
    [
        ("GCash", "12345", None, "not a valid mobile number"),
        # Valid numbers, but landlines: a phone-account wallet is a mobile number
        # ("Jan 20 2024" and "1200000 Ks" were read as these).
        ("GCash", "20 2024", "PH", "not a mobile number"),
        ("GCash", "(02) 8888 0000", None, "not a mobile number"),
        ("Wave Money", "1200000", None, "not a mobile number"),
        ("GrabPay", "081 234 5678", None, "no country"),
        ("PromptPay", "12345", None, "neither"),
        ("x", "0917 123 4567", None, "2-40"),
        ("Unknown", "a b!", None, "phone number, e-mail"),
    ],
)
def test_ewallet_invalid(provider: str, account: str, country: str | None, reason: str) -> None:
    with pytest.raises(InvalidObservable) as exc:
        ewallet(provider, account, country)
    assert reason in exc.value.detail
