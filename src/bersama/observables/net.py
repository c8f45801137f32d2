"""E-mail addresses and IP addresses.

E-mail: the whole address is lower-cased, local part included.  RFC 5321 lets
a server treat local parts case-sensitively, but no mailbox provider in use does,
and two reports writing `Scam.Boss@` and `scam.boss@` must meet.  Provider
tricks (Gmail dots, `+tags`) are not folded: that would turn one address into
another.  The domain goes through the domain normaliser (IDNA, public suffix).

IP: `ipaddress` in compressed form; private and reserved addresses are kept
(a report may name one) and flagged with `attrs["private"]`.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache

from bersama.errors import InvalidObservable
from bersama.observables._common import CACHE_SIZE, clean, invalid, make, refang
from bersama.observables.model import Kind, Observable
from bersama.observables.url import domain, unicode_host

_LOCAL = re.compile(r"\A[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*\Z")


@lru_cache(maxsize=CACHE_SIZE)
def email(value: str) -> Observable:
    """Normalise an e-mail address (defanged `[at]`/`[.]` accepted)."""
    s = refang(clean(value, "email"))
    if s.lower().startswith("mailto:"):
        s = s[7:]
    local, at, host = s.rpartition("@")
    if not at or not local:
        invalid("no local part before @", field="email", value=value)
    if len(local) > 64:
        invalid("local part longer than 64 characters", field="email", value=value)
    if not _LOCAL.match(local):
        invalid("invalid characters in the local part", field="email", value=value)
    try:
        dom = domain(host)
    except InvalidObservable as exc:
        invalid(f"invalid domain: {exc.detail}", field="email", value=value)
    key = f"{local.lower()}@{dom.key}"
    return make(Kind.EMAIL, key, f"{local.lower()}@{unicode_host(dom.key)}",
                {"domain": dom.key, "registered_domain": dom.attr("registered_domain") or ""})


@lru_cache(maxsize=CACHE_SIZE)
def ip(value: str) -> Observable:
    """IPv4 or IPv6 address (kind from the value), compressed form; defanged dots accepted."""
    s = refang(clean(value, "ip"))
    if s.startswith("[") and s.endswith("]"):
        s = s[1:-1]
    try:
        addr = ipaddress.ip_address(s)
    except ValueError:
        invalid("not an IPv4 or IPv6 address", field="ip", value=value)
    private = addr.is_private or addr.is_reserved or addr.is_loopback or addr.is_link_local
    kind = Kind.IPV4 if addr.version == 4 else Kind.IPV6
    return make(kind, addr.compressed, addr.compressed, {"private": "true" if private else "false"})
