"""Money amounts in free text: `RM 5,000`, `USD 1.2k`, `฿3,000`, `5.000.000 VND`, `Rp 2 juta`.

Returns (amount, ISO 4217 code) pairs in order of appearance.  Separators
are read by the usual conventions: with both `,` and `.` the last one is the
decimal mark; a single kind of separator followed by groups of exactly three
digits is a thousands separator when repeated or when the currency has no
minor unit in everyday use (IDR, VND, KRW, JPY, LAK, KHR, MMK), otherwise a
decimal mark.  Multipliers in the languages of the region are understood
(k, m, juta/jt, ribu/rb, triệu/tr, nghìn/ngàn, tỷ, bn, mil, million).  A bare
`$` is read as USD; `¥` as JPY (write CNY, RMB or 元 for the yuan).

Speed (the detector reads amounts in every message it scores): the currency and
multiplier words are matched as prefix tries (`trie_regex`), not flat
alternations, which `re` would try word by word at every position under
IGNORECASE.  The matches are the same: both try a longer word before any word
that is a prefix of it, and two words can only both match at one position when
one is a prefix of the other.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from bersama.observables._common import trie_regex

_CURRENCIES: dict[str, str] = {
    "rm": "MYR", "myr": "MYR", "ringgit": "MYR",
    "s$": "SGD", "sg$": "SGD", "sgd": "SGD",
    "฿": "THB", "thb": "THB", "baht": "THB", "บาท": "THB",
    "rp": "IDR", "rp.": "IDR", "idr": "IDR", "rupiah": "IDR",
    "₱": "PHP", "php": "PHP", "peso": "PHP", "pesos": "PHP", "piso": "PHP",
    "₫": "VND", "vnd": "VND", "đ": "VND", "dong": "VND", "đồng": "VND", "vnđ": "VND",
    "mmk": "MMK", "kyat": "MMK", "kyats": "MMK", "ks": "MMK",
    "៛": "KHR", "khr": "KHR", "riel": "KHR", "riels": "KHR",
    "₭": "LAK", "lak": "LAK", "kip": "LAK",
    "b$": "BND", "bnd": "BND",
    "us$": "USD", "usd": "USD", "$": "USD",
    "a$": "AUD", "aud": "AUD",
    "¥": "JPY", "jpy": "JPY", "yen": "JPY", "円": "JPY",
    "cny": "CNY", "rmb": "CNY", "元": "CNY", "人民币": "CNY", "yuan": "CNY",
    "₩": "KRW", "krw": "KRW", "won": "KRW", "원": "KRW",
    "€": "EUR", "eur": "EUR", "£": "GBP", "gbp": "GBP", "inr": "INR", "₹": "INR",
    "hk$": "HKD", "hkd": "HKD", "nz$": "NZD", "nzd": "NZD",
}
_ONE = Decimal(1)
T = TypeVar("T")
_NO_MINOR = frozenset({"IDR", "VND", "KRW", "JPY", "LAK", "KHR", "MMK"})
_MULT: dict[str, Decimal] = {
    "k": Decimal(1000), "rb": Decimal(1000), "ribu": Decimal(1000), "nghìn": Decimal(1000),
    "ngàn": Decimal(1000), "ngan": Decimal(1000), "nghin": Decimal(1000),
    "thousand": Decimal(1000), "libo": Decimal(1000),
    "m": Decimal(10**6), "mil": Decimal(10**6), "million": Decimal(10**6),
    "juta": Decimal(10**6), "jt": Decimal(10**6), "triệu": Decimal(10**6),
    "tr": Decimal(10**6), "trieu": Decimal(10**6), "milyon": Decimal(10**6),
    "bn": Decimal(10**9), "billion": Decimal(10**9), "b": Decimal(10**9),
    "tỷ": Decimal(10**9), "ty": Decimal(10**9), "miliar": Decimal(10**9),
}

_CUR = trie_regex(list(_CURRENCIES))
_MUL = trie_regex(list(_MULT))
_NUM = r"\d{1,3}(?:[.,\u00a0 ]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d+)?"
_AMOUNT = re.compile(
    rf"(?<![\w$])(?P<pre>{_CUR})\s?(?P<n1>{_NUM})(?:\s?(?P<m1>{_MUL})(?!\w))?"
    rf"|(?<![\w.,])(?P<n2>{_NUM})(?:\s?(?P<m2>{_MUL})(?!\w))?\s?(?P<post>{_CUR})(?!\w)",
    re.IGNORECASE,
)


def _number(text: str, currency: str) -> Decimal | None:
    s = text.replace("\u00a0", " ").replace(" ", "")
    has_dot, has_comma = "." in s, "," in s
    if has_dot and has_comma:
        dec = "." if s.rfind(".") > s.rfind(",") else ","
        s = s.replace("," if dec == "." else ".", "").replace(dec, ".")
    elif has_dot or has_comma:
        sep = "." if has_dot else ","
        parts = s.split(sep)
        grouped = all(len(p) == 3 for p in parts[1:])
        if grouped and (len(parts) > 2 or currency in _NO_MINOR or sep == ","):
            s = "".join(parts)
        elif len(parts) == 2:
            s = parts[0] + "." + parts[1]
        else:
            return None
    try:
        return Decimal(s)
    except InvalidOperation:
        return None


def _lookup(table: dict[str, T], word: str) -> T:
    """`table`'s entry for a word its IGNORECASE pattern matched.  Lower-casing finds
    almost all; a few letters match case-insensitively without lowering to the table's
    (dotted and dotless i, long s, the Kelvin sign), so those are matched as `re` did."""
    hit = table.get(word.lower())
    if hit is None:
        hit = next(v for k, v in table.items()
                   if re.fullmatch(re.escape(k), word, re.IGNORECASE))
    return hit


def amount_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each amount with its currency word in `text`, for the entity
    extractor: digits inside one are money, not an account or a phone number."""
    return [m.span() for m in _AMOUNT.finditer(text)]


def extract_amounts(text: str) -> list[tuple[Decimal, str]]:
    """Money amounts with their ISO 4217 currency, in order of appearance."""
    out: list[tuple[Decimal, str]] = []
    for m in _AMOUNT.finditer(text):
        cur_word = m.group("pre") or m.group("post")
        currency = _lookup(_CURRENCIES, cur_word)
        raw = m.group("n1") or m.group("n2")
        mult = m.group("m1") or m.group("m2")
        value = _number(raw, currency)
        if value is None:
            continue
        if mult:
            value *= _lookup(_MULT, mult)
        value = value.normalize()
        if value == value.to_integral_value():
            try:
                value = value.quantize(_ONE)
            except InvalidOperation:  # more digits than a Decimal holds: no one lost that
                continue
        out.append((value, currency))
    return out
