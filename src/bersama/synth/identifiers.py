"""Minting scam infrastructure: numbers, accounts, wallets, addresses, URLs, handles.

Why counters behind bijections instead of plain random draws: at ten million
observables, random phone numbers of one country collide by the birthday
paradox, and every collision would silently merge two campaigns and falsify
the answer key.  Each identifier space is enumerated by a seeded affine
permutation of a counter, so identifiers are unique within a scenario and
still look random.  Crypto addresses come from seeded random bytes through
the real encodings (base58check, bech32, EIP-55, TRON), so they validate.

Each valid identifier is normalised once, when minted, by the node's own
`bersama.observables.normalise`, so a draft carries exactly the observable
ingest derives and the answer key's refs are the node's keys.  `render`
produces the written forms a reporting agency would use (national phone
formats at home, international abroad; defanged URLs in advisories; grouped
account digits); tests check every form normalises back to the same key.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import base58
import bech32
import phonenumbers
from eth_hash.auto import keccak

from bersama.errors import InvalidInput
from bersama.observables import normalise
from bersama.observables.model import Kind, Observable
from bersama.synth.catalog import BANK_HOTLINES, COUNTRIES, TLDS, Bank, Country, Wallet

_NATIONAL = phonenumbers.PhoneNumberFormat.NATIONAL
_INTL = phonenumbers.PhoneNumberFormat.INTERNATIONAL

LINKABLE_IN_TEXT = frozenset({Kind.PHONE, Kind.URL, Kind.EMAIL, Kind.CRYPTO})
"""Kinds that free-text extraction finds reliably; text reports link through these."""


@dataclass(slots=True, eq=False)
class Ident:
    """One generated identifier and everything needed to write it in any format."""

    kind: Kind
    value: str
    """The canonical input given to the normaliser (the written value when invalid)."""
    country: str | None = None
    parts: tuple[str, ...] = ()
    """Kind-specific: phone (e164, national, international); bank-account (code, name,
    swift, digits); ewallet (code, name, account); crypto (chain, address); url
    (canonical, registered domain); email (address,); handle (platform, handle as
    written)."""
    valid: bool = True
    warninglisted: bool = False
    uses: int = 0
    obs: Observable | None = field(default=None)
    """The node's normalised observable (None when invalid)."""

    def __post_init__(self) -> None:
        if self.valid and self.obs is None:
            self.obs = normalise(self.kind, self.value, country=self.country)
        elif not self.valid:
            self.obs = None

    @property
    def key(self) -> str:
        return self.obs.key if self.obs is not None else self.value

    @property
    def ref(self) -> str:
        return f"{self.kind.value}:{self.key}"


_FAST_FIRST: dict[tuple[str, ...], Observable] = {}
_FAST_REFUSED: set[tuple[str, ...]] = set()


def _normalised(shape: tuple[str, ...], kind: Kind, value: str, country: str | None,
                fast: Callable[[Observable], Observable]) -> Observable:
    """The node's observable for `value`, built cheaply once proven for its shape.

    `normalise` costs ~100 us for a phone number or URL; the generator mints
    millions.  Identifiers of one shape (country and prefix, wallet, chain,
    TLD...) normalise alike, so the first of each shape goes through the real
    normaliser and `fast` (given that first result) must reproduce it exactly;
    only then are later ones of the shape built by `fast`.  If `fast` ever
    disagrees, that shape stays on the real normaliser, so output never
    depends on the shortcut (tests compare both on thousands of values).
    """
    first = _FAST_FIRST.get(shape)
    if first is not None:
        return fast(first)
    real = normalise(kind, value, country=country)
    if shape not in _FAST_REFUSED:
        if fast(real) == real:
            _FAST_FIRST[shape] = real
        else:
            _FAST_REFUSED.add(shape)
    return real


_CALLING_CODE = {c: phonenumbers.country_code_for_region(c) for c in COUNTRIES}
_TEMPLATES: dict[tuple[str, str, int, int], tuple[str, tuple[int, ...]]] = {}


def _template(country: str, prefix: str, nsn: str, fmt: int) -> tuple[str, tuple[int, ...]]:
    """How `phonenumbers` lays out numbers like `nsn`, learnt once and reused.

    Formatting with `phonenumbers` costs ~50 us a number; numbers that share a
    country, length and leading digits share a layout, so the layout of the
    first one is kept as a template with slots for the national number's
    digits.  The catalogue's mobile prefixes are chosen so that one layout
    fits every number under a prefix (tests check it against `phonenumbers`).
    """
    key = (country, prefix, len(nsn), fmt)
    hit = _TEMPLATES.get(key)
    if hit is None:
        pn = phonenumbers.PhoneNumber(country_code=_CALLING_CODE[country],
                                      national_number=int(nsn))
        text = phonenumbers.format_number(pn, fmt)
        slots: list[int] = []
        remaining = len(nsn)
        for pos in range(len(text) - 1, -1, -1):
            if remaining and text[pos].isdigit():
                slots.append(pos)
                remaining -= 1
        hit = _TEMPLATES[key] = (text, tuple(reversed(slots)))
    return hit


def _fill(template: tuple[str, tuple[int, ...]], nsn: str) -> str:
    text, slots = template
    chars = list(text)
    for pos, digit in zip(slots, nsn, strict=True):
        chars[pos] = digit
    return "".join(chars)


class _Perm:
    """A seeded affine permutation of range(space): unique values that look random."""

    __slots__ = ("_a", "_b", "_n", "space")

    def __init__(self, space: int, rng: random.Random) -> None:
        self.space = space
        a = rng.randrange(space // 3 + 1, space) | 1
        while math.gcd(a, space) != 1:
            a += 2
        self._a = a % space or 1
        self._b = rng.randrange(space)
        self._n = 0

    def next(self, what: str) -> int:
        if self._n >= self.space:
            raise InvalidInput(f"scenario too large: {what} space exhausted", field="observables")
        v = (self._a * self._n + self._b) % self.space
        self._n += 1
        return v


_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def _b36(n: int) -> str:
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = _B36[r] + out
        if n == 0:
            return out


def eip55(addr20: bytes) -> str:
    """The EIP-55 mixed-case checksum form of a 20-byte Ethereum address."""
    hexaddr = addr20.hex()
    digest = keccak(hexaddr.encode("ascii")).hex()
    return "0x" + "".join(
        c.upper() if c.isalpha() and int(digest[i], 16) >= 8 else c
        for i, c in enumerate(hexaddr)
    )


_WORDS = ("alpha", "lucky", "golden", "star", "royal", "prime", "smart", "global", "asia",
          "dragon", "lotus", "tiger", "jade", "crown", "ocean", "sun", "vip", "max", "pro",
          "elite", "trust", "happy", "rich", "moon")
_NAMES = ("anna", "kevin", "lisa", "david", "mei", "jenny", "alex", "sophia", "michael",
          "linda", "ryan", "grace", "daniel", "amy", "jason", "nina", "eric", "tina")
_PATHS = ("login", "verify", "secure", "update", "claim", "track", "invite", "download",
          "account", "register", "pay", "portal")


class Minter:
    """Mints fresh, unique identifiers; one per scenario, driven by the scenario's RNG."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._phone: dict[str, _Perm] = {}
        self._bank: dict[tuple[str, str], _Perm] = {}
        self._name = _Perm(36**6, rng)

    # ------------------------------------------------------------------ phones
    def _nsn(self, country: Country) -> tuple[str, str]:
        perm = self._phone.get(country.code)
        if perm is None:
            space = len(country.mobile_prefixes) * 10**country.subscriber_digits
            perm = self._phone[country.code] = _Perm(space, self.rng)
        idx = perm.next(f"{country.code} phone number")
        prefix = country.mobile_prefixes[idx // 10**country.subscriber_digits]
        return prefix, prefix + str(idx % 10**country.subscriber_digits).zfill(
            country.subscriber_digits)

    def phone(self, country: str) -> Ident:
        prefix, nsn = self._nsn(COUNTRIES[country])
        e164 = f"+{_CALLING_CODE[country]}{nsn}"
        parts = (e164, _fill(_template(country, prefix, nsn, _NATIONAL), nsn),
                 _fill(_template(country, prefix, nsn, _INTL), nsn))
        obs = _normalised(("phone", country, prefix), Kind.PHONE, e164, country,
                          lambda f: Observable(Kind.PHONE, e164, parts[2], f.attrs))
        return Ident(Kind.PHONE, e164, country, parts, obs=obs)

    # ----------------------------------------------------------- bank accounts
    def bank_account(self, country: str, bank: Bank | None = None) -> Ident:
        c = COUNTRIES[country]
        bank = bank or self.rng.choice(c.banks)
        perm = self._bank.get((country, bank.code))
        if perm is None:
            perm = self._bank[(country, bank.code)] = _Perm(9 * 10 ** (bank.digits - 1),
                                                            self.rng)
        digits = str(perm.next(f"{bank.name} account") + 10 ** (bank.digits - 1))
        value = f"{country}:{bank.code}:{digits}"
        obs = _normalised(
            ("bank", country, bank.code), Kind.BANK_ACCOUNT, value, None,
            lambda f: Observable(Kind.BANK_ACCOUNT, value,
                                 f"{f.display.rsplit(' ', 1)[0]} {digits}", f.attrs))
        return Ident(Kind.BANK_ACCOUNT, value, country, (bank.code, bank.name, bank.swift, digits),
                     obs=obs)

    # ---------------------------------------------------------------- e-wallets
    def ewallet(self, country: str, wallet: Wallet | None = None) -> Ident:
        c = COUNTRIES[country]
        if not c.wallets:
            return self.bank_account(country)
        wallet = wallet or self.rng.choice(c.wallets)
        account = f"+{_CALLING_CODE[country]}{self._nsn(c)[1]}"
        value = f"{wallet.code}:{account}"
        obs = _normalised(
            ("ewallet", country, wallet.code), Kind.EWALLET, value, country,
            lambda f: Observable(Kind.EWALLET, value,
                                 f"{f.display.rsplit(' ', 1)[0]} {account}", f.attrs))
        return Ident(Kind.EWALLET, value, country, (wallet.code, wallet.name, account), obs=obs)

    # ------------------------------------------------------------------ crypto
    def crypto(self, chain: str | None = None) -> Ident:
        rng = self.rng
        chain = chain or rng.choices(("tron", "ethereum", "bitcoin"), (5, 3, 2))[0]
        if chain == "tron":
            addr = base58.b58encode_check(b"\x41" + rng.randbytes(20)).decode()
        elif chain == "ethereum":
            addr = eip55(rng.randbytes(20))
        else:
            style = rng.random()
            if style < 0.45:
                enc = bech32.encode("bc", 0, rng.randbytes(20))
                assert enc is not None  # noqa: S101 - 20-byte v0 programs always encode
                addr = enc
            elif style < 0.8:
                addr = base58.b58encode_check(b"\x00" + rng.randbytes(20)).decode()
            else:
                addr = base58.b58encode_check(b"\x05" + rng.randbytes(20)).decode()
        key = addr.lower() if chain == "ethereum" else addr
        obs = _normalised(("crypto", chain, addr[0]), Kind.CRYPTO, addr, None,
                          lambda f: Observable(Kind.CRYPTO, key, addr, f.attrs))
        return Ident(Kind.CRYPTO, addr, None, (chain, addr), obs=obs)

    # -------------------------------------------------------------- web, e-mail
    def _domain(self, brand: str) -> str:
        rng = self.rng
        word = rng.choice(_WORDS)
        tag = _b36(self._name.next("domain name"))
        return f"{brand}-{word}{tag}.{rng.choice(TLDS)}"

    def url(self, brand: str) -> Ident:
        rng = self.rng
        domain = self._domain(brand)
        host = domain if rng.random() < 0.7 else f"{rng.choice(('www', 'm', 'app'))}.{domain}"
        path = rng.choice(_PATHS)
        if rng.random() < 0.5:
            path += "/" + _b36(rng.getrandbits(30))
        canonical = f"https://{host}/{path}"
        obs = _normalised(
            ("url", domain.rsplit(".", 1)[1], str(host == domain)), Kind.URL, canonical, None,
            lambda _f: Observable(Kind.URL, canonical, canonical,
                                  (("host", host), ("registered_domain", domain))))
        return Ident(Kind.URL, canonical, None, (canonical, domain), obs=obs)

    def email(self, brand: str) -> Ident:
        rng = self.rng
        if rng.random() < 0.5:
            local = rng.choice(("support", "admin", "hr", "cs", "service"))
            addr = f"{local}@{self._domain(brand)}"
        else:
            tag = _b36(self._name.next("e-mail name"))
            free = rng.choice(("gmail.com", "outlook.com", "yahoo.com", "proton.me"))
            addr = f"{rng.choice(_NAMES)}.{tag}@{free}"
        domain = addr.split("@", 1)[1]
        obs = _normalised(
            ("email", domain.rsplit(".", 1)[1], str("-" in domain)), Kind.EMAIL, addr, None,
            lambda _f: Observable(Kind.EMAIL, addr, addr,
                                  (("domain", domain), ("registered_domain", domain))))
        return Ident(Kind.EMAIL, addr, None, (addr,), obs=obs)

    # ----------------------------------------------------------------- handles
    def handle(self, brand: str) -> Ident:
        rng = self.rng
        platform = rng.choices(("telegram", "line", "facebook", "instagram", "wechat"),
                               (6, 1.5, 1.5, 1, 1))[0]
        tag = _b36(self._name.next("handle"))
        sep = "" if platform == "facebook" else "_"  # dots would read as domains in text
        base = rng.choice((brand, rng.choice(_NAMES), rng.choice(_WORDS)))[:10].strip("-")
        name = f"{base.replace('-', sep)}{sep}{tag}"
        if len(name) < 6:
            name += f"{sep}cs"
        # WeChat ids are case-sensitive: written as minted; the others ignore case.
        written = name.title() if platform != "wechat" and rng.random() < 0.4 else name
        value = f"{platform}:{written}"
        key = f"{platform}:{name}"
        obs = _normalised(
            ("handle", platform), Kind.HANDLE, value, None,
            lambda f: Observable(Kind.HANDLE, key, f"{f.display.split(' @')[0]} @{name}",
                                 f.attrs))
        return Ident(Kind.HANDLE, value, None, (platform, written), obs=obs)

    # ----------------------------------------------------------------- invalid
    def invalid(self, country: str) -> Ident:
        """A value that looks right but fails validation (ingest must reject it)."""
        rng = self.rng
        if rng.random() < 0.6:
            addr = self.crypto("tron").key
            alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
            while True:
                pos = rng.randrange(5, len(addr))
                bad = addr[:pos] + rng.choice(alphabet) + addr[pos + 1:]
                if bad != addr and not _b58_valid(bad):
                    break
            return Ident(Kind.CRYPTO, bad, None, ("tron", bad), valid=False)
        c = COUNTRIES[country]
        short = f"0{c.mobile_prefixes[0]}{rng.randrange(100, 999)}"
        return Ident(Kind.PHONE, short, country, (short, short, short), valid=False)


def _b58_valid(addr: str) -> bool:
    try:
        base58.b58decode_check(addr)
    except ValueError:
        return False
    return True


def well_known_phone(country: str) -> Ident:
    """A bank's public customer hotline: on the bundled warninglist where one is
    published (`catalog.BANK_HOTLINES`), else a synthetic number the scenario
    lists as a per-agency warninglist entry."""
    if country in BANK_HOTLINES:
        ex = phonenumbers.parse(BANK_HOTLINES[country])
    else:
        example = (phonenumbers.example_number_for_type(country,
                                                        phonenumbers.PhoneNumberType.TOLL_FREE)
                   or phonenumbers.example_number_for_type(
                       country, phonenumbers.PhoneNumberType.FIXED_LINE))
        if example is None:
            raise InvalidInput(f"no example number for {country}", field="countries",
                               value=country)
        ex = example
    e164 = f"+{ex.country_code}{ex.national_number}"
    parts = (e164, phonenumbers.format_number(ex, _NATIONAL), phonenumbers.format_number(ex, _INTL))
    return Ident(Kind.PHONE, e164, country, parts, warninglisted=True)


def well_known_url(url: str) -> Ident:
    host = url.split("/")[2]
    return Ident(Kind.URL, url, None, (url, host.removeprefix("www.")), warninglisted=True)


def _group_digits(digits: str, rng: random.Random) -> str:
    style = rng.random()
    if style < 0.55:
        return digits
    sep = "-" if style < 0.8 else " "
    step = 4 if len(digits) % 4 != 1 else 3
    return sep.join(digits[i:i + step] for i in range(0, len(digits), step))


def _defang(url: str) -> str:
    head, _, rest = url.partition("://")
    host, _, path = rest.partition("/")
    return f"{head.replace('t', 'x')}://{host.replace('.', '[.]')}/{path}"


def render(  # noqa: PLR0911, PLR0912 - one branch per kind and written form
    ident: Ident, agency_country: str, rng: random.Random, *, text: bool = False
) -> str:
    """How a reporting agency writes this identifier (free text when `text`)."""
    p = ident.parts
    kind = ident.kind
    if kind is Kind.PHONE:
        r = rng.random()
        if ident.country == agency_country:
            return p[1] if r < 0.7 else p[2] if r < 0.9 else p[0]
        return p[2] if r < 0.8 else p[0]
    if kind is Kind.BANK_ACCOUNT:
        return _group_digits(p[3], rng)
    if kind is Kind.EWALLET:
        return p[2]
    if kind is Kind.CRYPTO:
        r = rng.random()
        if p[0] == "ethereum" and r < 0.2:
            return p[1].lower()
        if p[1].startswith("bc1") and r < 0.1:
            return p[1].upper()
        return p[1]
    if kind is Kind.URL:
        r = rng.random()
        if ident.warninglisted:
            return p[0]
        if (text and r < 0.6) or r < 0.15:
            return _defang(p[0])
        if r < 0.8:
            return p[0]
        scheme, _, rest = p[0].partition("://")
        host, _, path = rest.partition("/")
        return f"{scheme.upper()}://{host.upper()}/{path}"
    if kind is Kind.EMAIL:
        return p[0] if rng.random() < 0.8 else p[0][0].upper() + p[0][1:]
    # handle
    platform, written = p
    if platform in ("telegram", "instagram") and rng.random() < 0.7:
        return "@" + written
    return written
