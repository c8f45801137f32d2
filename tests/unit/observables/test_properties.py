"""Property tests: normalisation is idempotent and spellings of one identifier meet."""

from __future__ import annotations

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from bersama.observables import Kind, bank_account, crypto, domain, guess, normalise, phone, url
from bersama.observables.account_lengths import account_lengths
from bersama.observables.accounts import bank_code
from bersama.taxonomy import ASEAN

REGIONS = (*ASEAN, "JP", "KR", "CN", "AU")
EXAMPLES = [
    (r, n)
    for r in REGIONS
    for t in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE)
    if (n := phonenumbers.example_number_for_type(r, t)) is not None
]


def _sprinkle(s: str, draw: st.DrawFn) -> str:
    """Insert random spaces/dashes between digits (never inside the leading +)."""
    out = []
    for i, ch in enumerate(s):
        out.append(ch)
        if ch.isdigit() and i + 1 < len(s) and draw(st.booleans()):
            out.append(draw(st.sampled_from([" ", "-", ".", " - "])))
    return "".join(out)


@st.composite
def phone_spellings(draw: st.DrawFn) -> tuple[str, str, list[str]]:
    region, base = draw(st.sampled_from(EXAMPLES))
    # Vary the subscriber number a little, keeping only valid numbers.
    num = phonenumbers.parse(phonenumbers.format_number(base, PhoneNumberFormat.E164))
    last = draw(st.integers(0, 9))
    num.national_number = num.national_number - num.national_number % 10 + last
    if not phonenumbers.is_valid_number(num):
        num = base
    e164 = phonenumbers.format_number(num, PhoneNumberFormat.E164)
    forms = [
        phonenumbers.format_number(num, PhoneNumberFormat.NATIONAL),
        phonenumbers.format_number(num, PhoneNumberFormat.INTERNATIONAL),
        e164,
        "00" + e164[1:],
    ]
    return region, e164, [_sprinkle(f, draw) for f in forms]


@settings(max_examples=150, deadline=None)
@given(phone_spellings())
def test_phone_spellings_meet(case: tuple[str, str, list[str]]) -> None:
    region, e164, forms = case
    keys = {phone(f, region).key for f in forms}
    assert keys == {e164}
    obs = phone(forms[0], region)
    assert phone(obs.key) == obs
    assert phone(obs.display) == obs


LABEL = st.from_regex(r"\A[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?\Z", fullmatch=True)
SUFFIX = st.sampled_from(["com", "net", "com.my", "co.th", "co.id", "com.ph", "vn", "sg", "xyz"])
PATH = st.lists(st.from_regex(r"\A[A-Za-z0-9._~-]{1,8}\Z", fullmatch=True), max_size=4)


def _defang(host: str, draw: st.DrawFn) -> str:
    return "".join(
        draw(st.sampled_from([".", "[.]", "(.)", "(dot)", "[dot]"])) if ch == "." else ch
        for ch in host
    )


@st.composite
def url_spellings(draw: st.DrawFn) -> tuple[str, list[str]]:
    labels = draw(st.lists(LABEL, min_size=1, max_size=3))
    host = ".".join(labels) + "." + draw(SUFFIX)
    scheme = draw(st.sampled_from(["http", "https"]))
    segs = draw(PATH)
    path = "/" + "/".join(s for s in segs if s not in (".", ".."))
    canonical = f"{scheme}://{host}{path}"
    variants = []
    for _ in range(4):
        h = "".join(c.upper() if draw(st.booleans()) else c for c in host)
        if draw(st.booleans()):
            h = _defang(h, draw)
        sch = scheme.upper() if draw(st.booleans()) else scheme
        if draw(st.booleans()):
            sch = sch.replace("tt", "xx").replace("TT", "XX")
        port = f":{80 if scheme == 'http' else 443}" if draw(st.booleans()) else ""
        dots = "/./a/.." if draw(st.booleans()) else ""
        frag = "#" + draw(LABEL) if draw(st.booleans()) else ""
        p = "" if path == "/" and draw(st.booleans()) else path
        variants.append(f"{sch}://{h}{port}{dots}{p}{frag}")
    return canonical, variants


@settings(max_examples=150, deadline=None)
@given(url_spellings())
def test_url_spellings_meet(case: tuple[str, list[str]]) -> None:
    canonical, variants = case
    assert {url(v).key for v in variants} == {canonical}
    obs = url(variants[0])
    assert url(obs.key) == obs
    assert url(obs.display) == obs


@settings(max_examples=100, deadline=None)
@given(st.lists(LABEL, min_size=1, max_size=3), SUFFIX, st.data())
def test_domain_idempotent(labels: list[str], suffix: str, data: st.DataObject) -> None:
    host = ".".join(labels) + "." + suffix
    spelled = _defang(host.upper(), data.draw)
    obs = domain(spelled)
    assert obs.key == host
    assert domain(obs.key) == obs


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(["MY", "TH", "SG", "ID", "PH", "VN"]),
    st.sampled_from(["Maybank", "CIMB", "BBL", "KBank", "DBS", "BCA", "BDO", "VCB", "Foo Bank"]),
    st.data(),
)
def test_bank_account_idempotent(country: str, bank: str, data: st.DataObject) -> None:
    lo, hi = account_lengths(country, bank_code(country, bank))
    digits = data.draw(st.from_regex(rf"\A[0-9]{{{lo},{hi}}}\Z", fullmatch=True))
    spelled = _sprinkle(digits, data.draw)
    obs = bank_account(country.lower(), bank.upper(), spelled)
    assert obs.key.endswith(":" + digits)
    assert normalise(Kind.BANK_ACCOUNT, obs.key) == obs
    assert guess("bank-account:" + obs.key) == obs


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=20, max_size=20))
def test_eth_case_variants_meet(raw: bytes) -> None:
    low = "0x" + raw.hex()
    checksummed = crypto(low).display
    assert {crypto(v).key for v in (low, checksummed, "0x" + raw.hex().upper())} == {low}
    assert crypto(checksummed) == crypto(low)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_guess_never_crashes(text: str) -> None:
    """Any input either normalises (idempotently) or raises InvalidObservable."""
    from bersama.errors import InvalidObservable

    try:
        obs = guess(text, country="MY")
    except InvalidObservable:
        return
    assert normalise(obs.kind, obs.key, country="MY") == obs
    assert guess(obs.ref, country="MY") == obs
