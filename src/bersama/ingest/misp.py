"""MISP events (as MISP and PyMISP export them) to report drafts.

Accepted shapes: `{"Event": {...}}`, a bare event (PyMISP's
`MISPEvent.to_json()`), `{"response": [{"Event": {...}}, ...]}` (REST search)
and a JSON list of either.  Events stream one at a time (ijson), and so do the
attributes and objects inside one (`_Read`): memory is bounded by the observables of the
largest event, not by its JSON.  One event is one draft: `report--<event uuid>`,
`info` → title, `date` → occurred_at, `timestamp` → modified, tags → marking,
crime and scam type (docs/ingest-formats.md has the full table).  Attributes,
including those inside objects, become observables; a value the observables
package refuses is a Rejection naming the attribute uuid, and so is an
attribute type MISP does not define.  Attribute types MISP defines that name no
identifier (comment, text, datetime, ...) are context and skipped; so are
attributes with `disable_correlation` (MISP's own switch for values that must
not correlate) and deleted ones.

Banks and e-wallets, where MISP's model is thinnest: a `bank-account` object's
SWIFT/BIC is resolved to the same bank key a CSV bank name gets (so partners'
events meet hotline reports), and MISP has no e-wallet type, so e-wallets are
read only where the event says so explicitly: a `bank-account` object of a
non-banking institution (or whose institution is a known e-wallet provider and
no bank), a custom e-wallet object, or a phone number whose own comment names
the provider.  docs/ingest-formats.md has the rules.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from typing import Any, BinaryIO

from bersama import observables as ob
from bersama.errors import InvalidInput, InvalidObservable
from bersama.ingest import fields
from bersama.ingest.jsonstream import item_path, open_document, stream_items
from bersama.ingest.markings_map import from_misp
from bersama.ingest.model import Rejection, ReportDraft
from bersama.observables._common import collapse
from bersama.observables.accounts import (
    BANK_ALIASES,
    BANK_COUNTRIES,
    BICS,
    WALLET_ALIASES,
    bic_parts,
)
from bersama.observables.extract import wallet_providers
from bersama.observables.model import Kind, Observable
from bersama.taxonomy import CrimeType, ScamType

_Mapper = Callable[[str, str], list[Observable]]


def _kind(kind: Kind) -> _Mapper:
    return lambda value, country: [ob.normalise(kind, value, country=country)]


def _ip(value: str, country: str) -> list[Observable]:
    return [ob.ip(value)]


def _part(index: int, inner: _Mapper) -> _Mapper:
    def part(value: str, country: str) -> list[Observable]:
        parts = value.split("|")
        if len(parts) != 2:
            raise InvalidObservable("a composite MISP value must be two parts joined by '|'",
                                    value=value)
        return inner(parts[index], country)
    return part


def _both(a: _Mapper, b: _Mapper) -> _Mapper:
    def both(value: str, country: str) -> list[Observable]:
        left, _, right = value.partition("|")
        return a(left, country) + b(right, country)
    return both


def _one_handle(platform: str, value: str, country: str) -> list[Observable]:
    return [ob.handle(platform, value, country)]


def _handle(platform: str) -> _Mapper:
    return lambda value, country: [ob.handle(platform, value, country)]


def _iban(value: str, country: str) -> list[Observable]:
    compact = "".join(value.split()).upper()
    if len(compact) < 15 or not compact[:2].isalpha():
        raise InvalidObservable("not an IBAN", field="iban", value=value)
    return [ob.bank_account(compact[:2], "IBAN", compact[4:])]


ATTRIBUTE_MAP: dict[str, _Mapper] = {
    "phone-number": _kind(Kind.PHONE), "whois-registrant-phone": _kind(Kind.PHONE),
    "url": _kind(Kind.URL), "link": _kind(Kind.URL), "uri": _kind(Kind.URL),
    "domain": _kind(Kind.DOMAIN), "hostname": _kind(Kind.DOMAIN),
    "hostname|port": _part(0, _kind(Kind.DOMAIN)),
    "domain|ip": _both(_kind(Kind.DOMAIN), _ip),
    "email": _kind(Kind.EMAIL), "email-src": _kind(Kind.EMAIL), "email-dst": _kind(Kind.EMAIL),
    "email-reply-to": _kind(Kind.EMAIL), "whois-registrant-email": _kind(Kind.EMAIL),
    "target-email": _kind(Kind.EMAIL),
    "ip-src": _ip, "ip-dst": _ip, "ip-src|port": _part(0, _ip), "ip-dst|port": _part(0, _ip),
    "md5": _kind(Kind.MD5), "sha1": _kind(Kind.SHA1), "sha256": _kind(Kind.SHA256),
    "filename|md5": _part(1, _kind(Kind.MD5)), "filename|sha1": _part(1, _kind(Kind.SHA1)),
    "filename|sha256": _part(1, _kind(Kind.SHA256)),
    "btc": _kind(Kind.CRYPTO), "xmr": _kind(Kind.CRYPTO), "dash": _kind(Kind.CRYPTO),
    "iban": _iban,
    "twitter-id": _handle("x"), "github-username": _handle("github"),
}
"""MISP attribute type → observables (bank-account-nr needs its object, see below)."""

CONTEXT_TYPES = frozenset({
    "text", "comment", "other", "datetime", "filename", "size-in-bytes", "counter", "float",
    "boolean", "port", "AS", "attachment", "malware-sample", "pattern-in-file",
    "pattern-in-traffic", "pattern-in-memory", "regkey", "regkey|value", "mutex", "yara",
    "sigma", "snort", "bro", "zeek", "user-agent", "http-method", "vulnerability", "cpe",
    "weakness", "threat-actor", "campaign-name", "campaign-id", "target-user",
    "target-machine", "target-org", "target-location", "target-external", "first-name",
    "last-name", "middle-name", "full-name", "date-of-birth", "gender", "nationality",
    "passport-number", "passport-country", "passport-expiration", "country-of-residence",
    "place-of-birth", "identity-card-number", "bic", "aba-rtn", "bin", "cc-number", "prtn",
    "whois-registrant-name", "whois-registrar", "whois-creation-date", "whois-registrant-org",
    "x509-fingerprint-md5", "x509-fingerprint-sha1", "x509-fingerprint-sha256", "ssdeep",
    "imphash", "tlsh", "sha224", "sha384", "sha512", "sha512/224", "sha512/256", "sha3-224",
    "sha3-256", "sha3-384", "sha3-512", "authentihash", "impfuzzy", "pehash", "vhash",
    "cdhash", "telfhash", "mime-type", "jarm-fingerprint", "hassh-md5", "hasshserver-md5",
    "ja3-fingerprint-md5", "dns-soa-email", "email-subject", "email-body", "email-header",
    "email-attachment", "email-message-id", "email-x-mailer", "email-mime-boundary",
    "email-thread-index", "email-display-name", "favicon-mmh3", "dkim", "dkim-signature",
    "hex", "stix2-pattern", "named pipe", "community-id", "process-state", "pgp-public-key",
    "pgp-private-key", "github-organisation", "github-repository", "mobile-application-id",
    "chrome-extension-id", "anonymised", "jabber-id", "mac-address", "mac-eui-64", "cookie",
    "hostname|ip",
    "filename|sha512", "filename|ssdeep", "filename|imphash", "filename|tlsh",
    "filename|authentihash", "filename|vhash", "filename|pehash", "filename|impfuzzy",
    "link-anchor", "onion-address", "azure-application-id", "kusto-query", "snort-rule",
    "iban-nr", "frequent-flyer-number", "travel-details", "payment-details", "phone-number|ip",
    "visa-number", "redress-number", "special-service-request", "primary-residence",
    "passenger-name-record-locator-number", "ip-src|port-range", "ip-dst|port-range", "dom-hash",
})
"""MISP-defined attribute types that name no identifier we correlate: kept as context only."""

BANK_OBJECT_FIELDS = ("account", "iban", "swift", "institution-code", "institution-name")
_ACCOUNT_OBJECTS = {
    "telegram-account": "telegram", "facebook-account": "facebook",
    "instagram-account": "instagram", "twitter-account": "x", "tiktok-account": "tiktok",
    "whatsapp-account": "whatsapp", "line-account": "line", "wechat-account": "wechat",
    "github-user": "github", "reddit-account": "reddit", "youtube-account": "youtube",
}
_HANDLE_RELATIONS = frozenset({"username", "account-name", "account-id", "name", "handle",
                               "screen-name", "user-id", "id"})
_EVENT_KEYS = frozenset({"info", "Attribute", "Object", "Orgc", "Org", "threat_level_id",
                         "analysis", "attribute_count"})
"""Keys of a MISP event itself: a document with one of them at the top is a bare event."""
_TAG = re.compile(r'\A(?P<ns>[^:=]+(?::[^=]+)?)(?:="?(?P<value>[^"]*)"?)?\Z')


def parse_misp(stream: BinaryIO, *, agency_country: str,
               source_name: str = "") -> Iterator[ReportDraft | Rejection]:
    """Drafts and rejections from a MISP export; InvalidInput when it is not one."""
    shape, reader = open_document(stream, "MISP event export")
    first = shape.keys[0] if shape.keys else None
    if shape.root == "array":
        prefix = "item"
    elif "Event" in shape.keys or first == "Event":
        prefix = "Event"
    elif "response" in shape.keys or first == "response":
        prefix = "response.item"
    elif _EVENT_KEYS.intersection(shape.keys):
        prefix = ""  # one bare event, as PyMISP's MISPEvent.to_json() writes it
    else:
        raise InvalidInput(
            'not a MISP export: expected {"Event": {...}}, {"response": [...]}, a bare event '
            f"or a list of events; top-level keys are {shape.keys[:5]}", field="Event")
    sinks: dict[str, Callable[[], _Read]] = {
        path: partial(_Read, agency_country, objects=path.endswith("Object"))
        for path in ("Attribute", "Object", "Event.Attribute", "Event.Object")
    }
    for index, item in enumerate(stream_items(reader, prefix, "MISP export", sinks)):
        event = item.get("Event", item) if isinstance(item, dict) else None
        if not isinstance(event, dict):
            yield Rejection("not a MISP event object", record=item_path(prefix, index))
            continue
        yield from _event(event, index)


class _Read:
    """An event's `Attribute` (or `Object`) array, read as it streams: each attribute (each
    object, with its attributes) becomes observables and rejections as soon as the parser
    has it, so one event of a million attributes is never held whole.  Attributes and
    objects are read apart and joined in `_event`, attributes first, wherever either
    sits in the event."""

    __slots__ = ("country", "objects", "out", "rejections", "to_ids")

    def __init__(self, country: str, *, objects: bool) -> None:
        self.country, self.objects = country, objects
        self.out: dict[str, Observable] = {}
        self.to_ids = _ToIds()
        self.rejections: list[Rejection] = []

    def add(self, item: Any) -> None:
        if not self.objects:
            _attribute(item, self.country, self.out, self.to_ids, self.rejections)
        elif isinstance(item, dict) and not _true(item.get("deleted")):
            _object(item, self.country, self.out, self.to_ids, self.rejections)


class _ToIds(list[str]):
    """The refs of `to_ids` attributes, as many as the note that lists them holds
    (`TO_IDS_CHARS`): a feed of a million indicators marks most of them."""

    chars = 0

    def append(self, ref: str) -> None:
        if self.chars <= TO_IDS_CHARS:
            self.chars += len(ref) + 1
            super().append(ref)


TO_IDS_CHARS = 2000
"""Length of the `misp:to_ids` note of a draft (the refs of its `to_ids` attributes)."""


def _event(event: dict[str, Any], index: int) -> Iterator[ReportDraft | Rejection]:
    record = f"event[{index}]"
    raw_uuid = event.get("uuid")
    try:
        event_uuid = str(uuid.UUID(str(raw_uuid)))
    except ValueError:
        yield Rejection("event needs a valid 'uuid'", field="uuid", value=str(raw_uuid),
                        record=record)
        return
    record = f"event {event_uuid}"
    try:
        modified = _epoch(event.get("timestamp")) or fields.parse_datetime(
            str(event.get("date")))
    except ValueError as exc:
        yield Rejection(f"event needs 'timestamp' or 'date': {exc}", field="timestamp",
                        record=record)
        return
    occurred = None
    if event.get("date"):
        try:
            occurred = fields.parse_datetime(str(event["date"]))
        except ValueError as exc:
            yield Rejection(str(exc), field="date", value=str(event["date"]), record=record)
    tags = _tags(event)
    read = [r for r in (event.get("Attribute"), event.get("Object")) if isinstance(r, _Read)]
    read.sort(key=lambda r: r.objects)
    observables: dict[str, Observable] = read[0].out if read else {}
    for more in read[1:]:
        for ref, obs in more.out.items():
            observables.setdefault(ref, obs)  # an attribute's value first, as MISP lists them
    to_ids = [ref for r in read for ref in r.to_ids]
    for r in read:
        yield from r.rejections
    sharing = event.get("SharingGroup")
    group = sharing.get("name") if isinstance(sharing, dict) else None
    tag_rejections: list[Rejection] = []
    crime, scams, ctx = _tag_context(tags, record, tag_rejections)
    yield from tag_rejections
    yield ReportDraft(
        source_id=f"report--{event_uuid}", modified=modified,
        observables=tuple(observables.values()), title=str(event.get("info") or "")[:500],
        crime_type=crime, scam_types=scams, occurred_at=occurred,
        marking=from_misp(tags, event.get("distribution"), group if isinstance(group, str)
                          else None),
        labels=tuple(t for t in tags if not t.lower().startswith(("tlp:", "bersama:"))),
        source_ref=record,
        extra=(("misp:to_ids", ";".join(to_ids)[:TO_IDS_CHARS]),) if to_ids else (),
        one_campaign=_one_campaign(tags), **ctx,
    )


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _true(value: Any) -> bool:
    return value is True or value in ("1", 1, "true", "True")


def _epoch(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        return datetime.fromtimestamp(int(str(value)), tz=UTC)
    except (ValueError, OverflowError, OSError):
        raise ValueError(f"timestamp {value!r} is not Unix epoch seconds") from None


def _tags(holder: dict[str, Any]) -> list[str]:
    out = []
    for tag in _list(holder.get("Tag")) + _list(holder.get("EventTag")):
        name = tag.get("name") if isinstance(tag, dict) else None
        if name is None and isinstance(tag, dict) and isinstance(tag.get("Tag"), dict):
            name = tag["Tag"].get("name")
        if isinstance(name, str):
            out.append(name)
    return out


def _attribute(attr: Any, country: str, out: dict[str, Observable], to_ids: list[str],
               rejections: list[Rejection]) -> None:
    if not isinstance(attr, dict) or _true(attr.get("deleted")):
        return
    atype, value, auuid = attr.get("type"), attr.get("value"), str(attr.get("uuid") or "?")
    if not isinstance(atype, str) or not isinstance(value, str):
        rejections.append(Rejection("attribute needs string 'type' and 'value'",
                                    record=f"attribute {auuid}", field="type"))
        return
    if _true(attr.get("disable_correlation")):
        return
    mapper = ATTRIBUTE_MAP.get(atype)
    if mapper is None:
        if atype == "bank-account-nr":
            rejections.append(Rejection(
                "bank-account-nr outside a bank-account object names no bank; send it in a "
                "bank-account object with swift or institution-code", field="bank-account-nr",
                value=value, record=f"attribute {auuid}"))
        elif atype not in CONTEXT_TYPES:
            rejections.append(Rejection(f"unknown MISP attribute type {atype!r}", field="type",
                                        value=atype, record=f"attribute {auuid}"))
        return
    _add(lambda: mapper(value, country), atype, value, auuid, out=out, to_ids=to_ids,
         flag=_true(attr.get("to_ids")), rejections=rejections)
    if atype == "phone-number":
        _add(lambda: _commented_wallet(attr, value, country, rejections), "ewallet", value,
             auuid, out=out, to_ids=to_ids, flag=_true(attr.get("to_ids")),
             rejections=rejections)


def _add(build: Callable[[], list[Observable]], atype: str, value: str, auuid: str, *,
         out: dict[str, Observable], to_ids: list[str], flag: bool,
         rejections: list[Rejection]) -> None:
    try:
        built = build()
    except InvalidObservable as exc:
        rejections.append(Rejection(exc.detail, field=atype, value=value,
                                    record=f"attribute {auuid}"))
        return
    for obs in built:
        out.setdefault(obs.ref, obs)
        if flag:
            to_ids.append(obs.ref)


def _object(obj: dict[str, Any], country: str, out: dict[str, Observable], to_ids: list[str],
            rejections: list[Rejection]) -> None:
    name = str(obj.get("name"))
    attrs = [a for a in _list(obj.get("Attribute"))
             if isinstance(a, dict) and not _true(a.get("deleted"))]
    by_rel = {str(a.get("object_relation")): a for a in attrs}
    handled: set[int] = set()
    sink = _Sink(country, out, to_ids, rejections)
    if name == "bank-account" and "account" in by_rel:
        handled.add(id(by_rel["account"]))
        _bank_object(by_rel, sink)
    elif name in WALLET_OBJECTS or _named_wallet(name) is not None:
        _wallet_object(name, by_rel, sink, handled)
    platform = _ACCOUNT_OBJECTS.get(name)
    if platform is not None:
        for rel, a in by_rel.items():
            if rel in _HANDLE_RELATIONS and isinstance(a.get("value"), str):
                handled.add(id(a))
                value = a["value"]
                _add(partial(_one_handle, platform, value, country), f"{name}.{rel}", value,
                     str(a.get("uuid")), out=out, to_ids=to_ids, flag=_true(a.get("to_ids")),
                     rejections=rejections)
                break
    for a in attrs:
        if id(a) not in handled and a.get("type") not in ("bank-account-nr",):
            _attribute(a, country, out, to_ids, rejections)


class _Sink:
    """Where an object's observables and rejections go (the event's collections)."""

    def __init__(self, country: str, out: dict[str, Observable], to_ids: list[str],
                 rejections: list[Rejection]) -> None:
        self.country, self.out, self.to_ids, self.rejections = country, out, to_ids, rejections

    def add(self, build: Callable[[], list[Observable]], field: str,
            attr: dict[str, Any]) -> None:
        _add(build, field, str(attr.get("value")), str(attr.get("uuid")), out=self.out,
             to_ids=self.to_ids, flag=_true(attr.get("to_ids")), rejections=self.rejections)

    def reject(self, reason: str, field: str, attr: dict[str, Any]) -> None:
        self.rejections.append(Rejection(reason, field=field, value=str(attr.get("value")),
                                         record=f"attribute {attr.get('uuid')}"))


def _text(by_rel: dict[str, dict[str, Any]], rel: str) -> str:
    value = by_rel.get(rel, {}).get("value")
    return value.strip() if isinstance(value, str) else ""


def _bank_object(by_rel: dict[str, dict[str, Any]], sink: _Sink) -> None:
    """A `bank-account` object: a bank account, or an e-wallet at a non-bank.

    The bank is the SWIFT/BIC when there is one (its country is the account's),
    else institution-code or institution-name (the first the alias table knows),
    placed like a CSV bank name.  MISP's own `non-banking-institution` flag, or
    an institution that is an e-wallet provider and no bank, makes it an e-wallet.
    """
    account = by_rel["account"]
    value = str(account.get("value"))
    names = [n for n in (_text(by_rel, "institution-code"), _text(by_rel, "institution-name"))
             if n]
    swift = _text(by_rel, "swift")
    parts = bic_parts(swift) if swift else None
    if swift and parts is None:
        sink.reject("not a SWIFT/BIC (ISO 9362: 4-letter bank code, 2-letter country, "
                    "2-character location, optional 3-character branch); the bank is taken "
                    "from institution-code or institution-name", "swift", by_rel["swift"])
    if parts is None:
        flag = by_rel.get("non-banking-institution", {}).get("value")
        provider = next((WALLET_ALIASES[collapse(n)] for n in names
                         if collapse(n) in WALLET_ALIASES), None)
        is_bank = any(collapse(n) in BANK_COUNTRIES for n in names)
        if _true(flag) or (flag is None and provider is not None and not is_bank):
            if not names:
                sink.reject("bank-account object of a non-banking institution needs "
                            "institution-name (the e-wallet provider)", "account", account)
                return
            wallet = provider or names[0]
            sink.add(lambda: [ob.ewallet(wallet, value, sink.country)], "bank-account", account)
            return
    if parts is not None:
        bic, cc = parts
        bank = swift
        if bic[:8] not in BICS:  # an unknown BIC: a name the table knows meets more reports
            bank = next((n for n in names if collapse(n) in BANK_ALIASES.get(cc, {})), swift)
        sink.add(lambda: [ob.bank_account(cc, bank, value)], "bank-account", account)
    elif names:
        bank = next((n for n in names if collapse(n) in BANK_COUNTRIES), names[0])
        sink.add(lambda: [ob.bank_account(None, bank, value, default_country=sink.country)],
                 "bank-account", account)
    else:
        sink.reject("bank-account object needs swift, institution-code or institution-name",
                    "account", account)


WALLET_OBJECTS = frozenset({"e-wallet", "ewallet", "e-wallet-account", "ewallet-account",
                            "mobile-wallet", "mobile-money", "mobile-money-account",
                            "digital-wallet"})
"""Custom object names (MISP defines no e-wallet object) read as one e-wallet account."""
_WALLET_PROVIDER_RELATIONS = ("provider", "wallet-provider", "service", "institution-name",
                              "institution-code", "platform")
_WALLET_ACCOUNT_RELATIONS = ("account", "account-id", "account-number", "wallet-id",
                             "phone-number", "phone", "mobile-number", "msisdn", "email",
                             "username", "user-id", "id")


def _named_wallet(name: str) -> str | None:
    """`gcash-account`, `truemoney-wallet`: an object named after a known provider."""
    for suffix in ("-account", "-wallet"):
        if name.endswith(suffix):
            provider = WALLET_ALIASES.get(collapse(name[: -len(suffix)]))
            if provider is not None and name not in _ACCOUNT_OBJECTS:
                return provider
    return None


def _wallet_object(name: str, by_rel: dict[str, dict[str, Any]], sink: _Sink,
                   handled: set[int]) -> None:
    account = next((by_rel[r] for r in _WALLET_ACCOUNT_RELATIONS if _text(by_rel, r)), None)
    provider = _named_wallet(name) or next(
        (_text(by_rel, r) for r in _WALLET_PROVIDER_RELATIONS if _text(by_rel, r)), None)
    if account is None:
        sink.rejections.append(Rejection(
            f"e-wallet object {name!r} has no account ({', '.join(_WALLET_ACCOUNT_RELATIONS)})",
            field=name, record=f"object {name}"))
        return
    if provider is None:
        sink.reject(f"e-wallet object {name!r} names no provider "
                    f"({', '.join(_WALLET_PROVIDER_RELATIONS)})", name, account)
        return
    if account.get("type") not in ATTRIBUTE_MAP:  # a phone-number account is also a phone
        handled.add(id(account))
    value = str(account.get("value"))
    sink.add(lambda: [ob.ewallet(provider, value, sink.country)], name, account)


_WALLET_WORDS = re.compile(r"wallet|account|acct|akaun|akun|rekening|tài khoản|บัญชี|e-?money"
                           r"|mobile money", re.IGNORECASE)


def _commented_wallet(attr: dict[str, Any], value: str, country: str,
                      rejections: list[Rejection]) -> list[Observable]:
    """The e-wallet a phone-number attribute's own comment names ("GCash account").

    Only when the comment names exactly one provider and either says it is an
    account/wallet or the attribute's category is "Financial fraud"; a phone
    number in "fake GCash support line" under another category stays a phone.
    """
    comment = attr.get("comment")
    if not isinstance(comment, str) or not comment.strip():
        return []
    providers = wallet_providers(comment)
    if not providers or not (_WALLET_WORDS.search(comment)
                             or attr.get("category") == "Financial fraud"):
        return []
    if len(providers) > 1:
        rejections.append(Rejection(
            f"comment names several e-wallet providers ({', '.join(providers)}): no e-wallet "
            "recorded for this number (the phone number is)", field="comment", value=comment,
            record=f"attribute {attr.get('uuid') or '?'}"))
        return []
    return [ob.ewallet(providers[0], value, country)]


def _tag_context(tags: list[str], record: str, rejections: list[Rejection],
                 ) -> tuple[CrimeType, tuple[ScamType, ...], dict[str, Any]]:
    """Crime/scam type, losses, country and language from tags (docs/ingest-formats.md)."""
    crime = CrimeType.SCAM
    scams: list[ScamType] = []
    ctx: dict[str, Any] = {}
    for tag in tags:
        m = _TAG.match(tag.strip())
        if m is None or m.group("value") is None:
            continue
        ns, value = m.group("ns").lower(), m.group("value")
        try:
            if ns == "bersama:crime-type":
                crime = fields.crime_type(value)
            elif ns == "bersama:scam-type":
                scams.append(fields.scam_type(value))
            elif ns == "bersama:loss":
                amount, ccy = fields.parse_amount(value)
                if ccy is None:
                    raise ValueError("give the currency: bersama:loss=\"1500 MYR\"")
                ctx["loss_amount"], ctx["loss_currency"] = amount, ccy
            elif ns == "bersama:country":
                ctx["country"] = fields.country(value)
            elif ns == "bersama:language":
                ctx["language"] = value.strip().lower()
            elif ns.startswith("misp-galaxy:"):
                if ns == "misp-galaxy:ransomware":
                    crime = CrimeType.RANSOMWARE
                    continue
                try:
                    scams.append(fields.scam_type(value))
                except ValueError:
                    continue  # galaxies name much that is not a scam type
        except ValueError as exc:
            rejections.append(Rejection(str(exc), field="Tag", value=tag, record=record))
    return crime, tuple(dict.fromkeys(scams)), ctx


_CAMPAIGN_TAGS = frozenset({"bersama:campaign", "misp-galaxy:threat-actor",
                            "misp-galaxy:mitre-intrusion-set"})


def _one_campaign(tags: list[str]) -> bool:
    """Whether the tags name exactly one campaign or actor (`bersama:campaign="…"`, a
    threat-actor or intrusion-set galaxy): the event's identifiers are then that one
    campaign's, and they link however many they are (docs/correlation.md)."""
    named = set()
    for m in filter(None, (_TAG.match(tag.strip()) for tag in tags)):
        ns, value = m.group("ns").lower(), (m.group("value") or "").strip()
        if ns in _CAMPAIGN_TAGS and value:
            named.add((ns, value.casefold()))
    return len(named) == 1
