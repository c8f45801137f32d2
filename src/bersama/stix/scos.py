"""Observables to STIX cyber-observables and back: the one place the mapping lives.

Export builds plain dicts (no stix2 objects: the TAXII server and the scenario
generator call this for millions of values); import turns an SCO dict, or one
comparison of an indicator pattern, into our normalised observables via the
observables package, which is the only place values are normalised.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import orjson

from bersama import observables as ob
from bersama.errors import InvalidObservable
from bersama.observables.model import Kind, Observable
from bersama.stix.extensions import (
    BANK_ACCOUNT_SCO,
    CRYPTO_SCO,
    EWALLET_SCO,
    EXTENSION_IDS,
    HANDLE_SCO,
    ID_CONTRIBUTING,
    PHONE_SCO,
)
from bersama.stix.ids import sco_id

HASH_NAMES: dict[Kind, str] = {Kind.MD5: "MD5", Kind.SHA1: "SHA-1", Kind.SHA256: "SHA-256"}
_HASH_KINDS: dict[str, Kind] = {
    "MD5": Kind.MD5, "SHA-1": Kind.SHA1, "SHA1": Kind.SHA1, "SHA-256": Kind.SHA256,
    "SHA256": Kind.SHA256,
}
_SIMPLE_OUT: dict[Kind, str] = {
    Kind.URL: "url", Kind.DOMAIN: "domain-name", Kind.EMAIL: "email-addr",
    Kind.IPV4: "ipv4-addr", Kind.IPV6: "ipv6-addr",
}
_SIMPLE_IN: dict[str, Kind] = {v: k for k, v in _SIMPLE_OUT.items()}
SUPPORTED_SCO_TYPES = frozenset({*_SIMPLE_IN, "file", *EXTENSION_IDS})
"""SCO types we turn into observables; others are ignored (see docs/stix.md)."""


def _parts(obs: Observable, names: tuple[str, ...]) -> list[str]:
    """Structured keys are `part:part[:part]`; attrs, when present, are preferred."""
    split = obs.key.split(":", len(names) - 1)
    if len(split) != len(names):
        raise InvalidObservable(f"malformed {obs.kind.value} key", field="key", value=obs.key)
    return [obs.attr(n) or split[i] for i, n in enumerate(names)]


def _custom(sco_type: str, props: dict[str, str]) -> dict[str, Any]:
    contributing = {k: props[k] for k in ID_CONTRIBUTING[sco_type] if k in props}
    obj: dict[str, Any] = {
        "type": sco_type, "spec_version": "2.1", "id": sco_id(sco_type, contributing),
    }
    obj.update(props)
    obj["extensions"] = {EXTENSION_IDS[sco_type]: {"extension_type": "new-sco"}}
    return obj


def observable_to_sco(obs: Observable) -> dict[str, Any]:  # noqa: PLR0911 - one per kind
    """The STIX 2.1 SCO (a plain dict with its deterministic id) for one observable."""
    kind = obs.kind
    simple = _SIMPLE_OUT.get(kind)
    if simple is not None:
        return {"type": simple, "spec_version": "2.1",
                "id": sco_id(simple, {"value": obs.key}), "value": obs.key}
    hash_name = HASH_NAMES.get(kind)
    if hash_name is not None:
        hashes = {hash_name: obs.key}
        return {"type": "file", "spec_version": "2.1",
                "id": sco_id("file", {"hashes": hashes}), "hashes": hashes}
    if kind is Kind.PHONE:
        props = {"number": obs.key}
        country = obs.attr("country")
        if country:
            props["country"] = country
        return _custom(PHONE_SCO, props)
    if kind is Kind.BANK_ACCOUNT:
        country, bank, number = _parts(obs, ("country", "bank", "account_number"))
        return _custom(BANK_ACCOUNT_SCO,
                       {"country": country, "bank": bank, "account_number": number})
    if kind is Kind.EWALLET:
        provider, account = _parts(obs, ("provider", "account"))
        props = {"provider": provider, "account": account}
        country = obs.attr("country")
        if country:
            props["country"] = country
        return _custom(EWALLET_SCO, props)
    if kind is Kind.CRYPTO:
        props = {"address": obs.key}
        chain = obs.attr("chain")
        if chain:
            props["chain"] = chain
        return _custom(CRYPTO_SCO, props)
    if kind is Kind.HANDLE:
        platform, handle = _parts(obs, ("platform", "handle"))
        return _custom(HANDLE_SCO, {"platform": platform, "handle": handle})
    raise InvalidObservable(f"no STIX mapping for kind {kind.value}", field="kind",
                            value=kind.value)


@lru_cache(maxsize=32_768)
def sco_json(obs: Observable) -> tuple[str, str, str]:
    """(id, type, orjson body) of `observable_to_sco(obs)`: what the ingest pipeline stores
    per report version, cached because one value is named by many reports (~0.5 kB an
    entry)."""
    sco = observable_to_sco(obs)
    return sco["id"], sco["type"], orjson.dumps(sco).decode()


def _str(obj: dict[str, Any], prop: str, sco_type: str) -> str:
    value = obj.get(prop)
    if not isinstance(value, str) or not value.strip():
        raise InvalidObservable(f"{sco_type} needs a non-empty string '{prop}'", field=prop,
                                value=repr(value)[:200])
    return value


def _opt(obj: dict[str, Any], prop: str) -> str | None:
    value = obj.get(prop)
    return value if isinstance(value, str) and value.strip() else None


def sco_to_observables(  # noqa: PLR0911 - one return per SCO type
    obj: dict[str, Any], *, country: str,
) -> list[Observable]:
    """Our observables for one SCO dict of a supported type (see SUPPORTED_SCO_TYPES).

    Raises InvalidObservable (field = the STIX property) when a value is invalid.
    `country` resolves national phone formats when the SCO carries none.
    """
    sco_type = obj["type"]
    kind = _SIMPLE_IN.get(sco_type)
    if kind is not None:
        return [ob.normalise(kind, _str(obj, "value", sco_type))]
    if sco_type == "file":
        hashes = obj.get("hashes")
        if not isinstance(hashes, dict) or not hashes:
            raise InvalidObservable("file needs 'hashes'", field="hashes", value=repr(hashes))
        out = []
        for name, value in hashes.items():
            hkind = _HASH_KINDS.get(str(name).upper())
            if hkind is not None and isinstance(value, str):
                out.append(ob.normalise(hkind, value))
        if not out:
            raise InvalidObservable("file has no MD5, SHA-1 or SHA-256 hash", field="hashes",
                                    value=",".join(map(str, hashes)))
        return out
    if sco_type == PHONE_SCO:
        return [ob.phone(_str(obj, "number", sco_type), _opt(obj, "country") or country)]
    if sco_type == BANK_ACCOUNT_SCO:
        return [ob.bank_account(_str(obj, "country", sco_type), _str(obj, "bank", sco_type),
                                _str(obj, "account_number", sco_type))]
    if sco_type == EWALLET_SCO:
        return [ob.ewallet(_str(obj, "provider", sco_type), _str(obj, "account", sco_type),
                           country=_opt(obj, "country") or country)]
    if sco_type == CRYPTO_SCO:
        return [ob.normalise(Kind.CRYPTO, _str(obj, "address", sco_type))]
    if sco_type == HANDLE_SCO:
        return [ob.handle(_str(obj, "platform", sco_type), _str(obj, "handle", sco_type),
                          country)]
    raise InvalidObservable(f"unsupported observable type {sco_type}", field="type",
                            value=sco_type)


def pattern_observable(sco_type: str, path: str, value: str, *, country: str) -> Observable | None:
    """The observable named by one `[type:path = 'value']` comparison, or None when the
    object path is not one we map (e.g. `file:name`)."""
    kind = _SIMPLE_IN.get(sco_type)
    if kind is not None:
        return ob.normalise(kind, value) if path == "value" else None
    if sco_type == "file" and path.startswith("hashes."):
        hkind = _HASH_KINDS.get(path[len("hashes."):].strip("'\"").upper())
        return ob.normalise(hkind, value) if hkind is not None else None
    single = {PHONE_SCO: "number", CRYPTO_SCO: "address"}
    if single.get(sco_type) == path:
        if sco_type == PHONE_SCO:
            return ob.phone(value, country)
        return ob.normalise(Kind.CRYPTO, value)
    return None
