"""E-mail, IP addresses and file hashes."""

from __future__ import annotations

import pytest

from bersama.errors import InvalidObservable
from bersama.observables import Kind, email, file_hash, ip


@pytest.mark.parametrize(
    "spelling",
    ["Scam.Boss@Example.COM", "scam.boss@example.com", "scam.boss[at]example[.]com",
     "mailto:Scam.Boss@example.com", " scam.boss(at)example(dot)com "],
)
def test_email_spellings_meet(spelling: str) -> None:
    obs = email(spelling)
    assert obs.kind is Kind.EMAIL
    assert obs.key == "scam.boss@example.com"
    assert obs.attr("registered_domain") == "example.com"


def test_email_idna_and_no_provider_folding() -> None:
    assert email("x@Bücher.de").key == "x@xn--bcher-kva.de"
    assert email("x@bücher.de").display == "x@bücher.de"
    assert email("a.b+tag@gmail.com").key == "a.b+tag@gmail.com"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("no-at-sign", "no local part"),
        ("@example.com", "no local part"),
        ("a..b@example.com", "invalid characters"),
        (".a@example.com", "invalid characters"),
        ("a b@example.com", "invalid characters"),
        ("a@localhost", "invalid domain"),
        ("a@1.2.3.4", "invalid domain"),
        ("x" * 65 + "@example.com", "longer than 64"),
    ],
)
def test_email_invalid(value: str, reason: str) -> None:
    with pytest.raises(InvalidObservable) as exc:
        email(value)
    assert reason in exc.value.detail
    assert exc.value.field == "email"


@pytest.mark.parametrize(
    ("value", "kind", "key", "private"),
    [
        ("8.8.8.8", Kind.IPV4, "8.8.8.8", "false"),
        ("8.8.8[.]8", Kind.IPV4, "8.8.8.8", "false"),
        ("10.1.2.3", Kind.IPV4, "10.1.2.3", "true"),
        ("2001:DB8:0:0:0:0:0:1", Kind.IPV6, "2001:db8::1", "true"),
        ("[2606:4700:4700::1111]", Kind.IPV6, "2606:4700:4700::1111", "false"),
        ("::1", Kind.IPV6, "::1", "true"),
    ],
)
def test_ip(value: str, kind: Kind, key: str, private: str) -> None:
    obs = ip(value)
    assert (obs.kind, obs.key, obs.attr("private")) == (kind, key, private)


@pytest.mark.parametrize("value", ["1.2.3.256", "01.2.3.4", "1.2.3", "example.com", "2001:::1"])
def test_ip_invalid(value: str) -> None:
    with pytest.raises(InvalidObservable, match="not an IPv4 or IPv6"):
        ip(value)


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("D41D8CD98F00B204E9800998ECF8427E", Kind.MD5),
        ("da39a3ee5e6b4b0d3255bfef95601890afd80709", Kind.SHA1),
        ("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", Kind.SHA256),
    ],
)
def test_hashes(value: str, kind: Kind) -> None:
    obs = file_hash(value)
    assert obs.kind is kind
    assert obs.key == obs.key.lower()
    assert file_hash(obs.key, kind) == obs


@pytest.mark.parametrize(
    ("value", "kind", "reason"),
    [
        ("xyz", None, "not hexadecimal"),
        ("abc123", None, "6 hex digits"),
        ("d41d8cd98f00b204e9800998ecf8427e", Kind.SHA1, "is md5, not sha1"),
    ],
)
def test_hash_invalid(value: str, kind: Kind | None, reason: str) -> None:
    with pytest.raises(InvalidObservable) as exc:
        file_hash(value, kind)
    assert reason in exc.value.detail
