"""STIX indicator patterns: their validity, and the identifiers simple ones name.

Indicators shared about scams are almost always lists of values:
`[url:value = 'http://x']`, `[domain-name:value = 'a' OR domain-name:value = 'b']`,
`[file:hashes.'SHA-256' = '...']`.  A regular expression over the comparisons
reads them at a fraction of the cost of the ANTLR-based `stix2-patterns`
parser; every `=` comparison that is not negated names one identifier, whatever
the boolean structure around it.  Other operators (MATCHES, LIKE, IN, <, ...)
name no single value and are skipped (docs/stix.md).

Validity (`pattern_problem`) is decided the same way: a pattern that is nothing
but `=` comparisons of string literals joined by OR is valid STIX by construction,
which one regular expression recognises in a microsecond; anything else goes to the
full grammar of `stix2-patterns` (0.5-4 ms), which is the rare case in shared scam
data.  The fast form only accepts what the full grammar accepts (a property-based
test holds the two to that).
"""

from __future__ import annotations

import re
from functools import lru_cache

_COMPARISON = re.compile(
    r"(?P<neg>\bNOT\s+)?"
    r"(?P<type>[a-z0-9][a-z0-9-]*[a-z0-9]):(?P<path>[A-Za-z0-9_]+(?:\.(?:'[^']*'|[A-Za-z0-9_\-]+|\[\d+\]|\[\*\]))*)"
    r"\s*(?P<op>!=|=|>=|<=|>|<|(?:NOT\s+)?(?:MATCHES|LIKE|IN|ISSUBSET|ISSUPERSET))\s*"
    r"(?P<value>'(?:[^'\\]|\\.)*'|\([^)]*\)|[^\s\]]+)"
)
_ESCAPE = re.compile(r"\\(.)")


def equality_comparisons(pattern: str) -> list[tuple[str, str, str]]:
    """(sco type, object path, value) of each non-negated `=` comparison with a string value.

    Object paths keep their quoting removed: `hashes.'SHA-256'` becomes `hashes.SHA-256`.
    Raises ValueError when the text is not bracketed like a STIX pattern.
    """
    text = pattern.strip()
    if not text.startswith("[") or "]" not in text:
        raise ValueError("a STIX pattern starts with '[' and has its comparisons in brackets")
    out: list[tuple[str, str, str]] = []
    for m in _COMPARISON.finditer(text):
        if m.group("op") != "=" or m.group("neg"):
            continue
        raw = m.group("value")
        if not (raw.startswith("'") and raw.endswith("'")):
            continue
        value = _ESCAPE.sub(r"\1", raw[1:-1])
        path = m.group("path").replace("'", "")
        out.append((m.group("type"), path, value))
    return out


_LITERAL = r"'(?:[^'\\]|\\['\\])*'"
_KEYWORDS = (
    "AND|OR|NOT|FOLLOWEDBY|LIKE|MATCHES|ISSUPERSET|ISSUBSET|EXISTS|LAST|IN|START|STOP|"
    "SECONDS|true|false|WITHIN|REPEATS|TIMES"
)
_NAME = rf"(?!(?:{_KEYWORDS})(?![A-Za-z0-9_]))[A-Za-z_][A-Za-z0-9_]*"
_SIMPLE_COMPARISON = (
    rf"[a-z][a-z0-9-]*[a-z0-9]:{_NAME}(?:\.(?:{_NAME}|'[A-Za-z0-9-]+'))?\s*=\s*{_LITERAL}"
)
_SIMPLE_PATTERN = re.compile(
    rf"\[\s*{_SIMPLE_COMPARISON}(?:\s+OR\s+{_SIMPLE_COMPARISON})*\s*\]\Z", re.ASCII
)
_HASH_COMPARISON = re.compile(
    rf":hashes\.(?:'([A-Za-z0-9-]+)'|({_NAME}))\s*=\s*({_LITERAL})", re.ASCII
)
_HASH_LENGTHS = {"MD5": 32, "SHA1": 40, "SHA256": 64, "SHA512": 128}
_HEX = re.compile(r"[0-9a-fA-F]+\Z")


def _simple_and_valid(pattern: str) -> bool:
    """Whether the pattern has the fast form, with any hash value of a known length."""
    if _SIMPLE_PATTERN.match(pattern) is None:
        return False
    if "hashes" not in pattern:
        return True
    hashes = _HASH_COMPARISON.findall(pattern)
    if len(hashes) != pattern.count("hashes"):
        return False  # `hashes` elsewhere (in a value, or a path we do not read): full check
    for quoted, bare, literal in hashes:
        length = _HASH_LENGTHS.get((quoted or bare).upper().replace("-", ""))
        value = literal[1:-1]
        if length is None or len(value) != length or _HEX.match(value) is None:
            return False
    return True


@lru_cache(maxsize=4096)
def _full_check(pattern: str) -> str | None:
    from stix2patterns.validator import run_validator  # ANTLR's 40 ms: loaded when needed

    errors = run_validator(pattern, stix_version="2.1")
    return "; ".join(e.removeprefix("FAIL: ") for e in errors) if errors else None


def pattern_problem(pattern: str) -> str | None:
    """Why `pattern` is not a valid STIX 2.1 pattern, or None when it is."""
    if _simple_and_valid(pattern):
        return None
    return _full_check(pattern)
