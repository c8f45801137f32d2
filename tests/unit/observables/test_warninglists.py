"""Bundled warninglists."""

from __future__ import annotations

import pytest

from bersama.observables import Kind, is_warninglisted, normalise
from bersama.observables.warninglists import warninglists


def test_lists_are_described_and_sizeable() -> None:
    lists = warninglists()
    assert len({wl.name for wl in lists}) == len(lists)
    assert sum(len(wl.values) for wl in lists) >= 300
    for wl in lists:
        assert wl.name
        assert wl.description
        assert wl.source
        assert wl.values
        assert wl.urls in {"root", "any"}


_KIND_FOR_TYPE = {"domain": Kind.DOMAIN, "phone": Kind.PHONE, "crypto": Kind.CRYPTO}


@pytest.mark.parametrize("wl", warninglists(), ids=lambda wl: wl.name)
def test_every_value_is_canonical_and_listed(wl: object) -> None:
    from bersama.observables.warninglists import Warninglist

    assert isinstance(wl, Warninglist)
    for value in wl.values:
        if wl.type == "cidr":
            continue
        if wl.type in ("ip", "hash"):
            from bersama.observables import file_hash, ip

            obs = ip(value) if wl.type == "ip" else file_hash(value)
        else:
            obs = normalise(_KIND_FOR_TYPE[wl.type], value)
        assert obs.key.lower() == value.lower(), value
        assert is_warninglisted(obs) is not None, value


@pytest.mark.parametrize(
    ("kind", "value", "listed"),
    [
        (Kind.URL, "https://www.google.com/", "top-domains"),
        (Kind.URL, "https://google.com", "top-domains"),
        (Kind.URL, "https://sites.google.com/view/scam-invest", None),
        (Kind.URL, "https://bit.ly/", "url-shorteners"),
        (Kind.URL, "https://bit.ly/3xYzAbC", None),
        (Kind.URL, "https://t.me/", "messaging-services"),
        (Kind.URL, "https://www.maybank2u.com.my/home/m2u/common/login.do", "asean-financial"),
        (Kind.URL, "https://maybank2u.com.my.secure-login.com/", None),
        (Kind.URL, "https://scamshield.gov.sg/", "asean-government"),
        (Kind.DOMAIN, "mail.google.com", "top-domains"),
        (Kind.DOMAIN, "gmail.com", "email-providers"),
        (Kind.DOMAIN, "github.io", "top-domains"),
        (Kind.DOMAIN, "scam-site.github.io", None),
        (Kind.DOMAIN, "maybank2u-secure.com", None),
        (Kind.EMAIL, "scammer@gmail.com", None),
        (Kind.IPV4, "8.8.8.8", "public-dns"),
        (Kind.IPV4, "1.1.1.1", "public-dns"),
        (Kind.IPV4, "192.168.1.1", "reserved-ip-ranges"),
        (Kind.IPV4, "203.0.113.7", "reserved-ip-ranges"),
        (Kind.IPV4, "45.33.32.156", None),
        (Kind.IPV6, "2001:4860:4860::8888", "public-dns"),
        (Kind.IPV6, "fe80::1", "reserved-ip-ranges"),
        (Kind.PHONE, "+60 1300 88 6688", "asean-bank-hotlines"),
        (Kind.PHONE, "+60 12-345 6789", None),
        (Kind.MD5, "d41d8cd98f00b204e9800998ecf8427e", "empty-file-hashes"),
        (Kind.CRYPTO, "0x0000000000000000000000000000000000000000", "crypto-placeholders"),
        (Kind.HANDLE, "telegram:scam_boss", None),
    ],
)
def test_is_warninglisted(kind: Kind, value: str, listed: str | None) -> None:
    assert is_warninglisted(normalise(kind, value)) == listed
