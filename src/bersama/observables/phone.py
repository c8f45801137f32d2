"""Phone numbers to E.164 with `phonenumbers`.

National formats are resolved with the reporting agency's country: "012-345 6789"
reported in Malaysia and "+60 12-345 6789" meet on `+60123456789`.  Numbers that
`phonenumbers` does not consider valid are refused with its reason, never kept
half-parsed, and letters (vanity numbers) are refused rather than mapped to
digits, so one identifier is never silently turned into another.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from bersama.errors import InvalidObservable
from bersama.observables._common import PHONE_CACHE_SIZE, clean, invalid, make
from bersama.observables.model import Kind, Observable

_TYPE_NAMES = {
    getattr(PhoneNumberType, n): n.lower()
    for n in dir(PhoneNumberType)
    if n.isupper()
}
_LETTERS = re.compile(r"[A-Za-z]")
_STRIP = re.compile(r"[\s\-./()\u00a0\u2010-\u2015]")
_PARSE_REASONS = {
    NumberParseException.INVALID_COUNTRY_CODE: (
        "no country: give the reporting country or write the number with +country code"
    ),
    NumberParseException.NOT_A_NUMBER: "not a phone number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too short after the international prefix",
    NumberParseException.TOO_SHORT_NSN: "too short to be a phone number",
    NumberParseException.TOO_LONG: "too long to be a phone number",
}


def _country(country: str | None) -> str | None:
    if country is None or country == "":
        return None
    c = country.strip().upper()
    if c not in phonenumbers.SUPPORTED_REGIONS:
        invalid(f"unknown country code {country!r}", field="country", value=country)
    return c


def _parse(s: str, region: str | None) -> phonenumbers.PhoneNumber:
    try:
        return phonenumbers.parse(s, region)
    except NumberParseException as exc:
        reason = _PARSE_REASONS.get(exc.error_type, str(exc))
        invalid(reason, field="phone", value=s)


@lru_cache(maxsize=PHONE_CACHE_SIZE)
def phone(value: str, country: str | None = None) -> Observable:
    """Normalise a phone number; `country` (ISO 3166-1 alpha-2) resolves national formats."""
    s = clean(value, "phone")
    if _LETTERS.search(s):
        invalid("letters in a phone number", field="phone", value=s)
    region = _country(country)
    compact = _STRIP.sub("", s)
    if compact.startswith("00") and region is None:
        compact = "+" + compact[2:]
    try:
        num = _parse(compact, region)
    except InvalidObservable:
        if not compact.startswith("00"):
            raise
        num = _parse("+" + compact[2:], region)
    if compact.startswith("00") and not phonenumbers.is_valid_number(num):
        # A `00` international prefix where the country's own IDD reads it differently.
        # (Tested in this order: is_valid_number is a fifth of the cost of a number.)
        num = _parse("+" + compact[2:], region)
    # number_type() is UNKNOWN exactly when is_valid_number() is False; computing it once
    # instead of both saves a fifth of the cost of a phone number.
    typ = phonenumbers.number_type(num)
    if typ == PhoneNumberType.UNKNOWN:
        where = phonenumbers.region_code_for_country_code(num.country_code or 0)
        invalid(
            f"not a valid number for country code +{num.country_code} ({where})",
            field="phone",
            value=s,
        )
    key = phonenumbers.format_number(num, PhoneNumberFormat.E164)
    display = phonenumbers.format_number(num, PhoneNumberFormat.INTERNATIONAL)
    attrs = {
        "country": phonenumbers.region_code_for_number(num) or "",
        "type": _TYPE_NAMES.get(typ, "unknown"),
    }
    return make(Kind.PHONE, key, display, attrs)


def looks_like_phone(s: str) -> bool:
    """Cheap pre-check used by `guess`: digits with phone punctuation only."""
    compact = _STRIP.sub("", s)
    if compact.startswith("+"):
        compact = compact[1:]
    return compact.isdigit() and 5 <= len(compact) <= 17
