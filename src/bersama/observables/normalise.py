"""`normalise(kind, value)`: one entry point over every kind's normaliser.

Structured kinds take a colon-separated value so that they fit in one string
(CSV cells, `bersama check` arguments, the key itself):

- bank-account: `COUNTRY:BANK:NUMBER` (`MY:Maybank:5123 4567 8901`)
- ewallet: `PROVIDER:ACCOUNT` (`gcash:0917 123 4567`)
- handle: `PLATFORM:HANDLE` (`telegram:@Scam_Boss`)

Every key is itself a valid input of its kind, so `normalise(k, normalise(k, v).key)`
returns the same observable (tested as a property).
"""

from __future__ import annotations

from bersama.errors import InvalidObservable
from bersama.observables._common import invalid
from bersama.observables.accounts import bank_account, ewallet
from bersama.observables.crypto import crypto
from bersama.observables.handles import handle
from bersama.observables.hashes import file_hash
from bersama.observables.model import Kind, Observable
from bersama.observables.net import email, ip
from bersama.observables.phone import phone
from bersama.observables.url import domain, url


def _split(value: str, parts: int, kind: Kind, form: str) -> list[str]:
    if not isinstance(value, str):
        invalid(f"expected a string, got {type(value).__name__}", field=kind.value,
                value=repr(value))
    pieces = value.split(":", parts - 1)
    if len(pieces) != parts or not all(p.strip() for p in pieces):
        invalid(f"expected {form}", field=kind.value, value=value)
    return pieces


def normalise(  # noqa: PLR0911, PLR0912 - one branch per kind reads better than a lambda table
    kind: Kind | str, value: str, *, country: str | None = None
) -> Observable:
    """Normalise `value` as an identifier of `kind`; raise InvalidObservable with a reason.

    `country` (ISO 3166-1 alpha-2, the reporting agency's) resolves national
    phone formats, including phone-based e-wallets and messenger handles.
    """
    try:
        k = Kind(kind)
    except ValueError:
        invalid(f"unknown observable kind {kind!r}; expected one of "
                f"{', '.join(x.value for x in Kind)}", field="kind", value=str(kind))
    if not isinstance(value, str):
        invalid(f"expected a string, got {type(value).__name__}", field=k.value,
                value=repr(value))
    if country is not None and not isinstance(country, str):
        invalid("country must be an ISO 3166-1 alpha-2 string", field="country",
                value=repr(country))
    if k is Kind.PHONE:
        return phone(value, country)
    if k is Kind.URL:
        return url(value)
    if k is Kind.DOMAIN:
        return domain(value)
    if k is Kind.EMAIL:
        return email(value)
    if k in (Kind.IPV4, Kind.IPV6):
        obs = ip(value)
        if obs.kind is not k:
            invalid(f"an {obs.kind.value} address, not {k.value}", field="ip", value=value)
        return obs
    if k is Kind.CRYPTO:
        return crypto(value)
    if k in (Kind.MD5, Kind.SHA1, Kind.SHA256):
        return file_hash(value, k)
    if k is Kind.BANK_ACCOUNT:
        cc, bank, number = _split(value, 3, k, "COUNTRY:BANK:NUMBER")
        return bank_account(cc, bank, number)
    if k is Kind.EWALLET:
        provider, account = _split(value, 2, k, "PROVIDER:ACCOUNT")
        return ewallet(provider, account, country)
    if k is Kind.HANDLE:
        platform, name = _split(value, 2, k, "PLATFORM:HANDLE")
        return handle(platform, name, country)
    raise InvalidObservable(f"unsupported kind {k.value}", field="kind")  # pragma: no cover
