"""Bank accounts and e-wallet accounts.

Bank account key: `CC:BANK:DIGITS` — ISO country, the bank as an upper-case
code (an alias table for the major ASEAN and partner banks maps "Maybank",
"Malayan Banking" and "MBB" to `MBB`; an unknown bank name is kept as its
collapsed upper-case alphanumerics, so spacing and case still meet), and the
account number as digits only (spaces, dashes and dots removed), 6-20 long.

E-wallet key: `provider:account` — the provider as a lower-case code from an
alias table ("Touch 'n Go", "TNG" -> `tng`), the account as E.164 when the
provider's accounts are mobile numbers, resolved with the provider's country
(or the reporting country for multi-country providers such as GrabPay).

The alias tables are JSON files in `observables/data/`, read once on import.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any

import phonenumbers

from bersama.errors import InvalidObservable
from bersama.observables._common import CACHE_SIZE, clean, collapse, invalid, make
from bersama.observables.model import Kind, Observable
from bersama.observables.net import email
from bersama.observables.phone import phone

_ACCOUNT_SEP = re.compile(r"[\s\-./]")
_GENERIC_ID = re.compile(r"\A[A-Za-z0-9._-]{3,64}\Z")


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


def country_code(country: str, field: str = "country") -> str:
    c = country.strip().upper()
    if len(c) != 2 or not c.isalpha() or c not in phonenumbers.SUPPORTED_REGIONS:
        invalid(f"unknown ISO 3166-1 alpha-2 country code {country!r}", field=field,
                value=country)
    return c


def bank_code(country: str, bank: str) -> str:
    """Upper-case code of a bank name or alias within a country (collapsed name when unknown)."""
    c = collapse(bank)
    if not 2 <= len(c) <= 40:
        invalid("bank name must have 2-40 letters or digits", field="bank", value=bank)
    return BANK_ALIASES.get(country, {}).get(c, c)


@lru_cache(maxsize=CACHE_SIZE)
def bank_account(country: str, bank: str, number: str) -> Observable:
    """Normalise (country, bank, account number) to `CC:BANK:DIGITS`."""
    cc = country_code(clean(country, "country"))
    code = bank_code(cc, clean(bank, "bank"))
    raw = clean(number, "account_number")
    digits = _ACCOUNT_SEP.sub("", raw)
    if not digits.isdigit() or not digits.isascii():
        invalid("account number must be digits (spaces and dashes allowed)",
                field="account_number", value=raw)
    if not 6 <= len(digits) <= 20:
        invalid(f"account number has {len(digits)} digits; expected 6-20",
                field="account_number", value=raw)
    attrs = {"country": cc, "bank": code}
    name = BANK_NAMES.get((cc, code))
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
        return phone(raw, home).key, "phone"
    except InvalidObservable as exc:
        if mode in ("phone", "email_or_phone"):
            invalid(f"account is not a valid mobile number: {exc.detail}", field="account",
                    value=raw)
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
