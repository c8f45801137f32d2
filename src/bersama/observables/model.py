"""The observable value type: one identifier, normalised to one key.

`Observable.key` is the canonical form within its kind; `Observable.ref` (kind
and key) is what the store indexes and what correlation joins on, so two
spellings of one identifier meet exactly when their refs are equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    PHONE = "phone"
    BANK_ACCOUNT = "bank-account"
    EWALLET = "ewallet"
    CRYPTO = "crypto"
    URL = "url"
    DOMAIN = "domain"
    EMAIL = "email"
    IPV4 = "ipv4"
    IPV6 = "ipv6"
    HANDLE = "handle"
    MD5 = "md5"
    SHA1 = "sha1"
    SHA256 = "sha256"


@dataclass(frozen=True, slots=True)
class Observable:
    kind: Kind
    key: str
    """Canonical key within the kind (E.164 phone, canonical URL, `MY:MBB:5123...`)."""
    display: str = ""
    """A human form for showing (national format, unicode host); never used for joins."""
    attrs: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    """Derived facts, sorted by name: country, bank, chain, platform, registered_domain..."""

    @property
    def ref(self) -> str:
        # `Kind` is a str: concatenation gives its value without the enum's slow `.value`
        return self.kind + ":" + self.key

    def attr(self, name: str) -> str | None:
        for k, v in self.attrs:
            if k == name:
                return v
        return None
