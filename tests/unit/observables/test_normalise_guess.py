"""The public entry points: normalise(kind, value) and guess(value)."""

from __future__ import annotations

import re

import pytest

from bersama.errors import InvalidObservable
from bersama.observables import Kind, guess, normalise


@pytest.mark.parametrize(
    ("kind", "value", "country", "key"),
    [
        (Kind.PHONE, "012-345 6789", "MY", "+60123456789"),
        ("phone", "+60 12-345 6789", None, "+60123456789"),
        (Kind.BANK_ACCOUNT, "MY:Maybank:5123 4567 8901", None, "MY:MBB:512345678901"),
        (Kind.EWALLET, "gcash:0917 123 4567", None, "gcash:+639171234567"),
        (Kind.EWALLET, "grabpay:081 234 5678", "TH", "grabpay:+66812345678"),
        (Kind.HANDLE, "telegram:@Scam_Boss", None, "telegram:scam_boss"),
        (Kind.HANDLE, "whatsapp:012-345 6789", "MY", "whatsapp:+60123456789"),
        (Kind.URL, "hxxps://evil[.]com", None, "https://evil.com/"),
        (Kind.DOMAIN, "Evil.COM", None, "evil.com"),
        (Kind.EMAIL, "A@Evil.com", None, "a@evil.com"),
        (Kind.IPV4, "1.2.3.4", None, "1.2.3.4"),
        (Kind.IPV6, "2001:db8::1", None, "2001:db8::1"),
        (Kind.CRYPTO, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", None, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"),  # noqa: E501 - one row per case
        (Kind.MD5, "D41D8CD98F00B204E9800998ECF8427E", None, "d41d8cd98f00b204e9800998ecf8427e"),
    ],
)
def test_normalise_every_kind(kind: Kind | str, value: str, country: str | None, key: str) -> None:
    obs = normalise(kind, value, country=country)
    assert obs.key == key
    assert normalise(obs.kind, obs.key, country=country) == obs


@pytest.mark.parametrize(
    ("kind", "value", "reason"),
    [
        ("planet", "x", "unknown observable kind"),
        (Kind.BANK_ACCOUNT, "MY:5123456789", "COUNTRY:BANK:NUMBER"),
        (Kind.EWALLET, "gcash", "PROVIDER:ACCOUNT"),
        (Kind.HANDLE, "telegram:", "PLATFORM:HANDLE"),
        (Kind.IPV4, "2001:db8::1", "not ipv4"),
        (Kind.SHA1, "d41d8cd98f00b204e9800998ecf8427e", "not sha1"),
    ],
)
def test_normalise_rejects(kind: Kind | str, value: str, reason: str) -> None:
    with pytest.raises(InvalidObservable) as exc:
        normalise(kind, value)
    assert reason in exc.value.detail


@pytest.mark.parametrize("kind", list(Kind))
@pytest.mark.parametrize("value", [None, 123, ["+60123456789"], b"bytes"])
def test_non_strings_rejected_cleanly(kind: Kind, value: object) -> None:
    with pytest.raises(InvalidObservable, match="expected a string"):
        normalise(kind, value)  # type: ignore[arg-type]
    with pytest.raises(InvalidObservable):
        guess(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "country", "ref"),
    [
        ("https://evil.com/x", None, "url:https://evil.com/x"),
        ("hxxps://evil[.]com/x", None, "url:https://evil.com/x"),
        ("h[xx]ps://evil[.]com/x", None, "url:https://evil.com/x"),
        ("evil[.]com/login", None, "url:http://evil.com/login"),
        ("evil.com/login", None, "url:http://evil.com/login"),
        ("http:\\\\example.com\\a", None, "url:http://example.com/a"),
        ("http:/\\example.com/a", None, "url:http://example.com/a"),
        ("http://%65vil.com/", None, "url:http://evil.com/"),
        ("//evil.com/login", None, "url:http://evil.com/login"),
        ("Evil.com", None, "domain:evil.com"),
        ("evil[.]com", None, "domain:evil.com"),
        ("scam@evil.com", None, "email:scam@evil.com"),
        # Every defanged "@" that `email` accepts is recognised as an e-mail.
        ("scam[at]evil[.]com", None, "email:scam@evil.com"),
        ("scam(at)evil(dot)com", None, "email:scam@evil.com"),
        ("scam(AT)evil.com", None, "email:scam@evil.com"),
        ("scam[@]evil.com", None, "email:scam@evil.com"),
        ("8.8.8.8", None, "ipv4:8.8.8.8"),
        ("2001:db8::1", None, "ipv6:2001:db8::1"),
        ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", None,
         "crypto:0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"),
        ("TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7", None, "crypto:TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7"),
        ("d41d8cd98f00b204e9800998ecf8427e", None, "md5:d41d8cd98f00b204e9800998ecf8427e"),
        ("+60 12-345 6789", None, "phone:+60123456789"),
        ("012-345 6789", "MY", "phone:+60123456789"),
        ("0060123456789", None, "phone:+60123456789"),
        ("t.me/Scam_Boss", None, "handle:telegram:scam_boss"),
        ("https://wa.me/60123456789", None, "handle:whatsapp:+60123456789"),
        ("bank-account:MY:MBB:5123 4567 8901", None, "bank-account:MY:MBB:512345678901"),
        ("bank:TH:KBank:123-4-56789-0", None, "bank-account:TH:KBANK:1234567890"),
        ("handle:telegram:foo_bar", None, "handle:telegram:foo_bar"),
        ("ewallet:gcash:0917 123 4567", None, "ewallet:gcash:+639171234567"),
        ("phone:012-345 6789", "MY", "phone:+60123456789"),
        ("MY:MBB:512345678901", None, "bank-account:MY:MBB:512345678901"),
        ("gcash:+639171234567", None, "ewallet:gcash:+639171234567"),
        ("Touch n Go:012-345 6789", "MY", "ewallet:tng:+60123456789"),
        ("telegram:scam_boss", None, "handle:telegram:scam_boss"),
        ("x:jack", None, "handle:x:jack"),
        ("fe80::1", None, "ipv6:fe80::1"),
        ("ip:1.1.1.1", None, "ipv4:1.1.1.1"),
        ("hash:DA39A3EE5E6B4B0D3255BFEF95601890AFD80709", None,
         "sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709"),
    ],
)
def test_guess(value: str, country: str | None, ref: str) -> None:
    assert guess(value, country=country).ref == ref


@pytest.mark.parametrize(
    ("value", "country", "mentions"),
    [
        ("hello world", None, "no supported kind"),
        ("012-345 6789", None, "phone: no country"),
        ("12345", "MY", "phone: not a valid number"),
        ("0123", "MY", "phone: not a valid number"),  # too short to look like one
        ("@ScamBossMY", None, "handle: a handle needs its platform"),
        ("evil.notatld", None, "domain:"),
        ("0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", None, "crypto: EIP-55"),
        ("bank-account:MY:5123", None, "COUNTRY:BANK:NUMBER"),
    ],
)
def test_guess_explains_failures(value: str, country: str | None, mentions: str) -> None:
    with pytest.raises(InvalidObservable) as exc:
        guess(value, country=country)
    assert mentions in exc.value.detail


def test_the_example_in_the_unrecognised_value_message_is_itself_valid() -> None:
    with pytest.raises(InvalidObservable) as exc:
        guess("no idea what this is")
    example = re.search(r"'(bank-account:[^']+)'", exc.value.detail)
    assert example is not None
    assert guess(example.group(1)).ref == example.group(1)
