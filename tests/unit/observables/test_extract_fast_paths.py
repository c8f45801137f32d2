# ruff: noqa: RUF001 - case oddities and full-width digits on purpose
"""The extractor's shortcuts change nothing: each whole-text test that lets a pass be
skipped holds for every match of that pass's patterns, and the memoised phone
matcher finds exactly what `phonenumbers.PhoneNumberMatcher` finds."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import Leniency, PhoneNumberMatcher

from bersama.observables import extract as ex

# Whole identifiers, parts of them, and the case oddities of IGNORECASE, to be run together.
PIECES = [
    " ", "\n", ".", ":", "/", "@", "+", "\uff0b", "\uff1a", "-", "(", "[", "]", "{", "0", "7",
    "345", "6789", "๑๒", "x", "X", "p", "S", "\u017f", "\u0130", "\u0131", "\u212a", "dot", "AT",
    "hxxp", "HXXPS", "h[xx]p", "H[XX]PS", "fxp", "://", "[.]", "(at)", "{dot}", "www.", "example",
    ".com", ".Md",
    "user@mail.com", "a.b@x", "https://evil.example/login", "t.me/scam_bot", "WA.ME/60123456789",
    "line.me/ti/p/~abc", "Telegram: @scam_boss", "İnstagram: @x_y", "ınstagram", "whatſapp",
    "\u212aakao id: abc123", "ไลน์ @abc123", "WA 0123456789", "signal", "fb: someone",
    "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7", "0x52908400098527886E0F7030069857D2E4169EE7",
    "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "44d88612fea8a8f36de82e1278abb02f",
    "192.168.1.1", "1.2.3", "fe80::1", "12:30", "a:b:c", "Maybank 5123 4567 8901", "GCash",
    "DANA 0812 3456 7890", "+60 12-345 6789", "bit.ly/3xYz", "done.Next", "e.g.",
    "hxxps://evil.example", "fxp://files.example", "ftp://files.example/x", "wss://x.example",
    "BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ", "10.0.0.1",
]
TEXTS = st.lists(st.sampled_from(PIECES), max_size=14).map("".join)

# (pattern of a pass, the whole-text test the pass is skipped without)
GATES: list[tuple[re.Pattern[str], Callable[[str], object]]] = [
    (ex._EMAIL, lambda t: "@" in t),
    (ex._MSG_LINK, ex._ME_SLASH.search),
    (ex._URL, lambda t: "://" in t),
    (ex._CRYPTO, ex._ALNUM_RUN.search),
    (ex._HASH, ex._ALNUM_RUN.search),
    (ex._IPV4, ex._DOTTED_DIGITS.search),
    (ex._IPV6, ex._TWO_COLONS.search),
    (ex._DIGITS, ex._SIX_DIGITS.search),
    (ex._HANDLE, lambda t: ex._HANDLE_VALUE.search(t) and ex._may_name_platform(t)),
    (ex._HOST, ex._DOT_LETTER.search),
    (ex._DEFANG_TEXT, ex._may_be_defanged),
]


@settings(max_examples=600, deadline=None)
@given(TEXTS)
def test_a_skipped_pass_could_not_have_matched(text: str) -> None:
    for pattern, gate in GATES:
        if pattern.search(text):
            assert gate(text), (pattern.pattern[:40], text)


@pytest.mark.parametrize("text", [
    "İnstagram: @scam_boss", "ınstagram: @scam_boss", "whatſapp 0123456789",
    "\u212aakao id: scam123", "hxxpſ://evil[.]com", "HXXPS://evil.com", "mail(at)x(dot)com",
])
def test_case_oddities_still_reach_the_full_scan(text: str) -> None:
    assert any(p.search(text) for p, _ in GATES)
    for pattern, gate in GATES:
        if pattern.search(text):
            assert gate(text)


PHONE_TEXTS = [
    "call +60 12-345 6789 now", "call 012-345 6789 now", "abc0123456789", "0123456789def",
    "+60123456789,+60123456780", "on 2012-01-02 08:00:15 from 0123456789",
    "dates 3/10/2011 and 31/10/96", "pages 211-227 (2003)", "(02) 8123 4567 / 8123 4568",
    "+1 (415) 555-0132 ext. 12", "RM12345678", "%0123456789", "\u20ac0123456789",
    "+６０ １２-３４５ ６７８９", "๐๘๑-๒๓๔-๕๖๗๘", "00 60 12 345 6789", "0123456789 0123456789",
]


@pytest.mark.parametrize("region", ["ZZ", "MY", "PH", "TH", "US"])
def test_memoised_matcher_finds_what_the_library_finds(region: str) -> None:
    def found(matcher: type[PhoneNumberMatcher], text: str) -> list[tuple[object, ...]]:
        return [(m.start, m.end, m.raw_string, m.number)
                for m in matcher(text, region, leniency=Leniency.VALID)]

    for _ in range(2):  # cache cold, then warm: the same candidates in other contexts
        for text in PHONE_TEXTS + [f"x{t}y" for t in PHONE_TEXTS]:
            assert found(ex._Matcher, text) == found(PhoneNumberMatcher, text), text
