"""Small helpers shared by the normalisers: building observables and refusing values.

Every normaliser refuses bad input the same way (`invalid`) so callers get a
`bersama.errors.InvalidObservable` naming the field and value, and builds its
result the same way (`make`) so `attrs` are always sorted and string-valued,
as the `Observable` contract requires.
"""

from __future__ import annotations

import re
from typing import NoReturn

from bersama.errors import InvalidObservable
from bersama.observables.model import Kind, Observable

MAX_VALUE_LEN = 2048
"""Longest raw value any normaliser looks at; longer input is refused, not truncated."""

_REFANG = (
    ("[.]", "."), ("(.)", "."), ("{.}", "."), ("[dot]", "."), ("(dot)", "."), ("{dot}", "."),
    ("[:]", ":"), ("[://]", "://"), ("[/]", "/"), ("[@]", "@"), ("(at)", "@"), ("[at]", "@"),
)
_REFANG_SCHEME = re.compile(r"\A(h[xX]{2}p|h[tT]{2}p|fxp)(s?)(\[?:\]?//|://)", re.IGNORECASE)


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
    """Undo the usual defanging (`hxxps://`, `[.]`, `(dot)`, `[:]`) of URLs, hosts and e-mails."""
    if "[" in s or "(" in s or "{" in s:
        low = s.lower()
        for a, b in _REFANG:
            if a in low:
                s = _replace_ci(s, a, b)
                low = s.lower()
    m = _REFANG_SCHEME.match(s)
    if m:
        scheme = "ftp" if m.group(1).lower() == "fxp" else "http"
        s = f"{scheme}{m.group(2).lower()}://{s[m.end():]}"
    return s


def _replace_ci(s: str, old: str, new: str) -> str:
    return re.sub(re.escape(old), new.replace("\\", "\\\\"), s, flags=re.IGNORECASE)


def collapse(name: str) -> str:
    """Upper-case alphanumerics only: the alias-table lookup form of a name."""
    return "".join(ch for ch in name.upper() if ch.isalnum())
