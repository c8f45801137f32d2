"""Shared context-field parsing: amounts, currencies, dates, scam and crime types, markings."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bersama.errors import InvalidInput
from bersama.ingest import fields
from bersama.ingest.markings_map import from_misp, tlp_marking
from bersama.markings import TLP
from bersama.taxonomy import CrimeType, ScamType


@pytest.mark.parametrize(("text", "expected"), [
    ("1,234.50", (Decimal("1234.50"), None)), ("RM 1.234,50", (Decimal("1234.50"), "MYR")),
    ("PHP 20000", (Decimal(20000), "PHP")), ("12 000", (Decimal(12000), None)),
    ("1234,5", (Decimal("1234.5"), None)), ("₱1,000,000", (Decimal(1000000), "PHP")),
])
def test_amounts(text: str, expected: tuple) -> None:
    assert fields.parse_amount(text) == expected


def test_bad_amounts_and_currencies() -> None:
    with pytest.raises(ValueError, match="no amount"):
        fields.parse_amount("lots")
    with pytest.raises(ValueError, match="ISO 4217"):
        fields.currency("ringgit")


def test_types_and_dates() -> None:
    assert fields.scam_type("Love Scam") is ScamType.ROMANCE
    assert fields.scam_type("impersonation-bank") is ScamType.IMPERSONATION_BANK
    assert fields.scam_type("Macau scam") is ScamType.IMPERSONATION_AUTHORITY
    assert fields.crime_type("Fraud") is CrimeType.SCAM
    with pytest.raises(ValueError, match="unknown scam type"):
        fields.scam_type("space piracy")
    assert fields.parse_datetime("2026-03-01 10:00").hour == 10
    assert fields.parse_datetime("1767600000").year == 2026
    assert fields.stix_timestamp("2026-01-01T00:00:00.123456789Z").microsecond == 123456
    with pytest.raises(ValueError, match="RFC 3339"):
        fields.stix_timestamp("2026-01-01T00:00:00+08:00")


def test_markings_maps() -> None:
    assert tlp_marking("TLP:AMBER+STRICT").tlp is TLP.AMBER_STRICT
    with pytest.raises(InvalidInput):
        tlp_marking("purple")
    m = from_misp(["tlp:green", "tlp:red", "tlp:ex:chr"], "4", "sg-1")
    assert m is not None
    assert m.tlp is TLP.RED
    assert m.group == "sg-1"
    assert from_misp([], "1", None) is None


def test_epoch_seconds_out_of_range_are_a_value_error() -> None:
    with pytest.raises(ValueError, match="out of range"):
        fields.parse_datetime("99999999999999999999")
