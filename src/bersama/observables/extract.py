"""Entity extraction from free text: advisories, victim narratives, chat logs.

Candidates are found with cheap regular expressions (and `phonenumbers`'
`PhoneNumberMatcher` at `Leniency.VALID` for phone numbers), then validated by
the same normalisers as everything else; a candidate that fails is skipped
(this is extraction, not validation) but kept with its reason for
`extract_entities_with_rejections`.  Text is refanged first (`hxxp`, `[.]`,
`(dot)`, `[at]`), so defanged indicators are found like plain ones.

Passes run from the most to the least specific (e-mails, URLs, messenger
links, crypto, hashes, IPs, bank accounts, e-wallets, handles, phones, bare
domains); each claims its span of text so that, say, the digits of a bank
account are not also read as a phone number, or a host inside a URL as a
domain.  A phone number next to an e-wallet provider gives both the e-wallet
and the phone, and so does a mobile number next to a bank name (the bank's
account or the caller's phone: the text cannot say).  Beside a bank or wallet
name, an amount with its currency (`PHP 150000`, `700000 Ks`) is not an account,
nor is a date or a number that a cue word calls something else (`cues.py`).
A bank name inside a wallet's name (`AYA Pay`) names the wallet.  Results are
de-duplicated and ordered by first appearance.

Phone numbers are `PhoneNumberMatcher`'s: digit groups with spaces, dashes and
the like between them make one candidate, and when the whole run is not a valid
number the matcher tries each space-separated group on its own, never the
leading groups together.  So `Help? 0845 2814032 16 after 1st free` (a UCI spam SMS; the `16`
is an age limit) gives no phone, while `0845 2814032. 16+` and `08452814032 16`
do.  We keep that: reading the longest leading groups that make a number would
turn a 13-digit account written `012 345 6789 0123` into a Malaysian phone, and
the text cannot say which digits belong to the number.

Bare domains need a public suffix and a letter-only TLD; TLDs that mostly
appear as file extensions (`.md`, `.py`, `.zip`...) count only with `www.`,
and a capitalised TLD (`done.Next`) is taken for a missing space.  A bare
domain that fails is skipped silently, and so is a scheme-less `host/path`
whose host is not written as ASCII labels (`500บ.ขึ้นไป/สลิป`: Thai "baht and
up / slip"); one written like a host (`scb.xycittop/th`) is reported.

Speed (the detector extracts from every message it scores): a pass first runs
a cheap test of the whole text that every match of its patterns passes (an `@`
for e-mails, `://` for URLs, six digits for account numbers...) and is skipped
when it fails, so the results are those of the full scan; and the phone
matcher's parse and validation of a candidate (~50 us) is cached per
candidate, region and neighbouring characters, all it depends on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache, partial

import phonenumbers
from phonenumbers import Leniency, PhoneNumber, PhoneNumberMatch, PhoneNumberMatcher

from bersama.errors import InvalidObservable
from bersama.observables._common import PHONE_CACHE_SIZE, collapse, refang, trie_regex
from bersama.observables.accounts import (
    WALLET_ALIASES,
    WALLET_SPECS,
    bank_account,
    ewallet,
    load_data,
    resolve_bank,
)
from bersama.observables.amounts import amount_spans
from bersama.observables.crypto import PATTERN_TEXT, crypto
from bersama.observables.cues import (
    CALL_WORDS,
    CODE_WORDS,
    cue_after,
    cue_before,
    date_like,
    date_spans,
)
from bersama.observables.handles import handle
from bersama.observables.hashes import file_hash
from bersama.observables.model import Kind, Observable
from bersama.observables.net import email, ip
from bersama.observables.phone import phone
from bersama.observables.url import domain, url

MAX_TEXT = 1_000_000
"""Longest text scanned; longer input is scanned up to this many characters."""


@dataclass(frozen=True, slots=True)
class Rejected:
    """A candidate that looked like an identifier but failed validation."""

    value: str
    reason: str
    kind: Kind | None = None
    start: int = 0


_DEFANG_TEXT = re.compile(
    r"\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\{dot\}|\[:\]|\[://\]|\[@\]|\[at\]|\(at\)"
    r"|\bh(?:[xX]{2}|\[[xX]{2}\])p(?=s?(?:://|\[))|\bfxp(?=://)",
    re.IGNORECASE,
)
_BRACKETED = re.compile(r"[\[({][.:@dax]", re.IGNORECASE)
_XP_SCHEME = re.compile("xp[s\u017f]?(?::/|\\[)")
_DEFANG_MAP = {"[.]": ".", "(.)": ".", "{.}": ".", "[dot]": ".", "(dot)": ".", "{dot}": ".",
               "[:]": ":", "[://]": "://", "[@]": "@", "[at]": "@", "(at)": "@",
               "hxxp": "http", "h[xx]p": "http", "fxp": "ftp"}

_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9\u00a1-\uffff.-]+\.[A-Za-z\u00a1-\uffff-]{2,63}"
)
# A URL ends at white space, at characters URLs never contain unescaped, and at the CJK
# and full-width punctuation that ends sentences in Chinese, Japanese and Korean text.
_URL = re.compile(
    r"\b(?:https?|ftp|wss?)://[^\s<>\"'`{}|\\^"
    "\u3002\uff0c\u3001\uff1b\uff1a\uff01\uff1f\uff08\uff09\u300c\u300d\u300e\u300f\u3010\u3011\u300a\u300b\u3008\u3009\u2026]+",
    re.IGNORECASE,
)
_MSG_LINK = re.compile(
    r"(?<![\w.])(?:https?://)?(?:www\.)?(?:(t\.me|telegram\.me)/([A-Za-z][A-Za-z0-9_]{3,31})"
    r"|(wa\.me)/(\+?\d{6,15})|(line\.me)/ti/p/~?([A-Za-z0-9._-]{3,20}))(?![\w/])",
    re.IGNORECASE,
)
_CRYPTO = re.compile(rf"(?<![0-9A-Za-z])(?:{PATTERN_TEXT})(?![0-9A-Za-z])")
_HASH = re.compile(
    r"(?<![0-9A-Za-z])(?:[0-9a-fA-F]{64}|[0-9a-fA-F]{40}|[0-9a-fA-F]{32})(?![0-9A-Za-z])"
)
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.]|\.\d)")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_DIGITS = re.compile(r"(?<![\d\w])\+?\d(?:[ -]?\d){5,19}(?![\d\w])")
_HOST = re.compile(
    r"(?<![\w@.\-/])((?:[A-Za-z0-9\u00a1-\uffff](?:[A-Za-z0-9\u00a1-\uffff-]{0,62})\.)+"
    r"[A-Za-z\u00a1-\uffff]{2,63})(/[^\s<>\"']*)?(?![\w@])"
)
# An ASCII label, a dot and an ASCII letter: how a host name is written, unlike the
# abbreviations that end in a dot in scripts without spaces (Thai `บ.` for baht).
_LATIN_LABELS = re.compile(r"[A-Za-z0-9-]\.[A-Za-z]")
_FILE_TLDS = frozenset({"md", "py", "sh", "pl", "rs", "so", "zip", "mov", "ps", "sc", "tf", "pm"})
_TRAILING = ".,;:!?)]}'\"\u00bb\u201d\u2019>\u2026"
_HANDLE = re.compile(
    r"(\b(?:telegram|tele|tg|line(?:\s?id)?|ig|instagram|insta|tiktok|twitter|wechat|weixin|"
    r"whatsapp|wa|zalo|viber|signal|facebook|fb|kakao(?:talk)?)\b|ไลน์|เทเลแกรม|วอทส์แอป|เฟซบุ๊ก)"
    r"(?:\s*(?:id|handle|username|account|acc|number|no\.?))?\s*[:\uff1a\-]?\s*"
    r"(@[A-Za-z0-9_.]{2,64}|\+?\d[\d -]{5,18}\d|(?<=[:\uff1a])\s*[A-Za-z][A-Za-z0-9_./~@-]{2,120}"
    r"|(?<=[:\uff1a] )[A-Za-z][A-Za-z0-9_./~@-]{2,120})",
    re.IGNORECASE,
)
_LOCAL_PLATFORMS = {"ไลน์": "line", "เทเลแกรม": "telegram", "วอทส์แอป": "whatsapp",
                    "เฟซบุ๊ก": "facebook"}
_PHONE_MESSENGERS = frozenset({"whatsapp", "wa", "zalo", "viber", "signal", "telegram", "tg"})
_BANK_WINDOW = 40
_WALLET_WINDOW = 40


def _alias_regex(aliases: list[str], *, case_sensitive: bool) -> re.Pattern[str] | None:
    if not aliases:
        return None
    fold = (lambda a: a) if case_sensitive else str.lower
    ascii_ = sorted({fold(a) for a in aliases if a.isascii()})
    other = sorted({fold(a) for a in aliases if not a.isascii()})
    parts = []
    if ascii_:
        parts.append(rf"(?<!\w){trie_regex(ascii_)}(?!\w)")
    if other:  # Thai and other scripts written without spaces: no word boundaries
        parts.append(trie_regex(other))
    return re.compile("|".join(parts), 0 if case_sensitive else re.IGNORECASE)


def _bank_patterns() -> list[re.Pattern[str]]:
    """The regexes that find the surface forms of bank names."""
    surface: set[str] = set()
    for banks in load_data("banks.json").values():
        for code, spellings in banks.items():
            surface.update((code, *spellings))
    short = [f for f in surface if len(f) <= 3 and f.isascii()]
    long_ = [f for f in surface if f not in short]
    pats = [p for p in (
        _alias_regex([f.upper() for f in short], case_sensitive=True),
        _alias_regex(long_, case_sensitive=False),
    ) if p is not None]
    return pats


def _wallet_pattern() -> re.Pattern[str] | None:
    forms = [f for spec in WALLET_SPECS.values() for f in (spec["name"], *spec["aliases"])]
    return _alias_regex(forms, case_sensitive=False)


_BANK_PATTERNS = _bank_patterns()
_WALLET_PATTERN = _wallet_pattern()
# Names that are everyday words (Malay/Indonesian "dana" = funds) must match in brand case.
_WORD_BRANDS = {"dana": "DANA", "wave": "Wave", "wing": "Wing", "boost": "Boost", "maya": "Maya"}

# Cheap tests of a whole text, each a necessary condition of a pass's patterns: a text
# that fails one cannot match them, so the pass is skipped (most messages have no
# e-mail, link or long number, and each full scan costs a few microseconds).
_ANY_DIGIT = re.compile(r"\d")
_SIX_DIGITS = re.compile(r"\d(?:[ -]?\d){5}")  # within every _DIGITS match
_ME_SLASH = re.compile(r"\.me/", re.IGNORECASE)  # within every _MSG_LINK match
_ALNUM_RUN = re.compile(r"[0-9A-Za-z]{14}")  # within every _CRYPTO and _HASH match
_DOTTED_DIGITS = re.compile(r"\d\.\d")  # within every _IPV4 match
_TWO_COLONS = re.compile(r":[0-9A-Fa-f]{0,4}:")  # within every _IPV6 match
_DOT_LETTER = re.compile(r"\.[A-Za-z\u00a1-\uffff]")  # before every _HOST's last label
_HANDLE_VALUE = re.compile(r"[\d@:\uff1a]")  # every _HANDLE value needs one of these
# Every platform name of _HANDLE holds one of these, lower-cased
_PLATFORM_HINT = re.compile(trie_regex([
    "tele", "tg", "line", "ig", "insta", "tiktok", "twitter", "wechat", "weixin", "whatsapp",
    "wa", "zalo", "viber", "facebook", "fb", "kakao", "ไลน์", "เทเลแกรม", "วอทส์แอป", "เฟซบุ๊ก"]))
# the only characters that match a Latin letter under IGNORECASE and do not lower to it
_CASE_ODDITIES = re.compile("[\u0130\u0131\u017f]")


def _may_be_defanged(text: str) -> bool:
    """False when `text` holds no defanged form: every one is a bracket before ".", ":",
    "@", "dot", "at" or "xx" (`h[xx]p`), or a scheme whose "xp" is followed by "://" or "["."""
    return bool(_BRACKETED.search(text) or (("://" in text or "[" in text)
                                            and _XP_SCHEME.search(text.lower())))


def _may_name_platform(text: str) -> bool:
    """False when `text` names no messenger platform of `_HANDLE`; sought in the lower-cased
    text, as a case-sensitive pattern is scanned several times faster than IGNORECASE."""
    return bool(_PLATFORM_HINT.search(text.lower()) or _CASE_ODDITIES.search(text))


class _Scan:
    """Collects observables and rejections, and the spans already claimed."""

    def __init__(self, text: str, country: str | None) -> None:
        self.text = text
        self.country = country
        self.found: list[tuple[int, Observable]] = []
        self.rejected: list[Rejected] = []
        self.claimed: list[tuple[int, int]] = []

    def free(self, start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in self.claimed)

    def add(self, start: int, end: int, kind: Kind | None, value: str,
            fn: Callable[[], Observable], *, claim: bool = True,
            report: bool = True) -> Observable | None:
        """Validate and record a candidate; a refused one is kept only when `report`."""
        try:
            obs = fn()
        except InvalidObservable as exc:
            if report:
                self.rejected.append(Rejected(value=value, reason=exc.detail, kind=kind,
                                              start=start))
            return None
        self.found.append((start, obs))
        if claim:
            self.claimed.append((start, end))
        return obs


def _trim(s: str) -> str:
    while s and s[-1] in _TRAILING:
        if s[-1] == ")" and s.count("(") >= s.count(")"):
            break
        s = s[:-1]
    return s


def _unclaimed(scan: _Scan, pattern: re.Pattern[str]) -> Iterator[re.Match[str]]:
    for m in pattern.finditer(scan.text):
        if scan.free(m.start(), m.end()):
            yield m


def _pass_simple(scan: _Scan) -> None:
    text = scan.text
    if "@" in text:
        for m in _unclaimed(scan, _EMAIL):
            v = _trim(m.group())
            scan.add(m.start(), m.start() + len(v), Kind.EMAIL, v, partial(email, v))
    if _ME_SLASH.search(text):
        _pass_messenger_links(scan)
    if "://" in text:
        for m in _unclaimed(scan, _URL):
            v = _trim(m.group())
            scan.add(m.start(), m.start() + len(v), Kind.URL, v, partial(url, v))
    if _ALNUM_RUN.search(text):
        for m in _unclaimed(scan, _CRYPTO):
            scan.add(m.start(), m.end(), Kind.CRYPTO, m.group(), partial(crypto, m.group()))
        for m in _unclaimed(scan, _HASH):
            scan.add(m.start(), m.end(), None, m.group(), partial(file_hash, m.group()))
    if _DOTTED_DIGITS.search(text):
        for m in _unclaimed(scan, _IPV4):
            scan.add(m.start(), m.end(), Kind.IPV4, m.group(), partial(ip, m.group()))
    if _TWO_COLONS.search(text):
        _pass_ipv6(scan)


def _pass_messenger_links(scan: _Scan) -> None:
    for m in _unclaimed(scan, _MSG_LINK):
        if m.group(1):
            plat, name = "telegram", m.group(2)
        elif m.group(3):
            plat, name = "whatsapp", m.group(4)
        else:
            plat, name = "line", m.group(6)
        scan.add(m.start(), m.end(), Kind.HANDLE, m.group(),
                 partial(handle, plat, name, scan.country))


def _pass_ipv6(scan: _Scan) -> None:
    for m in _unclaimed(scan, _IPV6):
        if m.group().count(":") >= 2 and any(c.isalnum() for c in m.group()):
            try:
                obs = ip(m.group())
            except InvalidObservable:
                continue  # times and ratios look like this; not worth a rejection
            scan.found.append((m.start(), obs))
            scan.claimed.append((m.start(), m.end()))


def _service_number(digits: str, bank: tuple[str, str] | None) -> bool:
    """A toll-free / shared-cost / premium number of the bank's country: a hotline."""
    if bank is None:
        return False
    try:
        typ = phone(digits, bank[0]).attr("type")
    except InvalidObservable:
        return False
    return typ not in ("mobile", "fixed_line", "fixed_line_or_mobile")


def _wallet_mentions(text: str) -> Iterator[tuple[re.Match[str], str]]:
    """Each e-wallet provider name in `text`, with its provider code."""
    if _WALLET_PATTERN is None:
        return
    for m in _WALLET_PATTERN.finditer(text):
        word = m.group()
        brand = _WORD_BRANDS.get(word.lower())
        if brand is not None and word != brand and word != brand.upper():
            continue
        provider = WALLET_ALIASES.get(collapse(word))
        if provider is not None:
            yield m, provider


def wallet_providers(text: str) -> list[str]:
    """Codes of the e-wallet providers `text` names ("paid to GCash" -> ["gcash"]), in order.

    The same matching as extraction: whole words, and names that are everyday
    words ("dana", "boost", "wave") only in their brand's case.
    """
    return list(dict.fromkeys(p for _, p in _wallet_mentions(text[:MAX_TEXT])))


def _not_an_account(d: re.Match[str], amounts: list[tuple[int, int]]) -> bool:
    """A digit run that is a date or the number of an amount with its currency."""
    return date_like(d.group()) or any(a <= d.start() and d.end() <= b for a, b in amounts)


def _first_number(text: str, start: int, end: int) -> re.Match[str] | None:
    """The first digit run from `start` (ending by `end`) that is not in a date with a
    month name; a run that overlaps one is read again from the date's end ("Maybank 12
    March 2025 5140 1234 5678": the account, not "2025 5140 1234 5678")."""
    pos = start
    while (d := _DIGITS.search(text, pos, end)) is not None:
        dates = date_spans(text, d.start(), d.end())
        if not dates:
            return d
        pos = max(b for _, b in dates)  # past the start of `d`: the date overlaps it
    return None


def _mobile(digits: str, country: str | None) -> bool:
    """`digits` is a mobile number of `country` as written there."""
    if country is None:
        return False
    try:
        return phone(digits, country).attr("type") in ("mobile", "fixed_line_or_mobile")
    except InvalidObservable:
        return False


def _named_otherwise(text: str, name: re.Match[str], d: re.Match[str]) -> bool:
    """A cue word between the name and the number, before the name or after the number
    calls the number a code or an id (`cues.py`)."""
    return bool(CODE_WORDS.search(text, name.end(), d.start()) or cue_before(text, name.start())
                or cue_after(text, d.end()))


def _pass_accounts(scan: _Scan) -> None:
    text = scan.text
    if not _SIX_DIGITS.search(text):
        return  # no account or e-wallet number to attach to a name
    wallets = list(_wallet_mentions(text))
    amounts = amount_spans(text)
    # A bank name inside an e-wallet's name ("AYA Pay", "KBZ Pay") names the wallet.
    mentions = sorted((m for pat in _BANK_PATTERNS for m in pat.finditer(text)
                       if not any(w.start() <= m.start() and m.end() <= w.end()
                                  for w, _ in wallets)),
                      key=lambda m: m.start())
    for i, m in enumerate(mentions):
        # The same rule as every other source (accounts.resolve_bank): the agency's country
        # when the bank is there, else the one country the name belongs to.
        try:
            bank: tuple[str, str] | None = resolve_bank(m.group(), default_country=scan.country)
            why = ""
        except InvalidObservable as exc:
            bank, why = None, exc.detail
        # The number belongs to the nearest bank name before it.
        window_end = m.end() + _BANK_WINDOW
        if i + 1 < len(mentions):
            window_end = min(window_end, mentions[i + 1].start())
        # endpos leaves room for a whole digit run (20 digits and separators) that starts in time.
        d = _first_number(text, m.end(), window_end + 40)
        if d is None or d.start() >= window_end or not scan.free(d.start(), d.end()):
            continue
        if d.group().startswith("+") or _not_an_account(d, amounts):
            continue
        if CALL_WORDS.search(text, m.end(), d.start()) or _service_number(d.group(), bank):
            continue  # "Maybank hotline 1300 88 6688": the bank's number, not an account
        if _named_otherwise(text, m, d):
            continue  # "KTB OTP for NEXT Application is 890321": a code, not an account
        if bank is None:
            scan.rejected.append(Rejected(d.group(), why, Kind.BANK_ACCOUNT, d.start()))
            continue
        cc, code = bank
        # Digits that also read as a mobile number are left to the phone pass as well.
        scan.add(d.start(), d.end(), Kind.BANK_ACCOUNT, d.group(),
                 partial(bank_account, cc, code, d.group()),
                 claim=not _mobile(d.group(), scan.country))
    for m, provider in wallets:
        d = _first_number(text, m.end(), m.end() + _WALLET_WINDOW + 40)
        if d is None or d.start() >= m.end() + _WALLET_WINDOW or not scan.free(d.start(), d.end()):
            continue
        if _not_an_account(d, amounts) or _named_otherwise(text, m, d):
            continue  # "WaveMoney: 700000Ks, TID:9676862249": a transaction id
        # The wallet does not claim the digits: the phone pass may still read them.
        scan.add(d.start(), d.end(), Kind.EWALLET, d.group(),
                 partial(ewallet, provider, d.group(), scan.country), claim=False)


def _pass_handles(scan: _Scan) -> None:
    if not _HANDLE_VALUE.search(scan.text) or not _may_name_platform(scan.text):
        return
    for m in _unclaimed(scan, _HANDLE):
        plat = m.group(1).lower().replace(" ", "")
        plat = _LOCAL_PLATFORMS.get(plat, "line" if plat.startswith("line") else plat)
        val = _trim(m.group(2).strip())
        is_number = val.lstrip("+")[:1].isdigit()
        if is_number and plat not in _PHONE_MESSENGERS:
            continue
        start = m.start(2)
        scan.add(start, m.end(), Kind.HANDLE, val,
                 partial(handle, plat, val, scan.country), claim=not is_number)


@lru_cache(maxsize=PHONE_CACHE_SIZE)
def _verified(candidate: str, region: str, before: str, after: str) -> PhoneNumber | None:
    """`PhoneNumberMatcher`'s parse-and-verify step for one candidate, memoised: besides
    the candidate and the region it reads only the character either side of it."""
    matcher = PhoneNumberMatcher(before + candidate + after, region, leniency=Leniency.VALID)
    found = matcher._parse_and_verify(candidate, len(before))
    return None if found is None else found.number


class _Matcher(PhoneNumberMatcher):
    """The library's matcher with its costly step (`phonenumbers.parse` and validation of
    each candidate, ~50 us) cached: the same numbers, codes and dates recur across
    messages forwarded in bulk."""

    def _parse_and_verify(self, candidate: str, offset: int) -> PhoneNumberMatch | None:
        end = offset + len(candidate)
        number = _verified(candidate, self.preferred_region,
                           self.text[offset - 1:offset] if offset else "", self.text[end:end + 1])
        return None if number is None else PhoneNumberMatch(offset, candidate, number)


def _pass_phones(scan: _Scan) -> None:
    text = scan.text
    # Without a default country only numbers written with + can parse; none without a digit.
    if not (("+" in text or "\uff0b" in text) if scan.country is None
            else _ANY_DIGIT.search(text)):
        return
    for pm in _Matcher(text, scan.country or "ZZ", leniency=Leniency.VALID):
        if not scan.free(pm.start, pm.end):
            continue
        e164 = phonenumbers.format_number(pm.number, phonenumbers.PhoneNumberFormat.E164)
        scan.add(pm.start, pm.end, Kind.PHONE, pm.raw_string, partial(phone, e164))


def _pass_domains(scan: _Scan) -> None:
    if not _DOT_LETTER.search(scan.text):
        return
    for m in _unclaimed(scan, _HOST):
        host, path = m.group(1), m.group(2)
        raw_tld = host.rsplit(".", 1)[-1]
        tld = raw_tld.lower()
        www = host.lower().startswith("www.")
        if tld in _FILE_TLDS and not www:
            continue
        if not www and not path and raw_tld != tld and raw_tld != raw_tld.upper():
            continue  # "end of sentence.Next one": a missing space, not a domain
        if path and len(_trim(path)) > 1:
            # A refused "host/path" is worth reporting only when its host is written like
            # one (`scb.xycittop/th`); Thai abbreviations end in a dot (`500บ.ขึ้นไป/สลิป`).
            v = _trim(host + path)
            scan.add(m.start(), m.start() + len(v), Kind.URL, v, partial(url, v),
                     report=bool(_LATIN_LABELS.search(host)))
            continue
        try:
            obs = domain(host)
        except InvalidObservable:
            continue  # "e.g.", "file.txt", abbreviations: not worth a rejection
        scan.found.append((m.start(), obs))
        scan.claimed.append((m.start(), m.end()))


def _refang_text(text: str) -> str:
    if not _may_be_defanged(text):
        return text
    return _DEFANG_TEXT.sub(lambda m: _DEFANG_MAP.get(m.group().lower(), m.group()), text)


def extract_entities_with_rejections(
    text: str, *, country: str | None = None
) -> tuple[list[Observable], list[Rejected]]:
    """Identifiers found in `text` (de-duplicated, in order) and the candidates refused."""
    if not isinstance(text, str):
        raise InvalidObservable("text must be a string", field="text", value=repr(text))
    cc = country.strip().upper() if country else None
    if cc is not None and cc not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidObservable(f"unknown country code {country!r}", field="country",
                                value=country)
    scan = _Scan(_refang_text(text[:MAX_TEXT]), cc)
    _pass_simple(scan)
    _pass_accounts(scan)
    _pass_handles(scan)
    _pass_phones(scan)
    _pass_domains(scan)
    seen: set[str] = set()
    out: list[Observable] = []
    for _, obs in sorted(scan.found, key=lambda t: t[0]):
        if obs.ref not in seen:
            seen.add(obs.ref)
            out.append(obs)
    return out, sorted(scan.rejected, key=lambda r: r.start)


def extract_entities(text: str, *, country: str | None = None) -> list[Observable]:
    """Identifiers found in `text`, de-duplicated, in order of first appearance."""
    return extract_entities_with_rejections(text, country=country)[0]


__all__ = ["Rejected", "extract_entities", "extract_entities_with_rejections", "refang",
           "wallet_providers"]
