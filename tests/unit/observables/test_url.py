"""URL canonicalisation and domains."""

from __future__ import annotations

import pytest

from bersama.errors import InvalidObservable
from bersama.observables import Kind, domain, url


@pytest.mark.parametrize(
    "spelling",
    [
        "https://evil.example.com/login",
        "HTTPS://EVIL.Example.COM/login",
        "https://evil.example.com:443/login",
        "https://evil.example.com/a/../login",
        "https://evil.example.com/./login",
        "https://evil.example.com/login#top",
        "https://evil.example.com/%6C%6f%67in",
        "hxxps://evil.example.com/login",
        "hXXps://evil[.]example[.]com/login",
        "hxxps[:]//evil(.)example(dot)com/login",
        "hxxps[://]evil[dot]example[.]com/login",
        "h[xx]ps://evil[.]example[.]com/login",
        "H[XX]PS[:]//evil.example.com/login",
        "  <https://evil.example.com/login>  ",
        "https://evil.example.com./login",
    ],
)
def test_spellings_meet(spelling: str) -> None:
    obs = url(spelling)
    assert obs.kind is Kind.URL
    assert obs.key == "https://evil.example.com/login"
    assert obs.attr("host") == "evil.example.com"
    assert obs.attr("registered_domain") == "example.com"


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("http://example.com", "http://example.com/"),
        ("http://example.com:80/", "http://example.com/"),
        ("http://example.com:8080/", "http://example.com:8080/"),
        ("https://example.com:80/", "https://example.com:80/"),
        ("example.com/path", "http://example.com/path"),
        ("http://example.com/a%2fb", "http://example.com/a%2Fb"),
        ("http://example.com/a b".replace(" ", "%20"), "http://example.com/a%20b"),
        ("http://example.com/ä", "http://example.com/%C3%A4"),
        ("http://example.com/100%", "http://example.com/100%25"),
        ("http://example.com/?b=2&a=1", "http://example.com/?b=2&a=1"),
        ("http://example.com/?", "http://example.com/"),
        ("http://1.2.3.4:80/x", "http://1.2.3.4/x"),
        ("http://[2001:DB8::1]/", "http://[2001:db8::1]/"),
        ("http://User:Pw@Example.com/", "http://User:Pw@example.com/"),
        ("http://a.b.c.example.co.uk/", "http://a.b.c.example.co.uk/"),
    ],
)
def test_canonical_forms(value: str, key: str) -> None:
    assert url(value).key == key


def test_idna_host_punycode_key_unicode_display() -> None:
    obs = url("https://BÜCHER.de/ä")
    assert obs.key == "https://xn--bcher-kva.de/%C3%A4"
    assert obs.display.startswith("https://bücher.de/")
    assert obs.attr("registered_domain") == "xn--bcher-kva.de"
    assert url("https://xn--bcher-kva.de/%C3%A4") == obs


def test_registered_domain_uses_private_suffixes() -> None:
    assert url("https://scam.github.io/x").attr("registered_domain") == "scam.github.io"
    assert url("https://a.b.gov.my/").attr("registered_domain") == "b.gov.my"


@pytest.mark.parametrize(
    ("value", "key", "registered"),
    [
        # A browser reads "\" as "/" in http(s) URLs: the host is evil.com, not paypal.com.
        ("http://evil.com\\@paypal.com/", "http://evil.com/@paypal.com/", "evil.com"),
        ("https://evil.com\\login", "https://evil.com/login", "evil.com"),
        ("http://example.com\\a\\b/../c", "http://example.com/a/c", "example.com"),
        ("http:\\\\example.com\\a", "http://example.com/a", "example.com"),
        ("http://example.com/a?q=\\x", "http://example.com/a?q=%5Cx", "example.com"),
    ],
)
def test_backslash_is_a_slash_as_browsers_read_it(value: str, key: str, registered: str) -> None:
    obs = url(value)
    assert (obs.key, obs.attr("registered_domain")) == (key, registered)
    assert url(obs.key) == obs


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("http://%65vil.com/", "http://evil.com/"),
        ("http://EV%49L.com/login", "http://evil.com/login"),
        ("http://%E4%BE%8B.com/", "http://xn--fsq.com/"),
        ("http://%31%39%32.168.1.1/", "http://192.168.1.1/"),
    ],
)
def test_percent_encoded_host_is_decoded_as_browsers_do(value: str, key: str) -> None:
    obs = url(value)
    assert obs.key == key
    assert url(obs.key) == obs


@pytest.mark.parametrize(
    "value", ["http://evil%2Fx.com/", "http://evil%3A80.com/", "http://%zz.com/", "http://%C3%28.com/"]
)
def test_percent_encoded_host_that_decodes_to_no_host_is_refused(value: str) -> None:
    with pytest.raises(InvalidObservable) as exc:
        url(value)
    assert "host" in exc.value.detail


def test_protocol_relative_url_is_read_as_http() -> None:
    obs = url("//a.com/x")
    assert (obs.key, obs.attr("registered_domain")) == ("http://a.com/x", "a.com")
    assert url("//a.com/x") == url("a.com/x")


@pytest.mark.parametrize(
    "spelling",
    [
        "http://192.168.1.1/",
        "http://192.168.1.1./",
        "http://3232235777/",
        "http://0xC0A80101/",
        "http://0300.0250.0001.0001/",
        "http://0xc0.0xa8.1.1/",
        "http://192.168.257/",
        "http://192.11010305/",
    ],
)
def test_ipv4_hosts_in_every_form_browsers_accept_meet(spelling: str) -> None:
    obs = url(spelling)
    assert obs.key == "http://192.168.1.1/"
    assert obs.attr("host") == "192.168.1.1"
    assert obs.attr("registered_domain") is None


@pytest.mark.parametrize(
    "value", ["http://256.1.1.1/", "http://1.2.3.4.5/", "http://0x100000000/", "http://1.2.3.08/",
              "http://example.123/"],
)
def test_hosts_ending_in_a_number_must_be_ipv4(value: str) -> None:
    with pytest.raises(InvalidObservable) as exc:
        url(value)
    assert "IPv4" in exc.value.detail


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("javascript:alert(1)", "not a URL"),
        ("mailto:a@example.com", "not a URL"),
        ("gopher://example.com/", "unsupported URL scheme"),
        ("http://localhost/", "no public suffix"),
        ("http://example.notatld/", "no public suffix"),
        ("http://exa mple.com/", "whitespace"),
        ("http://example.com:99999/", "invalid port"),
        ("http://example.com:abc/", "invalid port"),
        ("http://[::1/", "unclosed"),
        ("http://xn--zz.com/", "punycode"),
        ("http://-bad-.com/", "invalid host"),
    ],
)
def test_invalid_urls_rejected(value: str, reason: str) -> None:
    with pytest.raises(InvalidObservable) as exc:
        url(value)
    assert reason in exc.value.detail
    assert exc.value.field == "url"


@pytest.mark.parametrize(
    "spelling", ["Scam-Shop.COM", "scam-shop.com.", "scam-shop[.]com", "scam-shop(dot)com"]
)
def test_domain_spellings_meet(spelling: str) -> None:
    obs = domain(spelling)
    assert obs.kind is Kind.DOMAIN
    assert obs.key == "scam-shop.com"
    assert obs.attr("registered_domain") == "scam-shop.com"


def test_domain_keeps_subdomain_and_idna() -> None:
    assert domain("WWW.Bücher.DE").key == "www.xn--bcher-kva.de"
    assert domain("www.bücher.de").display == "www.bücher.de"
    assert domain("shop.example.co.th").attr("registered_domain") == "example.co.th"
    assert domain("github.io").attr("registered_domain") == "github.io"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("co.uk", "no registrable name"),
        ("localhost", "no registrable name"),
        ("1.2.3.4", "IP address"),
        ("http://example.com", "looks like a URL"),
        ("a@example.com", "looks like a URL"),
        ("exa_mple..com", "invalid"),
    ],
)
def test_invalid_domains_rejected(value: str, reason: str) -> None:
    with pytest.raises(InvalidObservable) as exc:
        domain(value)
    assert reason in exc.value.detail
