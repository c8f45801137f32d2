"""`guess(value)`: find the kind of a free-form value, for `bersama check VALUE`.

An explicit `kind:` prefix (`bank-account:MY:MBB:5123...`, `handle:telegram:foo`,
also the short forms `bank:`, `wallet:`, `ip:`, `hash:`) always wins; a bare
structured key (`MY:MBB:5123...`, `gcash:+639...`, `telegram:foo`) is read as one.  Otherwise
the kinds are tried from the most to the least self-describing: URL (with a
scheme, or defanged), Telegram/WhatsApp links as handles, e-mail, IP, crypto
address, hash, phone number (needs `+`/`00` or a country), domain, and last a
scheme-less URL (`host/path`).  When nothing fits, the error lists what was
tried and why each failed.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bersama.errors import InvalidObservable
from bersama.observables._common import clean, collapse, invalid, refang
from bersama.observables.accounts import WALLET_ALIASES
from bersama.observables.crypto import crypto, looks_like_crypto
from bersama.observables.handles import ALIASES as _HANDLE_ALIASES
from bersama.observables.handles import PLATFORMS, handle
from bersama.observables.hashes import file_hash, looks_like_hash
from bersama.observables.model import Kind, Observable
from bersama.observables.net import email, ip
from bersama.observables.normalise import normalise
from bersama.observables.phone import looks_like_phone, phone
from bersama.observables.url import domain, url

_PREFIXES: dict[str, Kind | str] = {k.value: k for k in Kind}
_PREFIXES.update({
    "bank": Kind.BANK_ACCOUNT, "bankaccount": Kind.BANK_ACCOUNT, "bank_account": Kind.BANK_ACCOUNT,
    "wallet": Kind.EWALLET, "e-wallet": Kind.EWALLET, "tel": Kind.PHONE,
    "ip": "ip", "hash": "hash", "mailto": Kind.EMAIL, "sha-1": Kind.SHA1,
    "sha-256": Kind.SHA256, "btc": Kind.CRYPTO, "eth": Kind.CRYPTO,
})
# `url` reads "\" before the query as "/", as browsers do: `http:\\host\a` has a scheme too.
_SCHEME = re.compile(
    r"\A(?:https?|hxxps?|h\[?xx\]?ps?|ftp|wss?)(?:\[?:\]?[/\\]{2}|\[://\])", re.IGNORECASE
)
_DEFANG = re.compile(r"\[\.\]|\(\.\)|\[dot\]|\(dot\)|\{\.\}", re.IGNORECASE)
_NUMBERISH = re.compile(r"\+?[\d\s\-.()]{1,40}")
"""Digits and a phone number's separators only."""
_MSG_LINK = re.compile(
    r"\A(?:https?://)?(?:www\.)?(t\.me|telegram\.me|wa\.me)/([A-Za-z0-9_+]+)/?\Z", re.IGNORECASE
)


def _key_kind(head: str, rest: str) -> Kind | None:
    """The kind of a bare structured key: `MY:MBB:5123...`, `gcash:+63...`, `telegram:foo`."""
    if len(head) == 2 and head.isalpha() and rest.count(":") == 1:
        return Kind.BANK_ACCOUNT
    c = collapse(head)
    if c.lower() in PLATFORMS or c.lower() in _HANDLE_ALIASES:
        return Kind.HANDLE
    if c in WALLET_ALIASES:
        return Kind.EWALLET
    return None


def _explicit(s: str, country: str | None) -> Observable | None:
    head, sep, rest = s.partition(":")
    if not sep:
        return None
    kind = _PREFIXES.get(head.strip().lower())
    if kind is None:
        kind = _key_kind(head.strip(), rest)
        rest = s  # a bare key: the head is part of the value
    if kind is None or (kind is Kind.URL and rest.startswith("//")):
        return None
    rest = rest.strip()
    if kind == "ip":
        return ip(rest)
    if kind == "hash":
        return file_hash(rest)
    return normalise(kind, rest, country=country)


def guess(value: str, *, country: str | None = None) -> Observable:
    """Detect the kind of `value` and normalise it; see the module docstring for the order."""
    s = clean(value, "value")
    found = _explicit(s, country)
    if found is not None:
        return found
    tried: list[str] = []
    for name, fn in _candidates(s, country, tried):
        try:
            return fn()
        except InvalidObservable as exc:
            tried.append(f"{name}: {exc.detail}")
    why = "; ".join(tried) if tried else "it looks like no supported kind"
    invalid(f"not a recognised identifier ({why}); prefix it with a kind, e.g. "
            "'bank-account:MY:MBB:512345678901' or 'handle:telegram:name'",
            field="value", value=s)


def _candidates(s: str, country: str | None, tried: list[str]
                ) -> list[tuple[str, Callable[[], Observable]]]:
    """The kinds `s` may be, most specific first; a note in `tried` where no kind fits a
    form that looks like one (a handle without its platform)."""
    candidates: list[tuple[str, Callable[[], Observable]]] = []
    m = _MSG_LINK.match(s)
    if m:
        platform = "whatsapp" if m.group(1).lower() == "wa.me" else "telegram"
        candidates.append(("handle", lambda: handle(platform, m.group(2), country)))
    if _SCHEME.match(s) or (_DEFANG.search(s) and "/" in s):
        candidates.append(("url", lambda: url(s)))
    plain = refang(s)
    if plain.startswith("@") and plain.count("@") == 1:
        tried.append(f"handle: a handle needs its platform, e.g. 'handle:telegram:{plain[1:]}'")
    elif "@" in plain:  # also "[at]", "(at)", "[@]": every defanged "@" `email` accepts
        candidates.append(("email", lambda: email(s)))
    if ":" in plain or (plain.replace(".", "").isdigit() and plain.count(".") == 3):
        candidates.append(("ip", lambda: ip(s)))
    if looks_like_crypto(s):
        candidates.append(("crypto", lambda: crypto(s)))
    if looks_like_hash(s):
        candidates.append(("hash", lambda: file_hash(s)))
    if looks_like_phone(s) or (not candidates and _NUMBERISH.fullmatch(s)):
        # Digits too few or too many for a number still get the phone reason.
        candidates.append(("phone", lambda: phone(s, country)))
    if "." in plain and "/" not in plain and "@" not in plain:
        candidates.append(("domain", lambda: domain(s)))
    if "/" in plain and not _SCHEME.match(s):
        candidates.append(("url", lambda: url(s)))
    return candidates
