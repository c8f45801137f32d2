"""Money amounts in free text."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bersama.observables import extract_amounts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Saya rugi RM 5,000 dan RM12.50", [("5000", "MYR"), ("12.5", "MYR")]),
        ("lost USD 1.2k", [("1200", "USD")]),
        ("chuyển 5.000.000 VND", [("5000000", "VND")]),
        ("mất 15 triệu đồng", [("15000000", "VND")]),
        ("โอน ฿3,000 แล้ว และอีก 2,500 บาท", [("3000", "THB"), ("2500", "THB")]),
        ("nawalan ng ₱25,000", [("25000", "PHP")]),
        ("transfer Rp 2 juta lalu Rp1.500.000", [("2000000", "IDR"), ("1500000", "IDR")]),
        ("S$ 1,234.56 and US$500 and $20", [("1234.56", "SGD"), ("500", "USD"), ("20", "USD")]),
        ("1.234,56 EUR", [("1234.56", "EUR")]),
        ("MMK 500,000 / 100 kyats", [("500000", "MMK"), ("100", "MMK")]),
        ("RMB 8000 and ¥10,000", [("8000", "CNY"), ("10000", "JPY")]),
        ("version 1.2.3 on 12/05/2024, call 012-345 6789", []),
        ("FORMULA 100 RMX", []),
    ],
)
def test_amounts(text: str, expected: list[tuple[str, str]]) -> None:
    assert extract_amounts(text) == [(Decimal(a), c) for a, c in expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\u0130DR 5", [("5", "IDR")]),  # dotted capital I
        ("\u0131dr 5 juta", [("5000000", "IDR")]),  # dotless i
        ("\u017fgd 5", [("5", "SGD")]),  # long s
        ("USD 5\u212a", [("5000", "USD")]),  # Kelvin sign
    ],
)
def test_letters_that_match_only_case_insensitively_read_as_their_word(
    text: str, expected: list[tuple[str, str]]
) -> None:
    """Such letters once raised KeyError (and a detect request answered 500)."""
    assert extract_amounts(text) == [(Decimal(a), c) for a, c in expected]


def test_an_amount_with_more_digits_than_a_decimal_holds_is_skipped() -> None:
    assert extract_amounts("RM 99999999999999999999999999999 then RM 50") == [
        (Decimal(50), "MYR")]
