"""MISP events (as MISP and PyMISP export them) to report drafts.

Accepted shapes: `{"Event": {...}}`, `{"response": [{"Event": {...}}, ...]}` (REST
search) and a JSON list of either.  Events stream one at a time (ijson), so
memory is bounded by the largest event.  One event is one draft:
`report--<event uuid>`, `info` → title, `date` → occurred_at, `timestamp` →
modified, tags → marking, crime and scam type (docs/ingest-formats.md has the
full table).  Attributes, including those inside objects, become observables;
a value the observables package refuses is a Rejection naming the attribute
uuid, and so is an attribute type MISP does not define.  Attribute types MISP
defines that name no identifier (comment, text, datetime, ...) are context and
skipped; so are attributes with `disable_correlation` (MISP's own switch for
values that must not correlate) and deleted ones.
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
from bersama.ingest.jsonstream import open_document, stream_items
from bersama.ingest.markings_map import from_misp
from bersama.ingest.model import Rejection, ReportDraft
from bersama.observables.model import Kind, Observable
from bersama.taxonomy import CrimeType, ScamType

_Mapper = Callable[[str, str], list[Observable]]


def _kind(kind: Kind) -> _Mapper:
    return lambda value, country: [ob.normalise(kind, value, country=country)]


def _ip(value: str, country: str) -> list[Observable]:
    return [ob.ip(value)]


def _part(index: int, inner: _Mapper) -> _Mapper:
    return lambda value, country: inner(value.split("|")[index], country)


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
    else:
        raise InvalidInput(
            'not a MISP export: expected {"Event": {...}}, {"response": [...]} or a list of '
            f"events; top-level keys are {shape.keys[:5]}", field="Event")
    for index, item in enumerate(stream_items(reader, prefix, "MISP export")):
        event = item.get("Event", item) if isinstance(item, dict) else None
        if not isinstance(event, dict):
            yield Rejection("not a MISP event object", record=f"{prefix}[{index}]")
            continue
        yield from _event(event, index, agency_country)


def _event(event: dict[str, Any], index: int,
           country: str) -> Iterator[ReportDraft | Rejection]:
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
    rejections: list[Rejection] = []
    observables: dict[str, Observable] = {}
    to_ids: list[str] = []
    for attr in _list(event.get("Attribute")):
        _attribute(attr, country, observables, to_ids, rejections)
    for obj in _list(event.get("Object")):
        if isinstance(obj, dict) and not _true(obj.get("deleted")):
            _object(obj, country, observables, to_ids, rejections)
    yield from rejections
    sharing = event.get("SharingGroup")
    group = sharing.get("name") if isinstance(sharing, dict) else None
    crime, scams, ctx = _tag_context(tags, record, rejections := [])
    yield from rejections
    yield ReportDraft(
        source_id=f"report--{event_uuid}", modified=modified,
        observables=tuple(observables.values()), title=str(event.get("info") or "")[:500],
        crime_type=crime, scam_types=scams, occurred_at=occurred,
        marking=from_misp(tags, event.get("distribution"), group if isinstance(group, str)
                          else None),
        labels=tuple(t for t in tags if not t.lower().startswith(("tlp:", "bersama:"))),
        source_ref=record, extra=(("misp:to_ids", ";".join(to_ids)[:2000]),) if to_ids else (),
        **ctx,
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
    name = obj.get("name")
    attrs = [a for a in _list(obj.get("Attribute"))
             if isinstance(a, dict) and not _true(a.get("deleted"))]
    by_rel = {str(a.get("object_relation")): a for a in attrs}
    handled: set[int] = set()
    if name == "bank-account" and "account" in by_rel:
        account = by_rel["account"]
        bank = next((str(by_rel[f]["value"]) for f in ("swift", "institution-code",
                                                        "institution-name") if f in by_rel), "")
        swift = str(by_rel["swift"]["value"]) if "swift" in by_rel else ""
        cc = swift[4:6].upper() if len(swift) in (8, 11) else country
        value = str(account.get("value"))
        handled.add(id(account))
        if not bank:
            rejections.append(Rejection("bank-account object needs swift, institution-code or "
                                        "institution-name", field="account", value=value,
                                        record=f"attribute {account.get('uuid')}"))
        else:
            _add(lambda: [ob.bank_account(cc, bank, value)], "bank-account", value,
                 str(account.get("uuid")), out=out, to_ids=to_ids,
                 flag=_true(account.get("to_ids")), rejections=rejections)
    platform = _ACCOUNT_OBJECTS.get(str(name))
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
