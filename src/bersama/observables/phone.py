"""Phone numbers to E.164 with `phonenumbers`.

National formats are resolved with the reporting agency's country: "012-345 6789"
reported in Malaysia and "+60 12-345 6789" meet on `+60123456789`.  Numbers that
`phonenumbers` does not consider valid are refused with its reason, never kept
half-parsed, and letters (vanity numbers) are refused rather than mapped to
digits, so one identifier is never silently turned into another.

Every report received by sync or STIX ingest carries numbers never seen before,
mostly already in E.164, and `phonenumbers.parse` spends most of its time in its
generic front end (RFC 3966 contexts, extensions, vanity letters, punctuation).
For input that is only ASCII digits, with a `+` or with a country, `_fast_parse`
skips that front end and runs the library's own lower-level steps in parse's
order (country code extraction, national prefix stripping, length test,
Italian leading zeros); any other input, and every number that parse would
retry or refuse after country code extraction, goes to `phonenumbers.parse`.
The INTERNATIONAL display is built the same way from the library's formatting
steps (`_international_format`).  These steps are private API, so
tests/unit/observables/test_phone_fast_parse.py compares them with `parse` and
`format_number` on a generated corpus covering every supported region: a library
upgrade that changes either fails that test instead of changing keys or displays.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from phonenumbers import (
    NumberParseException,
    PhoneMetadata,
    PhoneNumber,
    PhoneNumberFormat,
    PhoneNumberType,
)
from phonenumbers.phonenumberutil import (
    COUNTRY_CODE_TO_REGION_CODE,
    ValidationResult,
    _choose_formatting_pattern_for_number,
    _extract_country_code,
    _maybe_extract_country_code,
    _maybe_strip_national_prefix_carrier_code,
    _number_type_helper,
    _set_italian_leading_zeros_for_phone_number,
    _test_number_length,
)
from phonenumbers.re_util import re_compile

from bersama.errors import InvalidObservable
from bersama.observables._common import PHONE_CACHE_SIZE, clean, invalid
from bersama.observables.model import Kind, Observable

# Keep every compiled metadata pattern (a bounded set).  Without this the library compiles
# through re's 512-entry cache, which numbers from many countries thrash: a stream of
# E.164 numbers from random regions then costs over twenty times as much per number.
phonenumbers.enable_pattern_cache()

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
_MAX_INPUT_LEN = 250
"""phonenumbers refuses longer strings as TOO_LONG before anything else."""
_NSN_LENGTHS = range(2, 18)
"""National significant number lengths parse accepts (shorter or longer: it raises)."""
_SHORT_RESULTS = (
    ValidationResult.TOO_SHORT,
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
    ValidationResult.INVALID_LENGTH,
)
"""Lengths after which parse keeps the national prefix it could have stripped."""


def _country(country: str | None) -> str | None:
    if country is None or country == "":
        return None
    c = country.strip().upper()
    if c not in phonenumbers.SUPPORTED_REGIONS:
        invalid(f"unknown country code {country!r}", field="country", value=country)
    return c


def _metadata(cc: int) -> PhoneMetadata | None:
    """The metadata parse and format_number use for a country code: its main region's."""
    region = COUNTRY_CODE_TO_REGION_CODE[cc][0]
    return PhoneMetadata.metadata_for_region_or_calling_code(cc, region)


def _fast_parse(s: str, region: str | None) -> PhoneNumber | None:
    """`phonenumbers.parse(s, region)` for ASCII digits after `+`, or with a region;
    None when `s` is anything else or parse would raise or retry."""
    plus = s[:1] == "+"
    digits = s[1:] if plus else s
    if not (digits.isdigit() and digits.isascii()) or len(s) > _MAX_INPUT_LEN:
        return None
    num = PhoneNumber()
    found = _international(digits, num) if plus else _national(digits, region, num)
    if found is None:
        return None
    nsn, metadata = found
    _, stripped, _ = _maybe_strip_national_prefix_carrier_code(nsn, metadata)
    if _test_number_length(stripped, metadata) not in _SHORT_RESULTS:
        nsn = stripped
    if len(nsn) not in _NSN_LENGTHS:
        return None
    _set_italian_leading_zeros_for_phone_number(nsn, num)
    num.national_number = int(nsn)
    return num


def _international(digits: str, num: PhoneNumber) -> tuple[str, PhoneMetadata] | None:
    """Country code and metadata of the digits after a `+`, as parse finds them."""
    if len(digits) < 3:
        return None
    cc, nsn = _extract_country_code(digits)
    if cc == 0:
        return None
    num.country_code = cc
    metadata = _metadata(cc)
    return None if len(nsn) < 2 or metadata is None else (nsn, metadata)


def _national(
    digits: str, region: str | None, num: PhoneNumber
) -> tuple[str, PhoneMetadata] | None:
    """National number and metadata of digits read in `region`, as parse finds them."""
    if region is None or len(digits) < 2:
        return None
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None:
        return None
    cc, nsn = _maybe_extract_country_code(digits, metadata, False, num)
    if cc == 0:
        nsn = digits
        num.country_code = metadata.country_code
    elif COUNTRY_CODE_TO_REGION_CODE[cc][0] != region:
        metadata = _metadata(cc)
    return None if len(nsn) < 2 or metadata is None else (nsn, metadata)


def _parse(s: str, region: str | None) -> PhoneNumber:
    try:
        num = _fast_parse(s, region)
        return phonenumbers.parse(s, region) if num is None else num
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
    # As number_type() (UNKNOWN exactly when is_valid_number() is False), but looking the
    # region up once for both the type and the `country` attribute.
    where = phonenumbers.region_code_for_number(num)
    metadata = (
        None if where is None
        else PhoneMetadata.metadata_for_region_or_calling_code(num.country_code or 0, where)
    )
    nsn = phonenumbers.national_significant_number(num)
    typ = PhoneNumberType.UNKNOWN if metadata is None else _number_type_helper(nsn, metadata)
    if typ == PhoneNumberType.UNKNOWN:
        cc = num.country_code
        invalid(
            f"not a valid number for country code +{cc} "
            f"({phonenumbers.region_code_for_country_code(cc or 0)})",
            field="phone",
            value=s,
        )
    key = phonenumbers.format_number(num, PhoneNumberFormat.E164)
    display = _international_format(num, nsn)
    # `attrs` already sorted by name, as `make` would leave them.
    attrs = (("country", where or ""), ("type", _TYPE_NAMES.get(typ, "unknown")))
    return Observable(Kind.PHONE, key, display, attrs)


def _international_format(num: PhoneNumber, nsn: str) -> str:
    """`format_number(num, INTERNATIONAL)` for a valid number without extension, minus
    its look-ups; `re.sub(pattern, ...)` with a compiled pattern is `pattern.sub(...)`,
    without re's costly cache miss on a Pattern key."""
    cc = num.country_code or 0
    metadata = _metadata(cc)
    if num.extension or metadata is None:
        return phonenumbers.format_number(num, PhoneNumberFormat.INTERNATIONAL)
    fmt = _choose_formatting_pattern_for_number(
        metadata.intl_number_format or metadata.number_format, nsn
    )
    if fmt is None:
        return f"+{cc} {nsn}"
    if fmt.pattern is None or fmt.format is None:  # not in the metadata; the library raises
        return phonenumbers.format_number(num, PhoneNumberFormat.INTERNATIONAL)
    return f"+{cc} {re_compile(fmt.pattern).sub(fmt.format, nsn)}"


def looks_like_phone(s: str) -> bool:
    """Cheap pre-check used by `guess`: digits with phone punctuation only."""
    compact = _STRIP.sub("", s)
    if compact.startswith("+"):
        compact = compact[1:]
    return compact.isdigit() and 5 <= len(compact) <= 17
