"""Small helpers shared by the normalisers and extractors: building observables,
refusing values, and matching many literal words in one regex.

Every normaliser refuses bad input the same way (`invalid`) so callers get a
`bersama.errors.InvalidObservable` naming the field and value, and builds its
result the same way (`make`) so `attrs` are always sorted and string-valued,
as the `Observable` contract requires.  The free-text scanners (bank and
e-wallet names, platform names, currencies and multipliers) turn their word
lists into regexes with `trie_regex`: a prefix trie is scanned several times
faster than a flat alternation.
"""

from __future__ import annotations

import re
from typing import NoReturn

from bersama.errors import InvalidObservable
from bersama.observables.model import Kind, Observable

CACHE_SIZE = 16_384
"""LRU entries per normaliser (~0.7 kB each).  Repeated values (one mule number in many
reports) then cost a dict lookup; the bound keeps a long-running process's memory flat."""
PHONE_CACHE_SIZE = 32_768
"""Phone numbers are the costly kind (~10-15 us a new number, observables/phone.py), so
they get a larger cache."""

MAX_VALUE_LEN = 2048
"""Longest raw value any normaliser looks at; longer input is refused, not truncated."""

_REFANG = {
    "[.]": ".", "(.)": ".", "{.}": ".", "[dot]": ".", "(dot)": ".", "{dot}": ".",
    "[:]": ":", "[://]": "://", "[/]": "/", "[@]": "@", "(at)": "@", "[at]": "@",
}
_REFANG_RE = re.compile("|".join(re.escape(k) for k in _REFANG), re.IGNORECASE)
_REFANG_SCHEME = re.compile(r"\A(h[xX]{2}p|h\[[xX]{2}\]p|h[tT]{2}p|fxp)(s?)(\[?:\]?//|://)",
                            re.IGNORECASE)


def invalid(detail: str, *, field: str, value: str) -> NoReturn:
    raise InvalidObservable(detail, field=field, value=value[:200])


def make(kind: Kind, key: str, display: str, attrs: dict[str, str]) -> Observable:
    return Observable(kind=kind, key=key, display=display, attrs=tuple(sorted(attrs.items())))


def clean(value: object, field: str) -> str:
    """Strip whitespace; refuse non-strings, empty and over-long values."""
    if not isinstance(value, str):
        invalid(f"expected a string, got {type(value).__name__}", field=field, value=repr(value))
    s = value.strip()
    if not s:
        invalid("empty value", field=field, value=value)
    if len(s) > MAX_VALUE_LEN:
        invalid(f"longer than {MAX_VALUE_LEN} characters", field=field, value=s)
    return s


def refang(s: str) -> str:
    """Undo the usual defanging (`hxxps://`, `h[xx]ps://`, `[.]`, `(dot)`, `[:]`) of URLs, hosts
    and e-mails."""
    if "[" in s or "(" in s or "{" in s:
        s = _REFANG_RE.sub(lambda m: _REFANG[m.group().lower()], s)
    m = _REFANG_SCHEME.match(s)
    if m:
        scheme = "ftp" if m.group(1).lower() == "fxp" else "http"
        s = f"{scheme}{m.group(2).lower()}://{s[m.end():]}"
    return s


def trie_regex(words: list[str]) -> str:
    """One regex for many literal names, shaped as a prefix trie.

    Python's `re` tries every branch of a flat alternation at every position;
    a trie lets it reject a position on its first character, which makes the
    bank-name scan some twenty times faster.  A space in a name matches any run
    of spaces or dashes.  Optional tails are greedy, so the longest name wins.
    """
    root: dict[str, dict[str, object]] = {}
    for w in words:
        node: dict[str, object] = root  # type: ignore[assignment]
        for ch in " ".join(w.split()):
            node = node.setdefault(ch, {})  # type: ignore[assignment]
        node[""] = {}

    def emit(node: dict[str, object]) -> str:
        alts = [
            (r"[\s\-]*" if ch == " " else re.escape(ch)) + emit(child)  # type: ignore[arg-type]
            for ch, child in sorted(node.items())
            if ch
        ]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(root)  # type: ignore[arg-type]


def collapse(name: str) -> str:
    """Upper-case alphanumerics only: the alias-table lookup form of a name."""
    return "".join(ch for ch in name.upper() if ch.isalnum())
