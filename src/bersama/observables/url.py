"""URLs and domains, canonicalised so that spellings of one address meet.

URL key: lower-case scheme and host, host in IDNA/punycode (display keeps the
unicode form), default port removed, dot segments resolved, percent-encoding
normalised (unreserved characters decoded, other escapes upper-cased, unsafe
characters encoded), empty path -> "/", fragment dropped.  Query strings are
kept as given (order can matter to the server).  Defanged forms (`hxxps://`,
`[.]`, `(dot)`, `[:]`) are accepted.  A value without a scheme is taken as
`http://` (how reports usually write a bare address), and so is a
protocol-relative `//host/path` (copied from a page's HTML: it takes the
scheme of a page the report seldom names, and an analyst pasting it means the
address on that host, which must meet the same address written bare or with
`http://`; refusing it would lose the indicator).

Where a browser would read the address differently from a naive split, the
key follows the browser (the WHATWG URL Standard), since that is where a
victim lands: every scheme we accept is "special", so a `\\` before the query
is a `/` (`http://evil.example\\@bank.com/` is a page on evil.example, not
bank.com), a percent-encoded host is decoded before it is validated
(`http://%65vil.com/` is evil.com), and a host whose last label is a number
is an IPv4 address in any of the forms browsers accept (`3232235777`,
`0xC0A80101`, `0300.0250.1.1`, `192.168.257`, a trailing dot), keyed as its
dotted quad; such a host that is no IPv4 address (`example.123`, `256.1.1.1`)
is refused.

The registered domain comes from `tldextract` with its bundled suffix list and
no network, private suffixes included, so `a.github.io` and `b.github.io` stay
apart.  The extractor is built once, lazily.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from typing import Any
from urllib.parse import unquote_to_bytes

import idna

from bersama.observables._common import CACHE_SIZE, clean, invalid, make, refang
from bersama.observables.model import Kind, Observable

_SCHEMES = {"http": 80, "https": 443, "ftp": 21, "ws": 80, "wss": 443}
_SCHEME_RE = re.compile(r"\A([A-Za-z][A-Za-z0-9+.-]*)://")
_ASCII_HOST = re.compile(r"\A[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_](?:[a-z0-9_-]{0,62}))*\Z")
_PCT = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Characters left as they are in a path or query (RFC 3986 pchar + "/" "?" and "%").
_SAFE = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/?%"
)
_HOST_SPLIT = re.compile(r"[/?#]")
_QUERY_OR_FRAGMENT = re.compile(r"[?#]")
_WS = re.compile(r"\s")
_UNSAFE = re.compile(r"[^A-Za-z0-9\-._~!$&'()*+,;=:@/?%]")
_HEX_NUMBER = re.compile(r"\A0[xX][0-9A-Fa-f]*\Z")
_LONE_PCT = re.compile(r"%(?![0-9A-F]{2})")

_extractor: Any = None


def _tld() -> Any:
    """The one tldextract instance: bundled suffix snapshot, no cache dir, no network."""
    global _extractor  # noqa: PLW0603 - a lazily built module singleton is the point
    if _extractor is None:
        import tldextract

        _extractor = tldextract.TLDExtract(
            suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True
        )
    return _extractor


@lru_cache(maxsize=CACHE_SIZE)
def registered_domain(host: str) -> str:
    """Registered domain (domain under a public or private suffix) of a punycode host, or ""."""
    r = _tld().extract_str(host)
    if not r.domain and r.is_private:
        # The host is itself a private suffix (github.io, blogspot.com): it is still a
        # registrable name under the ICANN suffix.
        r = _tld().extract_str(host, include_psl_private_domains=False)
    if not r.suffix or not r.domain:
        return ""
    return f"{r.domain}.{r.suffix}"


def _ascii_host(host: str, field: str, original: str) -> str:
    """Lower-case punycode form of a host name; refuse what is not a host."""
    h = host.rstrip(".").lower()
    if not h:
        invalid("empty host", field=field, value=original)
    if _ASCII_HOST.match(h):
        if "xn--" in h:
            try:
                idna.decode(h)
            except idna.IDNAError as exc:
                invalid(f"invalid punycode host: {exc}", field=field, value=original)
        return h
    try:
        out = idna.encode(h, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        invalid(f"invalid host name: {exc}", field=field, value=original)
    if not _ASCII_HOST.match(out):
        invalid("invalid host name", field=field, value=original)
    return out


def unicode_host(host: str) -> str:
    if "xn--" not in host:
        return host
    try:
        return str(idna.decode(host))
    except idna.IDNAError:
        return host


def _pct_fix(m: re.Match[str]) -> str:
    b = int(m.group(1), 16)
    return chr(b) if b in _UNRESERVED else "%" + m.group(1).upper()


def _normalise_pct(s: str) -> str:
    if "%" in s:
        s = _PCT.sub(_pct_fix, s)
    if _UNSAFE.search(s):
        s = "".join(
            ch if ch in _SAFE else "".join(f"%{b:02X}" for b in ch.encode("utf-8")) for ch in s
        )
    if "%" in s:
        s = _LONE_PCT.sub("%25", s)
    return s


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4."""
    if "." not in path:
        return path
    segs = path.split("/")
    out: list[str] = []
    for seg in segs[1:]:
        if seg == "..":
            if out:
                out.pop()
        elif seg != ".":
            out.append(seg)
    trailing = segs[-1] in (".", "..")
    return "/" + "/".join(out) + ("/" if trailing and out else "")


def _ipv4_number(part: str) -> int | None:
    """WHATWG "IPv4 number parser": decimal, `0x` hex or `0`-prefixed octal; None if not."""
    radix = 10
    if part[:2] in ("0x", "0X"):
        part, radix = part[2:], 16
    elif len(part) > 1 and part[0] == "0":
        part, radix = part[1:], 8
    if not part:
        return 0
    if not part.isascii() or not part.isalnum():
        return None
    try:
        return int(part, radix)
    except ValueError:
        return None


def _ends_in_number(host: str) -> bool:
    """WHATWG "ends in a number checker", for a host already without its trailing dot."""
    last = host.rpartition(".")[2]
    return last.isdigit() or bool(_HEX_NUMBER.match(last))


def _ipv4(host: str, original: str) -> str:
    """WHATWG "IPv4 parser": the dotted quad of a host that ends in a number."""
    numbers = [_ipv4_number(p) if p else None for p in host.split(".")]
    parsed = [n for n in numbers if n is not None]
    if (len(parsed) != len(numbers) or len(parsed) > 4 or any(n > 255 for n in parsed[:-1])
            or parsed[-1] >= 256 ** (5 - len(parsed))):
        invalid(f"host {host!r} ends in a number but is no IPv4 address", field="url",
                value=original)
    value = parsed[-1] + sum(n * 256 ** (3 - i) for i, n in enumerate(parsed[:-1]))
    return str(ipaddress.IPv4Address(value))


def _percent_decoded_host(host: str, original: str) -> str:
    """WHATWG host parser's first step: `%65vil.com` is `evil.com`, `%E4%BE%8B.com` is
    `例.com`; what it decodes to is then validated like any host (`evil%2Fx.com` fails)."""
    if "%" not in host:
        return host
    try:
        return unquote_to_bytes(host).decode("utf-8")
    except UnicodeDecodeError:
        invalid(f"host {host!r} is not UTF-8 once percent-decoded", field="url", value=original)


def _host_port(hostport: str, original: str) -> tuple[str, str, int | None, bool]:
    """Split `host[:port]` into (key host, display host, port, is_ip)."""
    port: int | None = None
    if hostport.startswith("["):
        end = hostport.find("]")
        if end == -1:
            invalid("unclosed [ in IPv6 host", field="url", value=original)
        lit, rest = hostport[1:end], hostport[end + 1:]
        try:
            ip6 = ipaddress.IPv6Address(lit)
        except ValueError:
            invalid(f"invalid IPv6 host {lit!r}", field="url", value=original)
        host = disp = f"[{ip6.compressed}]"
        is_ip = True
    else:
        h, sep, rest = hostport.partition(":")
        rest = sep + rest
        host = _ascii_host(_percent_decoded_host(h, original), "url", original)
        is_ip = _ends_in_number(host)
        host = _ipv4(host, original) if is_ip else host
        disp = host if is_ip else unicode_host(host)
    if rest:
        p = rest[1:] if rest.startswith(":") else None
        if p is None or (p and not p.isdigit()) or (p and int(p) > 65535):
            invalid(f"invalid port {rest!r}", field="url", value=original)
        port = int(p) if p else None
    return host, disp, port, is_ip


@lru_cache(maxsize=CACHE_SIZE)
def url(value: str) -> Observable:
    """Canonicalise a URL (defanged forms accepted); see the module docstring for the rules."""
    s = refang(clean(value, "url")).strip("<>\"' ")
    if _WS.search(s):
        invalid("whitespace inside a URL", field="url", value=value)
    if "\\" in s:
        cut = _QUERY_OR_FRAGMENT.search(s)
        end = cut.start() if cut else len(s)
        s = s[:end].replace("\\", "/") + s[end:]
    m = _SCHEME_RE.match(s)
    if m:
        scheme = m.group(1).lower()
        rest = s[m.end():]
    else:
        # protocol-relative `//host/path`: read as http://, like any address without a scheme
        rest = s[2:] if s.startswith("//") else s
        if ":" in rest.split("/", 1)[0] and not re.match(r"\A[^:/]+:\d+(?:[/?#]|\Z)", rest):
            invalid("not a URL (unsupported scheme or no //)", field="url", value=value)
        scheme = "http"
    if scheme not in _SCHEMES:
        invalid(f"unsupported URL scheme {scheme!r}", field="url", value=value)
    cut = _HOST_SPLIT.search(rest)
    authority, tail = (rest[: cut.start()], rest[cut.start():]) if cut else (rest, "")
    userinfo, at, hostport = authority.rpartition("@")
    if not at:
        userinfo = ""
    host, disp_host, port, is_ip = _host_port(hostport, value)
    rd = ""
    if not is_ip:
        rd = registered_domain(host)
        if not rd:
            invalid(f"host {host!r} has no public suffix", field="url", value=value)
    if port == _SCHEMES[scheme]:
        port = None
    tail = tail.split("#", 1)[0]
    path, _, query = tail.partition("?")
    path = _remove_dot_segments(_normalise_pct(path)) if path else "/"
    if not path.startswith("/"):
        path = "/" + path
    query = _normalise_pct(query) if query else ""
    ui = (_normalise_pct(userinfo) + "@") if userinfo else ""
    portpart = f":{port}" if port is not None else ""
    qpart = f"?{query}" if query else ""
    key = f"{scheme}://{ui}{host}{portpart}{path}{qpart}"
    display = f"{scheme}://{ui}{disp_host}{portpart}{path}{qpart}"
    attrs = {"host": host}
    if rd:
        attrs["registered_domain"] = rd
    return make(Kind.URL, key, display, attrs)


@lru_cache(maxsize=CACHE_SIZE)
def domain(value: str) -> Observable:
    """A host name: lower-case punycode, must sit under a public suffix."""
    s = refang(clean(value, "domain"))
    if any(ch in s for ch in "/@: \t"):
        invalid("not a domain name (looks like a URL, e-mail or host:port)", field="domain",
                value=value)
    try:
        ipaddress.ip_address(s)
    except ValueError:
        pass
    else:
        invalid("an IP address, not a domain name", field="domain", value=value)
    host = _ascii_host(s, "domain", value)
    rd = registered_domain(host)
    if not rd:
        invalid(f"{host!r} has no registrable name under a public suffix", field="domain",
                value=value)
    return make(Kind.DOMAIN, host, unicode_host(host), {"registered_domain": rd})
