"""Bank accounts and e-wallet accounts.

Bank account key: `CC:BANK:DIGITS` — ISO country, the bank as an upper-case
code (an alias table for the major ASEAN and partner banks maps "Maybank",
"Malayan Banking" and "MBB" to `MBB`; an unknown bank name is kept as its
collapsed upper-case alphanumerics, so spacing and case still meet), and the
account number as digits only (spaces, dashes and dots removed), 6-20 long and
as long as the country's or the bank's account numbers are (`account_lengths.py`:
no six-digit Krungthai account).

Which bank and which country (`resolve_bank`), so that every source meets on
one key: MISP names banks by SWIFT/BIC, CSV and text by name, often without a
country.  A BIC we know (`bics.json`: MBBEMYKL, MBBEMYKLXXX or any branch)
resolves to its bank and the BIC's country, and contradicts an explicitly given
country loudly (InvalidObservable) rather than one of them winning silently.
An unknown BIC-shaped value in its own country is keyed by the BIC (BIC8 when
the branch is `XXX`).  When no country is given, a bank name the table knows
in exactly one country puts the account there ("Kasikornbank" from a Malaysian
agency is Thai); names of banking groups present in several countries
(`bank_groups.json`: HSBC, Maybank, Citibank...) and unknown names stay in the
default (reporting) country, as before.

E-wallet key: `provider:account` — the provider as a lower-case code from an
alias table ("Touch 'n Go", "TNG" -> `tng`), the account as E.164 when the
provider's accounts are mobile numbers, resolved with the provider's country
(or the reporting country for multi-country providers such as GrabPay).  Such an
account must be a mobile number, not merely a valid one: free text offers dates
and amounts next to wallet names ("GCash ... Jan 20 2024", "WaveMoney: 1200000 Ks")
that read as landline numbers.

The alias tables are JSON files in `observables/data/`, read once on import.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any, NoReturn

import phonenumbers

from bersama.errors import InvalidObservable
from bersama.observables._common import CACHE_SIZE, clean, collapse, invalid, make
from bersama.observables.account_lengths import BANK_LENGTHS, GENERIC, account_lengths
from bersama.observables.model import Kind, Observable
from bersama.observables.net import email
from bersama.observables.phone import phone

_ACCOUNT_SEP = re.compile(r"[\s\-./]")
_GENERIC_ID = re.compile(r"\A[A-Za-z0-9._-]{3,64}\Z")
_MOBILE_TYPES = frozenset({"mobile", "fixed_line_or_mobile"})
"""Number types a phone-account wallet takes: where the metadata cannot tell a mobile
from a landline (the US, China...) it says fixed_line_or_mobile."""


def load_data(name: str) -> dict[str, Any]:
    """A JSON table from `observables/data/`, without its `_about` note."""
    data: dict[str, Any] = json.loads(
        resources.files("bersama.observables").joinpath("data", name).read_text("utf-8")
    )
    data.pop("_about", None)
    return data


def _bank_tables() -> tuple[dict[str, dict[str, str]], dict[tuple[str, str], str]]:
    aliases: dict[str, dict[str, str]] = {}
    names: dict[tuple[str, str], str] = {}
    for country, banks in load_data("banks.json").items():
        table = aliases.setdefault(country, {})
        for code, spellings in banks.items():
            names[(country, code)] = spellings[0]
            for alias in (code, *spellings):
                table[collapse(alias)] = code
    return aliases, names


def _bank_countries() -> dict[str, dict[str, str]]:
    """Collapsed alias -> {country: code}, over every country."""
    out: dict[str, dict[str, str]] = {}
    for country, table in BANK_ALIASES.items():
        for alias, code in table.items():
            out.setdefault(alias, {})[country] = code
    return out


_BIC = re.compile(r"\A[A-Z]{4}([A-Z]{2})[A-Z0-9]{2}(?:[A-Z0-9]{3})?\Z")


def _bic_table() -> dict[str, tuple[str, str]]:
    """BIC8 -> (country, our bank code); the data file is checked against banks.json."""
    out: dict[str, tuple[str, str]] = {}
    for country, banks in load_data("bics.json").items():
        for code, bics in banks.items():
            for bic in bics:
                m = _BIC.match(bic)
                if m is None or len(bic) != 8 or m.group(1) != country or (
                        country, code) not in BANK_NAMES:
                    raise ValueError(f"bics.json: bad entry {country}/{code}/{bic}")
                out[bic] = (country, code)
    return out


def _group_members() -> frozenset[tuple[str, str]]:
    members: set[tuple[str, str]] = set()
    for group, entries in load_data("bank_groups.json").items():
        for entry in entries:
            country, _, code = entry.partition(":")
            if (country, code) not in BANK_NAMES:
                raise ValueError(f"bank_groups.json: {group}: unknown bank {entry}")
            members.add((country, code))
    return frozenset(members)


def _wallet_tables() -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    aliases: dict[str, str] = {}
    specs: dict[str, dict[str, Any]] = {}
    for code, spec in load_data("ewallets.json").items():
        specs[code] = spec
        for alias in (code, spec["name"], *spec["aliases"]):
            aliases[collapse(alias)] = code
    return aliases, specs


BANK_ALIASES, BANK_NAMES = _bank_tables()
WALLET_ALIASES, WALLET_SPECS = _wallet_tables()
BANK_COUNTRIES = _bank_countries()
BICS = _bic_table()
CROSS_BORDER_BANKS = _group_members()


def country_code(country: str, field: str = "country") -> str:
    c = country.strip().upper()
    if len(c) != 2 or not c.isalpha() or c not in phonenumbers.SUPPORTED_REGIONS:
        invalid(f"unknown ISO 3166-1 alpha-2 country code {country!r}", field=field,
                value=country)
    return c


def bank_code(country: str, bank: str) -> str:
    """Upper-case code of a bank name or alias within a country (collapsed name when unknown)."""
    return resolve_bank(bank, country)[1]


def bic_parts(value: str) -> tuple[str, str] | None:
    """(BIC key, country) when `value` has the shape of a SWIFT/BIC, else None.

    The key is the BIC8 when the branch is absent or `XXX` (the primary office,
    the same bank), else the whole BIC11.
    """
    c = collapse(value)
    m = _BIC.match(c)
    if m is None or m.group(1) not in phonenumbers.SUPPORTED_REGIONS:
        return None
    return (c[:8] if c[8:] in ("", "XXX") else c), m.group(1)


def _known_bic(c: str) -> tuple[str, str] | None:
    return BICS.get(c[:8]) if _BIC.match(c) else None


def resolve_bank(bank: str, country: str | None = None, *,
                 default_country: str | None = None) -> tuple[str, str]:
    """(country, bank code) of a bank name, alias or BIC; see the module docstring.

    `country` is a country the source states for the account (checked against
    a known BIC); `default_country` (the reporting agency's) is only assumed
    when neither the bank's name nor its BIC says where the bank is.
    """
    c = collapse(bank)
    if country:
        return _in_stated_country(c, bank, country)
    code = BANK_ALIASES.get(default_country, {}).get(c) if default_country else None
    if default_country and code is not None:
        return default_country, code
    known = _known_bic(c)
    if known is not None:
        return known
    candidates = BANK_COUNTRIES.get(c, {})
    if len(candidates) == 1 and not any(e in CROSS_BORDER_BANKS for e in candidates.items()):
        ((cc, code),) = candidates.items()
        return cc, code
    if not default_country:
        _no_country(bank, candidates)
    return default_country, _unknown_code(c, bank, default_country)


def _in_stated_country(c: str, bank: str, country: str) -> tuple[str, str]:
    code = BANK_ALIASES.get(country, {}).get(c)
    if code is not None:
        return country, code
    known = _known_bic(c)
    if known is not None and known[0] != country:
        invalid(f"country {country} conflicts with BIC {c} (a {BANK_NAMES[known]} BIC in "
                f"{known[0]}): give one of them, or make them agree", field="country",
                value=country)
    return known or (country, _unknown_code(c, bank, country))


def _unknown_code(c: str, bank: str, country: str) -> str:
    """An unknown bank's code: its BIC key when it is a BIC of `country`, else the name.

    Only here is the name's length bounded: it becomes part of the key.  A known
    name maps to its short code whatever its length ("Bank for Agriculture and
    Agricultural Cooperatives" is `BAAC`), so the alias table is checked first.
    """
    parts = bic_parts(c)
    if parts is not None and parts[1] == country:
        return parts[0]
    if not 2 <= len(c) <= 40:
        invalid("bank name must have 2-40 letters or digits", field="bank", value=bank)
    return c


def _no_country(bank: str, candidates: dict[str, str]) -> NoReturn:
    if len(candidates) > 1:
        why = (f"bank {bank!r} is ambiguous without a country (banks of that name in "
               f"{', '.join(sorted(candidates))})")
    elif candidates:
        why = f"bank {bank!r} belongs to a banking group present in several countries"
    else:
        why = f"bank {bank!r} is unknown and no country is given"
    invalid(f"{why}: give the account's country", field="country", value="")


@lru_cache(maxsize=CACHE_SIZE)
def bank_account(country: str | None, bank: str, number: str, *,
                 default_country: str | None = None) -> Observable:
    """Normalise (country, bank, account number) to `CC:BANK:DIGITS`.

    `country` is the account's country as the source states it (None or "" when
    it does not); `default_country` is assumed when neither it nor the bank
    names one (see `resolve_bank`).
    """
    cc = country_code(clean(country, "country")) if country else None
    default = country_code(default_country, "default_country") if default_country else None
    cc, code = resolve_bank(clean(bank, "bank"), cc, default_country=default)
    raw = clean(number, "account_number")
    digits = _ACCOUNT_SEP.sub("", raw)
    if not digits.isdigit() or not digits.isascii():
        invalid("account number must be digits (spaces and dashes allowed)",
                field="account_number", value=raw)
    if not GENERIC[0] <= len(digits) <= GENERIC[1]:
        invalid(f"account number has {len(digits)} digits; expected {GENERIC[0]}-{GENERIC[1]}",
                field="account_number", value=raw)
    name = BANK_NAMES.get((cc, code))
    lo, hi = account_lengths(cc, code)
    if not lo <= len(digits) <= hi:
        whose = f"{name or code} ({cc})" if (cc, code) in BANK_LENGTHS else f"banks in {cc}"
        invalid(f"account number has {len(digits)} digits; account numbers of {whose} have "
                f"{lo if lo == hi else f'{lo}-{hi}'} digits", field="account_number", value=raw)
    attrs = {"country": cc, "bank": code}
    if name:
        attrs["bank_name"] = name
    display = f"{name or code} ({cc}) {digits}"
    return make(Kind.BANK_ACCOUNT, f"{cc}:{code}:{digits}", display, attrs)


def wallet_code(provider: str) -> str:
    c = collapse(provider)
    if not 2 <= len(c) <= 40:
        invalid("provider name must have 2-40 letters or digits", field="provider",
                value=provider)
    return WALLET_ALIASES.get(c, c.lower())


def _wallet_account(spec: dict[str, Any] | None, raw: str, country: str | None) -> tuple[str, str]:
    """(account key, account type) for a provider spec (None: unknown provider)."""
    home = (spec or {}).get("country") or country
    mode = (spec or {}).get("account", "any")
    if "@" in raw and mode in ("email_or_phone", "any"):
        return email(raw).key, "email"
    try:
        number = phone(raw, home)
    except InvalidObservable as exc:
        if mode in ("phone", "email_or_phone"):
            invalid(f"account is not a valid mobile number: {exc.detail}", field="account",
                    value=raw)
    else:
        if mode in ("phone", "email_or_phone") and number.attr("type") not in _MOBILE_TYPES:
            invalid(f"account is not a mobile number ({number.display} is a "
                    f"{number.attr('type')} number)", field="account", value=raw)
        return number.key, "phone"
    compact = _ACCOUNT_SEP.sub("", raw)
    if mode == "phone_or_id":
        if compact.isdigit() and compact.isascii() and 6 <= len(compact) <= 20:
            return compact, "id"
        invalid("account is neither a valid mobile number nor a 6-20 digit id",
                field="account", value=raw)
    generic = "".join(raw.split())
    if not _GENERIC_ID.match(generic):
        invalid("account must be a phone number, e-mail or 3-64 letters/digits",
                field="account", value=raw)
    return generic, "id"


@lru_cache(maxsize=CACHE_SIZE)
def ewallet(provider: str, account: str, country: str | None = None) -> Observable:
    """Normalise (provider, account) to `provider:account`; see the module docstring."""
    code = wallet_code(clean(provider, "provider"))
    raw = clean(account, "account")
    cc = country_code(country) if country else None
    spec = WALLET_SPECS.get(code)
    key, typ = _wallet_account(spec, raw, cc)
    attrs = {"provider": code, "account_type": typ}
    if typ == "phone":
        attrs["country"] = phonenumbers.region_code_for_number(phonenumbers.parse(key)) or ""
    name = spec["name"] if spec else code
    return make(Kind.EWALLET, f"{code}:{key}", f"{name} {key}", attrs)
