"""The identifiers named by simple STIX indicator patterns, without a full pattern parser.

Indicators shared about scams are almost always lists of values:
`[url:value = 'http://x']`, `[domain-name:value = 'a' OR domain-name:value = 'b']`,
`[file:hashes.'SHA-256' = '...']`.  A regular expression over the comparisons
reads them at a fraction of the cost of the ANTLR-based `stix2-patterns`
parser; every `=` comparison that is not negated names one identifier, whatever
the boolean structure around it.  Other operators (MATCHES, LIKE, IN, <, ...)
name no single value and are skipped (docs/stix.md).
"""

from __future__ import annotations

import re

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
