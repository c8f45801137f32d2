"""The phone fast path against `phonenumbers` itself.

`bersama.observables.phone` parses digit strings and formats displays with private
steps of the library.  This corpus (every supported region: example numbers of every
type, random digit strings, each with and without `+`, country code, national prefix,
`00` prefix, extra leading zeros, Italian country code) fails if an upgrade of
`phonenumbers` makes those steps disagree with `parse` and `format_number`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

import phonenumbers
import pytest
from phonenumbers import (
    NumberParseException,
    PhoneMetadata,
    PhoneNumber,
    PhoneNumberFormat,
    PhoneNumberType,
)

from bersama.observables.phone import _fast_parse, _international_format

_TYPES = [getattr(PhoneNumberType, n) for n in dir(PhoneNumberType) if n.isupper()]
_REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)


def _example_nsns(region: str) -> list[str]:
    out = []
    for typ in _TYPES:
        ex = phonenumbers.example_number_for_type(region, typ)
        if ex is not None:
            out.append(phonenumbers.national_significant_number(ex))
    return out


def _corpus(region: str) -> Iterator[tuple[str, str | None]]:
    rnd = random.Random(region)  # noqa: S311 - reproducible test data, not secrets
    md = PhoneMetadata.metadata_for_region(region)
    assert md is not None
    cc = str(md.country_code)
    ndd = md.national_prefix or "0"
    idd = md.preferred_international_prefix or "00"
    nsns = _example_nsns(region)
    nsns += [n[:-1] + rnd.choice("0123456789") for n in nsns]
    for _ in range(10):
        nsns.append("".join(rnd.choice("0123456789") for _ in range(rnd.randint(4, 17))))
    for nsn in nsns:
        for s in (
            "+" + cc + nsn, cc + nsn, nsn, ndd + nsn, "0" + nsn, "00" + nsn, "00" + cc + nsn,
            idd + cc + nsn, "+" + nsn, "+39" + nsn, "+" + cc + "0" + nsn,
        ):
            yield s, None
            yield s, region


def _outcome(parse: Callable[[str, str | None], object], s: str, region: str | None) -> object:
    try:
        return parse(s, region)
    except NumberParseException as exc:
        return exc.error_type


@pytest.mark.parametrize("region", _REGIONS)
def test_fast_parse_and_display_agree_with_the_library(region: str) -> None:
    taken = 0
    for s, r in _corpus(region):
        fast = _outcome(_fast_parse, s, r)
        if fast is None:
            continue  # handed to phonenumbers.parse
        assert fast == _outcome(phonenumbers.parse, s, r), (s, r)
        if isinstance(fast, PhoneNumber):
            taken += 1
            nsn = phonenumbers.national_significant_number(fast)
            if phonenumbers.is_valid_number(fast):
                expected = phonenumbers.format_number(fast, PhoneNumberFormat.INTERNATIONAL)
                assert _international_format(fast, nsn) == expected, (s, r)
    assert taken > 0


@pytest.mark.parametrize("region", _REGIONS)
def test_example_numbers_in_e164_take_the_fast_path(region: str) -> None:
    cc = str(phonenumbers.country_code_for_region(region))
    for nsn in _example_nsns(region):
        assert _fast_parse("+" + cc + nsn, None) is not None, nsn


@pytest.mark.parametrize(
    "value",
    ["+", "+6", "+60 12", "60-12", "+\u0666\u0660123456789", "+\uff16\uff10123456789", "+60123#"],
)
def test_other_input_goes_to_the_library(value: str) -> None:
    assert _fast_parse(value, "MY") is None
