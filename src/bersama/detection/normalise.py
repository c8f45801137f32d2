# ruff: noqa: RUF001, RUF002 - the homoglyph table is made of look-alike letters on purpose
"""Text normalisation and typed entity tokens for the scam classifier.

Why: scammers write to defeat filters (zero-width characters inside words,
Cyrillic "а" for Latin "a", "fr33"), and the identifiers in a message (a link,
a phone number, an amount, a bank or agency name) matter as *kinds*, not as
values: "RM 3,000" and "Rp 500.000" should push the score the same way.  So the
classifier sees a folded text in which each entity is replaced by a typed
token (`__URL__`, `__PHONE__`, `__MONEY__` ...); the same tokens are shown to
the analyst as evidence.  The exact, normalised identifiers for correlation
come from `bersama.observables.extract` (see `bersama.detection.entities`);
the spans here are only for features and must stay fast.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

ZERO_WIDTH = dict.fromkeys(
    [0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064,
     0xFEFF, 0x00AD, 0x180E, 0x034F],
)

# Cyrillic and Greek letters that look like Latin ones.  Folded only inside
# words that also hold Latin letters, so genuine Cyrillic/Greek text survives.
_HOMOGLYPHS = {
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i",
    "ј": "j", "ѕ": "s", "ԁ": "d", "ɡ": "g", "һ": "h", "ӏ": "l", "к": "k", "м": "m",
    "т": "t", "в": "b", "н": "h", "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M",
    "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T", "Х": "X", "У": "Y", "І": "I",
    "α": "a", "ο": "o", "ρ": "p", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "τ": "t",
    "υ": "u", "χ": "x", "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I",
    "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
}
_HOMO_TABLE = str.maketrans(_HOMOGLYPHS)
_HOMO_CHARS = re.compile("[" + "".join(_HOMOGLYPHS) + "]")
_LEET_TABLE = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t",
                             "@": "a", "$": "s"})
# a word of letters with a few leet digits/symbols inside, e.g. fr33, p@ypal, v1agra
_LEET_WORD = re.compile(r"(?<![\w@$])[a-z]+[013457@$][a-z013457@$]*(?<![@$])(?![\w@$])")

TOKENS = ("__URL__", "__EMAIL__", "__PHONE__", "__MONEY__", "__CRYPTO__", "__BANK__",
          "__WALLET__", "__BRAND__", "__AGENCY__", "__COURIER__", "__APK__", "__OTP__")

_CUR = (r"(?:rm|myr|rp|idr|฿|บาท|thb|₱|php|peso|pesos|usd|us\$|\$|s\$|sgd|£|€|eur|gbp|ks|kyat|mmk"
        r"|vnd|₫|đồng|đ|riel|khr|kip|lak|₭|¥|元|rmb|cny|usdt|jpy|円|₩|krw|원|ดอลลาร์"
        r"|ringgit|rupiah|baht|dollars?|dong|pounds?)")
_MULT = r"(?:k|juta|ribu|triệu|ล้าน|พัน|万|億|lakh|million)"
_NUM_RE = re.compile(r"\d{1,3}(?:[,. ]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?")
_CUR_BEFORE = re.compile(_CUR + r"\s?$", re.IGNORECASE)
_CUR_AFTER = re.compile(r"\s?(?:" + _MULT + r"\s?)?" + _CUR + r"(?![a-z])", re.IGNORECASE)
_MULT_AFTER = re.compile(r"\s?" + _MULT + r"(?![a-z])", re.IGNORECASE)

# Checked in this order; an earlier kind wins where spans overlap.
_PATTERNS: list[tuple[str, str]] = [
    ("__EMAIL__", r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    ("__URL__", r"(?:https?://|www\.)\S+|\b[a-z0-9][a-z0-9-]{0,62}(?:\.[a-z0-9-]{1,63})*"
                r"\.(?:com|net|org|info|xyz|top|club|site|online|shop|vip|cc|me|ly|io|co|in|to"
                r"|my|sg|th|ph|id|vn|kh|la|mm|bn|app|link|live|asia|win|bet|gl|gd|ee|tk|ml"
                r"|ga|cf|gq|pw|ws|biz|pro|icu|buzz|cyou|sbs|cfd|bond|lol|click|tech|cloud|show"
                r"|cn|hk|tw|jp|kr|au|nz|uk|de|fr|es|nl|ru|br|mx|ca)(?:\.[a-z]{2})?(?![a-z0-9-])(?:/\S*)?"),
    ("__CRYPTO__", r"\b(?:0x[0-9a-f]{40}|bc1[a-z0-9]{25,59}|[13][a-km-zA-HJ-NP-Z1-9]{25,34}"
                   r"|T[1-9A-HJ-NP-Za-km-z]{33})\b"),
    ("__APK__", r"\S+\.apk\b"),
    ("__OTP__", r"\b(?:otp|one[- ]time (?:password|pin))\b|รหัส\s?otp|mã otp"),
    ("__PHONE__", r"(?<![\w.])\+?\d[\d\s().-]{6,16}\d(?!\w)"),
    ("__BANK__", r"(?<!\w)\d{9,16}(?!\w)"),
]
_ORDER = {t: i for i, t in enumerate(["__EMAIL__", "__URL__", "__CRYPTO__", "__APK__", "__OTP__",
                                       "__MONEY__", "__PHONE__", "__BANK__", "__WALLET__",
                                       "__COURIER__", "__AGENCY__", "__BRAND__"])}


@dataclass(frozen=True, slots=True)
class Span:
    token: str
    start: int
    end: int
    text: str


@lru_cache(maxsize=1)
def brand_entries() -> list[dict[str, Any]]:
    """The bundled regional brand and agency list (see data/brands.json)."""
    raw = resources.files("bersama.detection").joinpath("data/brands.json").read_text("utf-8")
    entries: list[dict[str, Any]] = json.loads(raw)["entries"]
    return entries


_KIND_TOKEN = {"bank": "__BANK__", "wallet": "__WALLET__", "courier": "__COURIER__",
               "agency": "__AGENCY__", "platform": "__BRAND__"}


def trie_pattern(words: list[str]) -> str:
    """One regex alternation for many literal words, factored by common prefixes.

    Python's `re` tries alternatives one by one; a prefix tree lets it reject a
    position after one character, which is what makes the brand and lexicon
    scans cheap."""
    root: dict[str, Any] = {}
    for w in words:
        node = root
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        alts = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 and len(alts[0]) == 1 else f"(?:{'|'.join(alts)})"
        return f"(?:{body})?" if "" in node else body

    return emit(root)


_HAS_DIGIT = re.compile(r"\d")
_NON_DIGIT = re.compile(r"\D+")
_URL_HINT = re.compile(r"://|www\.|\.[a-z]{2,6}\b", re.IGNORECASE)
_OTP_HINT = re.compile(r"otp|one[- ]time", re.IGNORECASE)


# Every alternative of _CUR contains one of these: a cheap test before the money scan.
_CUR_HINT = re.compile(trie_pattern(sorted({
    "rm", "myr", "rp", "idr", "฿", "บาท", "thb", "₱", "php", "peso", "usd", "$", "sgd", "£",
    "€", "eur", "gbp", "ks", "kyat", "mmk", "vnd", "₫", "đ", "riel", "khr", "kip", "lak", "₭",
    "¥", "元", "rmb", "cny", "jpy", "円", "₩", "krw", "원", "ดอลลาร์", "ringgit", "rupiah",
    "baht", "dollar", "dong", "pound"})))
_LONG_WORD = re.compile(r"\w{25}")
_LONG_DIGITS = re.compile(r"\d{9}")
# Patterns run on the lower-cased text (same offsets), so they need no IGNORECASE.
_ON_LOWER = frozenset({"__EMAIL__", "__URL__", "__APK__", "__OTP__"})


def _gate(token: str) -> Any:
    """A cheap test a text must pass before a pattern is run on it."""
    gates: dict[str, Any] = {
        "__EMAIL__": lambda t: "@" in t, "__URL__": _URL_HINT.search,
        "__APK__": lambda t: ".apk" in t, "__OTP__": _OTP_HINT.search,
        "__CRYPTO__": _LONG_WORD.search, "__BANK__": _LONG_DIGITS.search,
    }
    return gates.get(token, _HAS_DIGIT.search)


@lru_cache(maxsize=1)
def _compiled() -> tuple[list[tuple[str, re.Pattern[str], Any]], re.Pattern[str], dict[str, str]]:
    """(gated patterns, one prefix-tree regex over every brand alias, alias -> token)."""
    pats = [(t, re.compile(p, 0 if t in _ON_LOWER else re.IGNORECASE), _gate(t))
            for t, p in _PATTERNS]
    kind_of: dict[str, str] = {}
    for e in brand_entries():
        tok = _KIND_TOKEN[e["kind"]]
        for a in e["aliases"]:
            key = clean(a).lower()
            if key not in kind_of or _ORDER[tok] < _ORDER[kind_of[key]]:
                kind_of[key] = tok
    # whole words in Latin script; plain substrings in scripts without spaces
    rx = re.compile(f"(?<![a-z0-9])(?:{trie_pattern(sorted(kind_of))})(?![a-z0-9])")
    return pats, rx, kind_of


_ZW_RE = re.compile("[" + "".join(map(chr, ZERO_WIDTH)) + "]")


def clean(text: str) -> str:
    """NFKC and zero-width removal: the form that entities are read from."""
    text = unicodedata.normalize("NFKC", text)
    return text.translate(ZERO_WIDTH) if _ZW_RE.search(text) else text


def _money(text: str) -> list[Span]:
    out: list[Span] = []
    for m in _NUM_RE.finditer(text):
        s, e = m.start(), m.end()
        b = _CUR_BEFORE.search(text, max(0, s - 8), s)
        if b is not None:
            s = b.start()
            mult = _MULT_AFTER.match(text, e)
            if mult:
                e = mult.end()
        else:
            a = _CUR_AFTER.match(text, e)
            if a is None:
                continue
            e = a.end()
        out.append(Span("__MONEY__", s, e, text[s:e]))
    return out


# One scan of a whole batch says which texts need which patterns.
_HINTS = re.compile(
    r"(\d+)|(@)|(://|www\.|\.[a-z]{2,6}\b)|(\.apk)|(otp|one[- ]time)|(" + _CUR_HINT.pattern + ")")
_DIGIT, _AT, _URLISH, _APKISH, _OTPISH, _MONEYISH, _LONG_DIGITS_RUN = (1 << i for i in range(7))
_NEEDS = {"__EMAIL__": _AT, "__URL__": _URLISH, "__APK__": _APKISH, "__OTP__": _OTPISH,
          "__CRYPTO__": _DIGIT, "__PHONE__": _DIGIT, "__BANK__": _LONG_DIGITS_RUN}


def _hints(low: str, bounds: list[int]) -> list[int]:
    """Per text of a joined, lower-cased batch: which kinds of entity it may hold."""
    flags = [0] * (len(bounds) - 1)
    doc = 0
    for m in _HINTS.finditer(low):
        while m.start() >= bounds[doc + 1]:
            doc += 1
        group = m.lastindex or 1
        bit = 1 << (group - 1)
        if group == 1 and m.end() - m.start() >= 9:
            bit |= _LONG_DIGITS_RUN
        flags[doc] |= bit
    return flags


def spans(text: str) -> list[Span]:
    """Typed entity spans in a cleaned text, left to right, not overlapping."""
    return spans_many([text])[0]


def spans_many(texts: list[str]) -> list[list[Span]]:
    """`spans` for a batch: hints and brand names in one scan of the joined batch, then
    only the patterns each text may match."""
    joined = _SEP.join(texts)
    low = joined.lower()
    if len(low) != len(joined):  # lower() moved offsets (a few letters do): one by one
        return [_spans_one(t) if len(t.lower()) != len(t) else spans_many([t])[0]
                for t in texts]
    bounds = [0]
    for t in texts:
        bounds.append(bounds[-1] + len(t) + 1)
    flags = _hints(low, bounds)
    pats, brands, kind_of = _compiled()
    found: list[list[Span]] = [[] for _ in texts]
    doc = 0
    for m in brands.finditer(low):
        while m.start() >= bounds[doc + 1]:
            doc += 1
        a, b = m.start() - bounds[doc], m.end() - bounds[doc]
        found[doc].append(Span(kind_of[m.group()], a, b, texts[doc][a:b]))
    for i, (text, f) in enumerate(zip(texts, flags, strict=True)):
        if f:
            found[i] += _pattern_spans(text, low[bounds[i]:bounds[i + 1] - 1], f, pats)
    return [_resolve(f) if f else f for f in found]


def _pattern_spans(text: str, low: str, flags: int,
                   pats: list[tuple[str, re.Pattern[str], Any]]) -> list[Span]:
    found: list[Span] = _money(text) if flags & _DIGIT and flags & _MONEYISH else []
    for tok, rx, gate in pats:
        if not flags & _NEEDS[tok] or (tok == "__CRYPTO__" and not gate(text)):
            continue
        for m in rx.finditer(low if tok in _ON_LOWER else text):
            if tok == "__PHONE__" and len(_NON_DIGIT.sub("", m.group())) < 8:
                continue
            found.append(Span(tok, m.start(), m.end(), text[m.start():m.end()]))
    return found


def _resolve(found: list[Span]) -> list[Span]:
    """Left to right; where spans overlap the earlier, then higher-priority kind wins."""
    found.sort(key=lambda sp: (sp.start, _ORDER[sp.token], -sp.end))
    out: list[Span] = []
    end = -1
    for sp in found:
        if sp.start >= end:
            out.append(sp)
            end = sp.end
    return out


def _spans_one(text: str) -> list[Span]:
    """The slow path, for a text whose lower-cased form has other offsets."""
    pats, brands, kind_of = _compiled()
    found = _money(text) if _HAS_DIGIT.search(text) else []
    for m in re.compile(brands.pattern, re.IGNORECASE).finditer(text):
        kind = kind_of.get(m.group().lower())
        if kind:
            found.append(Span(kind, m.start(), m.end(), m.group()))
    for tok, pat, _gate in pats:
        rx = re.compile(pat.pattern, re.IGNORECASE) if tok in _ON_LOWER else pat
        for m in rx.finditer(text):
            if tok == "__PHONE__" and len(_NON_DIGIT.sub("", m.group())) < 8:
                continue
            found.append(Span(tok, m.start(), m.end(), text[m.start():m.end()]))
    return _resolve(found)


def _fold_word(m: re.Match[str]) -> str:
    w = m.group()
    return w.translate(_HOMO_TABLE) if re.search(r"[a-zA-Z]", w) else w


def _unleet(m: re.Match[str]) -> str:
    w = m.group()
    letters = sum(c.isalpha() for c in w)
    if letters >= 2 and letters < len(w) <= letters + 3:
        return w.translate(_LEET_TABLE)
    return w


def fold(text: str) -> str:
    """Lower-case, homoglyph- and leetspeak-folded form of text without entities."""
    if _HOMO_CHARS.search(text):
        text = re.sub(r"\w+", _fold_word, text)
    text = text.lower()
    if any(c in text for c in "013457@$"):
        text = _LEET_WORD.sub(_unleet, text)
    return text


@dataclass(frozen=True, slots=True)
class Normalised:
    cleaned: str
    """NFKC, zero-width removed: entities are extracted from this."""
    tokenised: str
    """Folded text with typed tokens in place of entities: what the model reads."""
    spans: tuple[Span, ...]


# Typed tokens stand in the text as private-use characters while it is folded, so
# that lower-casing and leetspeak folding never touch them; then they are spelled out.
_PLACE = {tok: chr(0xF000 + i) for i, tok in enumerate(TOKENS)}
_SPELL = {ord(c): f" {tok} " for tok, c in _PLACE.items()}
_SPELL_MASKED = {**_SPELL, ord(_PLACE["__URL__"]): " ", ord(_PLACE["__EMAIL__"]): " "}
_PLACED = re.compile("[\uf000-\uf0ff]")
_PLACE_RANGE = re.compile("[\uf000-\uf0ff\x00]")
_SEP = "\x00"


def normalise_many(texts: list[str], *, mask_urls: bool = False) -> list[Normalised]:
    """Clean, find entity spans, replace them with typed tokens, fold the rest: a batch.

    The folding runs once over the whole batch (one string, texts separated by
    NUL); `mask_urls=True` drops URLs altogether (no token): used to check the
    model does not merely learn "has a link".
    """
    cleaned = [clean(t) for t in texts]
    found = spans_many(cleaned)
    pieces: list[str] = []
    for text, sps in zip(cleaned, found, strict=True):
        c = _PLACE_RANGE.sub("\ufffd", text) if _PLACE_RANGE.search(text) else text
        pos = 0
        for sp in sps:
            pieces += (c[pos:sp.start], _PLACE[sp.token])
            pos = sp.end
        pieces += (c[pos:], _SEP)
    spell = _SPELL_MASKED if mask_urls else _SPELL
    folded = _PLACED.sub(lambda m: spell[ord(m.group())], fold("".join(pieces)))
    docs = folded.split(_SEP)[:-1]
    return [Normalised(c, " ".join(d.split()), tuple(sps))
            for c, d, sps in zip(cleaned, docs, found, strict=True)]


def normalise(text: str, *, mask_urls: bool = False) -> Normalised:
    """`normalise_many` for one text."""
    return normalise_many([text], mask_urls=mask_urls)[0]
