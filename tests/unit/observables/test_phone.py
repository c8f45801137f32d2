"""Phone numbers: national formats resolved with the reporting country, to E.164."""

from __future__ import annotations

import pytest

from bersama.errors import InvalidObservable
from bersama.observables import Kind, phone

# (country, national spelling, E.164) — a realistic mobile number per country.
MOBILES = [
    ("BN", "712 3456", "+6737123456"),
    ("KH", "012 345 678", "+85512345678"),
    ("ID", "0812-3456-7890", "+6281234567890"),
    ("LA", "020 5555 1234", "+8562055551234"),
    ("MY", "012-345 6789", "+60123456789"),
    ("MM", "09 212 3456", "+9592123456"),
    ("PH", "0917 123 4567", "+639171234567"),
    ("SG", "8123 4567", "+6581234567"),
    ("TH", "081 234 5678", "+66812345678"),
    ("TL", "7721 2345", "+67077212345"),
    ("VN", "091 234 56 78", "+84912345678"),
    ("JP", "090-1234-5678", "+819012345678"),
    ("KR", "010-1234-5678", "+821012345678"),
    ("CN", "138 0013 8000", "+8613800138000"),
    ("AU", "0412 345 678", "+61412345678"),
]


@pytest.mark.parametrize(("country", "national", "e164"), MOBILES)
def test_national_format_resolved_with_country(country: str, national: str, e164: str) -> None:
    obs = phone(national, country)
    assert obs.kind is Kind.PHONE
    assert obs.key == e164
    assert obs.attr("country") == country
    assert obs.attr("type") in {"mobile", "fixed_line_or_mobile"}
    assert obs.display.startswith("+")


@pytest.mark.parametrize(("country", "national", "e164"), MOBILES)
def test_international_spellings_meet(country: str, national: str, e164: str) -> None:
    assert phone(e164).key == e164
    assert phone("00" + e164[1:]).key == e164
    # A number written with + keeps its own country whatever the reporter's country is.
    other = "SG" if country != "SG" else "MY"
    assert phone(e164, other).key == e164
    assert phone(phone(national, country).display).key == e164


def test_issue_example_malaysia() -> None:
    assert phone("012-345 6789", "MY") == phone("+60 12-345 6789")
    assert phone("(012) 345.6789", "my").key == "+60123456789"


def test_idd_prefix_of_reporting_country() -> None:
    # 001 is Thailand's international prefix; 00 works too.
    assert phone("001 60 12 345 6789", "TH").key == "+60123456789"
    assert phone("0060123456789", "TH").key == "+60123456789"


@pytest.mark.parametrize(
    ("value", "country", "reason"),
    [
        ("012-345 6789", None, "no country"),
        ("12345", "MY", "not a valid number"),
        ("+60 1", None, "too short"),
        ("1-800-FLOWERS", "US", "letters"),
        ("hello", "MY", "letters"),
        ("", "MY", "empty"),
        ("+99 123 456 789", None, "no country"),
        ("012-345 6789", "XX", "unknown country"),
    ],
)
def test_invalid_numbers_rejected_with_reason(value: str, country: str | None, reason: str) -> None:
    with pytest.raises(InvalidObservable) as exc:
        phone(value, country)
    assert reason in exc.value.detail
    assert exc.value.field in {"phone", "country"}
