"""Bundled warninglists: well-known values that must never link clusters.

MISP's best-known failure is over-correlation: a public DNS resolver, a bank's
hotline or `gmail.com` named in thousands of reports joins unrelated cases
into one giant cluster.  Each JSON file beside this module is one list, with
a name, description, source note, a value type and the values:

- `domain` lists match a domain or e-mail domain on its registered domain, and a
  URL on its host's registered domain — only the bare root page when the list
  says `"urls": "root"` (a scam page on a hosting platform or a short link with
  a path is a real indicator), any URL when it says `"urls": "any"` (official
  bank and government sites);
- `ip` lists match exactly, `cidr` lists by network;
- `phone`, `crypto`, `hash` lists match the observable's key.

E-mail addresses on a listed domain are not listed: `scammer@gmail.com` is a
real indicator; `gmail.com` itself is not.  Per-agency lists (official numbers
and accounts) live in the store; this module only knows the bundled ones.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from bersama.observables.model import Kind, Observable

_HASHES = frozenset({Kind.MD5, Kind.SHA1, Kind.SHA256})
_IPNet = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class Warninglist:
    name: str
    description: str
    source: str
    type: str
    values: tuple[str, ...]
    urls: str = "root"


@dataclass(frozen=True, slots=True)
class _Index:
    lists: tuple[Warninglist, ...]
    domains: dict[str, tuple[str, str]]
    """registered domain or host -> (list name, url mode)"""
    exact: dict[str, str]
    """observable ref -> list name"""
    networks: tuple[tuple[_IPNet, str], ...]


def _ref(typ: str, value: str) -> list[str]:
    if typ == "ip":
        addr = ipaddress.ip_address(value)
        return [f"{'ipv4' if addr.version == 4 else 'ipv6'}:{addr.compressed}"]
    if typ == "hash":
        kind = {32: "md5", 40: "sha1", 64: "sha256"}[len(value)]
        return [f"{kind}:{value.lower()}"]
    if typ == "crypto":
        return [f"crypto:{value.lower() if value.startswith(('0x', 'bc1')) else value}"]
    return [f"{typ}:{value}"]


@lru_cache(maxsize=1)
def _index() -> _Index:
    lists: list[Warninglist] = []
    domains: dict[str, tuple[str, str]] = {}
    exact: dict[str, str] = {}
    networks: list[tuple[_IPNet, str]] = []
    folder = resources.files(__name__)
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json"):
            continue
        raw = json.loads(entry.read_text("utf-8"))
        wl = Warninglist(name=raw["name"], description=raw["description"], source=raw["source"],
                         type=raw["type"], values=tuple(raw["values"]),
                         urls=raw.get("urls", "root"))
        lists.append(wl)
        for v in wl.values:
            if wl.type == "domain":
                domains.setdefault(v.lower(), (wl.name, wl.urls))
            elif wl.type == "cidr":
                networks.append((ipaddress.ip_network(v), wl.name))
            else:
                for ref in _ref(wl.type, v):
                    exact.setdefault(ref, wl.name)
    return _Index(tuple(lists), domains, exact, tuple(networks))


def warninglists() -> tuple[Warninglist, ...]:
    """Every bundled list (for display: name, description, source, size)."""
    return _index().lists


def _domain_hit(idx: _Index, host: str, registered: str | None) -> tuple[str, str] | None:
    return idx.domains.get(host) or (idx.domains.get(registered) if registered else None)


def is_warninglisted(obs: Observable) -> str | None:  # noqa: PLR0911 - one exit per kind
    """Name of the bundled warninglist `obs` is on, or None."""
    idx = _index()
    kind = obs.kind
    if kind is Kind.DOMAIN:
        hit = _domain_hit(idx, obs.key, obs.attr("registered_domain"))
        return hit[0] if hit else None
    if kind is Kind.URL:
        hit = _domain_hit(idx, obs.attr("host") or "", obs.attr("registered_domain"))
        if hit is None:
            return None
        name, mode = hit
        if mode == "any":
            return name
        rest = obs.key.split("://", 1)[-1]
        path = rest[rest.find("/"):] if "/" in rest else "/"
        return name if path == "/" else None
    if kind in (Kind.IPV4, Kind.IPV6):
        exact = idx.exact.get(obs.ref)
        if exact is not None:
            return exact
        addr = ipaddress.ip_address(obs.key)
        for net, net_name in idx.networks:
            if addr.version == net.version and addr in net:
                return net_name
        return None
    return idx.exact.get(obs.ref)


__all__ = ["Warninglist", "is_warninglisted", "warninglists"]
