"""STIX 2.1 bundles to report drafts, streamed, every object fully validated.

Why not `stix2.parse`: it validates about 1,300 indicators/s; the node must ingest
50,000 objects/s.  Each object gets quick checks of what the drafts depend on —
`type`, the `<type>--<uuid>` id, `spec_version == "2.1"`, RFC 3339
`created`/`modified`, with the plainest messages — then full STIX 2.1 validation
at a few microseconds (stix/validation.py: the OASIS schemas, compiled, and the
spec's MUST rules), and the values of the observables (the observables package).

Memory bound: objects stream one at a time through `ijson`; what stays in memory
until the end of the bundle is, per object id, only what a draft needs — the
normalised observables of each SCO and indicator, the `object_refs` of reports
and observed-data, the context of reports and incidents, and marking
definitions — never the objects themselves.  That is O(number of objects) at a
few hundred bytes each, independent of object size (narratives are cut at
`fields.NARRATIVE_LIMIT`).  Reports are grouped at the end because `object_refs`
may name objects that come later in the bundle.

Rules (docs/stix.md): a report becomes a draft with its referenced observables
(SCOs, indicator patterns, observed-data refs); incidents, indicators and
observed-data that no report references become one draft each; of several
versions of one id in a bundle the latest `modified` wins; `revoked: true`
revokes; unknown object types are ignored unless a report references one that
is not even valid STIX.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, BinaryIO

from bersama.errors import InvalidInput, InvalidObservable, field_path
from bersama.ingest import fields
from bersama.ingest.jsonstream import open_document, stream_items
from bersama.ingest.markings_map import StixMarkingInfo, from_stix_refs, stix_marking_info
from bersama.ingest.model import Rejection, ReportDraft
from bersama.markings import Marking
from bersama.observables.model import Observable
from bersama.stix import validation
from bersama.stix.extensions import REPORT_CONTEXT_EXTENSION
from bersama.stix.patterns import equality_comparisons
from bersama.stix.scos import SUPPORTED_SCO_TYPES, pattern_observable, sco_to_observables
from bersama.taxonomy import CrimeType, ScamType

_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_UUID_AT = re.compile(rf"{_UUID}\Z")
_TYPE = re.compile(r"\A[a-z0-9][a-z0-9-]{1,248}[a-z0-9]\Z")
STIX21_SCO_TYPES = frozenset({
    "artifact", "autonomous-system", "directory", "domain-name", "email-addr",
    "email-message", "file", "ipv4-addr", "ipv6-addr", "mac-addr", "mutex", "network-traffic",
    "process", "software", "url", "user-account", "windows-registry-key", "x509-certificate",
})
_NO_MODIFIED = frozenset({"marking-definition"})
_CTX = field_path("extensions", REPORT_CONTEXT_EXTENSION)
_NONE: list[Rejection] = []  # shared, never mutated: "no rejections" without an allocation


@dataclass(slots=True)
class _Container:
    """A report, incident, indicator or observed-data, reduced to what a draft needs."""

    id: str
    modified: datetime
    title: str = ""
    narrative: str = ""
    refs: tuple[str, ...] = ()
    observables: tuple[Observable, ...] = ()
    marking_refs: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    revoked: bool = False
    language: str | None = None
    occurred_at: datetime | None = None
    context: dict[str, Any] | None = None
    one_campaign: bool = False


def parse_stix(stream: BinaryIO, *, agency_country: str,
               source_name: str = "") -> Iterator[ReportDraft | Rejection]:
    """Drafts and rejections from one STIX 2.1 bundle; InvalidInput when it is not one."""
    shape, reader = open_document(stream, "STIX 2.1 bundle")
    if shape.root != "map":
        raise InvalidInput("not a STIX bundle: the document is a JSON array, expected an "
                           "object with \"type\": \"bundle\"", field="type")
    kind = shape.scalars.get("type")
    if kind is not None and kind != "bundle":
        raise InvalidInput(f"not a STIX bundle: type is {kind!r}, expected 'bundle'",
                           field="type", value=str(kind))
    version = shape.scalars.get("spec_version")
    if version is not None and version != "2.1":
        raise InvalidInput(f"spec_version must be 2.1; this is a STIX {version} bundle",
                           field="spec_version", value=str(version))
    if shape.complete and "objects" not in shape.keys and kind != "bundle":
        raise InvalidInput("not a STIX bundle: no 'type': 'bundle' and no 'objects'",
                           field="type")
    if "objects" in shape.scalars:
        raise InvalidInput("'objects' must be an array of STIX objects", field="objects",
                           value=str(shape.scalars["objects"]))
    bundle_id = shape.scalars.get("id")
    yield from parse_stix_objects(stream_items(reader, "objects.item", "STIX bundle"),
                                  agency_country=agency_country,
                                  source_name=str(bundle_id or source_name or "bundle"))


def parse_stix_objects(objects: Iterable[Any], *, agency_country: str,
                       source_name: str = "bundle") -> Iterator[ReportDraft | Rejection]:
    """Drafts and rejections from STIX objects already parsed from JSON (a bundle's
    `objects`, or a TAXII envelope's): the same checks as `parse_stix` without
    serialising the objects again for the streaming reader."""
    state = _Bundle(agency_country, source_name)
    for index, obj in enumerate(objects):
        try:
            rejections = state.add(obj, index)
        except RecursionError:
            rejections = [too_deep(obj, index)]
        if rejections:
            yield from rejections
    yield from state.finish()


def too_deep(obj: Any, index: int) -> Rejection:
    """The rejection of an object nested so deeply that reading it ran out of stack: a
    bundle read from a stream is bounded at `jsonstream.MAX_DEPTH`, but a peer's TAXII
    envelope (orjson) may nest 1,024 levels.  Caught, not measured: a depth check of every
    object would cost the hot path more than the whole `add` of most."""
    oid = obj.get("id") if isinstance(obj, dict) else None
    return Rejection("object nested too deeply to read", field="objects",
                     record=oid[:200] if isinstance(oid, str) else f"objects[{index}]")


class _Bundle:
    """Accumulates the reduced objects of one bundle; `finish` groups them into drafts."""

    def __init__(self, agency_country: str, source_ref: str) -> None:
        self.country = agency_country
        self.source_ref = source_ref
        self.scos: dict[str, tuple[Observable, ...]] = {}
        self.containers: dict[str, _Container] = {}
        self.markings: dict[str, StixMarkingInfo] = {}
        self.invalid: dict[str, str] = {}
        self.incident_links: list[tuple[str, str]] = []
        self.refused_refs: set[str] = set()
        """What rejected reports and other containers named: not "referenced by none"."""

        self.marking_of: dict[tuple[str, ...], Marking | None] = {}
        """from_stix_refs per set of refs, filled by `finish` once every marking is read."""

    # -- streaming ---------------------------------------------------------------------------

    def add(  # noqa: PLR0911, PLR0912 - one flat dispatch is the fastest form of the hot path
        self, obj: Any, index: int,
    ) -> list[Rejection]:
        """Reduce one object; return its rejections (usually none).  A plain function, not a
        generator: it runs once per object and is the adapter's hot path."""
        if not isinstance(obj, dict):
            return [Rejection("not a JSON object", record=f"objects[{index}]", field="objects")]
        otype = obj.get("type")
        oid = obj.get("id")
        if not isinstance(otype, str) or (otype not in _KNOWN and not _TYPE.match(otype)):
            return [Rejection("missing or invalid 'type'", field="type", value=repr(otype),
                              record=oid if isinstance(oid, str) else f"objects[{index}]")]
        if not isinstance(oid, str):
            if otype in _HANDLED:
                return [Rejection("missing 'id'", field="id", record=f"objects[{index}]")]
            return _NONE
        problem = self._common(obj, otype, oid) or validation.problem(obj)
        if problem is not None:
            prop, reason = problem
            if otype in _HANDLED:
                self._refused(obj)
                return [Rejection(reason, field=prop, value=_short(obj.get(prop)), record=oid)]
            self.invalid[oid] = f"{prop}: {reason}"
            return _NONE
        if otype in SUPPORTED_SCO_TYPES:
            try:
                self.scos[oid] = tuple(sco_to_observables(obj, country=self.country))
            except InvalidObservable as exc:
                self.scos[oid] = ()
                return [Rejection(exc.detail, field=exc.field, value=exc.value, record=oid)]
            return _NONE
        handler = _HANDLERS.get(otype)
        if handler is not None:
            try:
                modified = fields.stix_timestamp(obj.get("modified"))
            except ValueError as exc:
                self._refused(obj)
                return [Rejection(str(exc), field="modified", value=_short(obj.get("modified")),
                                  record=oid)]
            old = self.containers.get(oid)
            if old is not None and old.modified >= modified:
                return _NONE
            container, rejections = handler(self, obj, modified)
            self.containers[oid] = container
            return rejections
        if otype == "relationship":
            self._relationship(obj)
        elif otype == "marking-definition":
            info = stix_marking_info(obj)
            if info is not None:
                self.markings[oid] = info
        return _NONE

    def _common(  # noqa: PLR0911 - one early return per checked property
        self, obj: dict[str, Any], otype: str, oid: str,
    ) -> tuple[str, str] | None:
        n = len(otype)
        if not (oid.startswith(otype) and oid[n:n + 2] == "--" and len(oid) == n + 38
                and _UUID_AT.match(oid, n + 2)):
            return "id", f"id must be '{otype}--<uuid>'"
        version = obj.get("spec_version")
        is_sco = otype in STIX21_SCO_TYPES or (otype in SUPPORTED_SCO_TYPES)
        if version is None:
            if not is_sco:
                return "spec_version", "missing 'spec_version' (must be 2.1)"
        elif version != "2.1":
            return "spec_version", f"spec_version must be 2.1, not {version!r}"
        if is_sco:
            return None
        if not fields.is_stix_timestamp(obj.get("created")):
            return "created", "missing or invalid 'created' (RFC 3339 UTC timestamp)"
        if (otype not in _NO_MODIFIED and otype not in _HANDLERS  # handlers parse it anyway
                and not fields.is_stix_timestamp(obj.get("modified"))):
            return "modified", "missing or invalid 'modified' (RFC 3339 UTC timestamp)"
        return None

    def _refused(self, obj: dict[str, Any]) -> None:
        refs = obj.get("object_refs")
        if isinstance(refs, list):
            self.refused_refs.update(r for r in refs if isinstance(r, str))

    def _relationship(self, obj: dict[str, Any]) -> None:
        src, dst = obj.get("source_ref"), obj.get("target_ref")
        if not isinstance(src, str) or not isinstance(dst, str):
            return
        if src.startswith("incident--"):
            self.incident_links.append((src, dst))
        elif dst.startswith("incident--"):
            self.incident_links.append((dst, src))

    # -- grouping ----------------------------------------------------------------------------

    def finish(self) -> Iterator[ReportDraft | Rejection]:
        for inc, other in self.incident_links:
            container = self.containers.get(inc)
            if container is not None:
                container.refs = (*container.refs, other)
        consumed: set[str] = set()
        for c in self.containers.values():
            if c.id.startswith(("report--", "incident--")):
                consumed.update(r for r in c.refs if r != c.id)
        for c in self.containers.values():
            if c.id.startswith("observed-data--"):
                consumed.update(c.refs)
            elif c.id.startswith("sighting--"):
                consumed.update(c.refs[1:])  # its observed-data is its evidence
        reports = [c for c in self.containers.values() if c.id.startswith("report--")]
        standalone = [c for c in self.containers.values()
                      if not c.id.startswith("report--") and c.id not in consumed]
        unresolved = 0
        for c in reports + standalone:
            if c.id.startswith("sighting--") and not self._resolves(c):
                unresolved += 1
                continue
            yield from self._draft(c)
        left = [sid for sid in self.scos if sid not in consumed]
        orphans = sum(1 for sid in left if sid in self.refused_refs)
        if orphans:
            yield Rejection(
                f"{orphans} observable(s) named only by rejected objects were not ingested "
                "(see those objects' rejections)", record=self.source_ref)
        if len(left) > orphans:
            yield Rejection(
                f"{len(left) - orphans} observable(s) not referenced by any report, incident, "
                "indicator or observed-data were not ingested: wrap them in a report",
                record=self.source_ref)
        if unresolved:
            yield Rejection(
                f"{unresolved} sighting(s) of objects not in this bundle were not read: send "
                "the sighted indicator or observed-data with them", field="sighting_of_ref",
                record=self.source_ref)

    def _resolves(self, c: _Container) -> bool:
        """Whether a sighting names something in this bundle that holds observables."""
        found: dict[str, Observable] = {}
        self._observables_of(c, found, [])
        return bool(found)

    def _observables_of(self, c: _Container, out: dict[str, Observable],
                        rejections: list[Rejection], depth: int = 0) -> None:
        for obs in c.observables:
            out.setdefault(obs.ref, obs)
        for ref in c.refs:
            if ref in self.scos:
                for obs in self.scos[ref]:
                    out.setdefault(obs.ref, obs)
            elif ref in self.containers and depth < 2 and ref != c.id:
                self._observables_of(self.containers[ref], out, rejections, depth + 1)
            elif ref in self.invalid:
                rejections.append(Rejection(
                    f"references {ref}, which is not valid STIX ({self.invalid[ref]})",
                    field="object_refs", value=ref, record=c.id))

    def _draft(self, c: _Container) -> Iterator[ReportDraft | Rejection]:
        observables: dict[str, Observable] = {}
        rejections: list[Rejection] = []
        self._observables_of(c, observables, rejections)
        yield from rejections
        ctx = dict(c.context or {})
        kwargs: dict[str, Any] = {}
        for key in ("crime_type", "scam_types", "loss_amount", "loss_currency", "country",
                    "language", "occurred_at", "one_campaign"):
            if key in ctx:
                kwargs[key] = ctx[key]
        kwargs.setdefault("language", c.language)
        kwargs.setdefault("occurred_at", c.occurred_at)
        kwargs.setdefault("one_campaign", c.one_campaign)
        if c.marking_refs in self.marking_of:  # a bundle's reports share a few marking sets
            marking = self.marking_of[c.marking_refs]
        else:
            marking = self.marking_of[c.marking_refs] = from_stix_refs(
                list(c.marking_refs), self.markings)
        yield ReportDraft(
            source_id=c.id, modified=c.modified, observables=tuple(observables.values()),
            title=c.title, narrative=c.narrative,
            marking=marking,
            revoked=c.revoked, labels=c.labels, source_ref=f"{self.source_ref} {c.id}",
            **kwargs,
        )


# -- per-type reducers ---------------------------------------------------------------------------

_Reduced = tuple[_Container, list[Rejection]]


def _str_list(value: Any) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def _text(value: Any) -> str:
    return fields.truncate(value) if isinstance(value, str) else ""


def _base(obj: dict[str, Any], modified: datetime) -> _Container:
    lang = obj.get("lang")
    return _Container(
        id=obj["id"], modified=modified, title=_text(obj.get("name"))[:500],
        narrative=_text(obj.get("description")),
        marking_refs=_str_list(obj.get("object_marking_refs")),
        labels=_str_list(obj.get("labels")), revoked=obj.get("revoked") is True,
        language=lang if isinstance(lang, str) and lang else None,
    )


def _time(obj: dict[str, Any], prop: str, rejections: list[Rejection]) -> datetime | None:
    value = obj.get(prop)
    if value is None:
        return None
    try:
        return fields.stix_timestamp(value) if isinstance(value, str) else _bad_time(value)
    except ValueError as exc:
        rejections.append(Rejection(str(exc), field=prop, value=_short(value), record=obj["id"]))
        return None


def _bad_time(value: Any) -> datetime:
    raise ValueError(f"not a timestamp: {value!r}")


def _context(obj: dict[str, Any], rejections: list[Rejection]) -> dict[str, Any] | None:
    """Our report-context extension, field by field: a bad field is rejected, the rest kept."""
    exts = obj.get("extensions")
    raw = exts.get(REPORT_CONTEXT_EXTENSION) if isinstance(exts, dict) else None
    if not isinstance(raw, dict):
        return None
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "extension_type":
            continue
        try:
            out[key] = _context_value(key, value)
        except (ValueError, InvalidOperation, TypeError) as exc:
            rejections.append(Rejection(f"{exc}", field=field_path(_CTX, key), value=_short(value),
                                        record=obj["id"]))
            out.pop(key, None)
    if "loss_amount" in out and "loss_currency" not in out:
        rejections.append(Rejection("loss_amount without loss_currency (ISO 4217) is ignored",
                                    field=field_path(_CTX, "loss_currency"), record=obj["id"]))
        del out["loss_amount"]
    return out


def _context_value(key: str, value: Any) -> Any:
    """One property of the report-context extension, parsed; string values (what our own
    exports and most partners send) are cached, since a bundle repeats a few dozen of them
    thousands of times.  Errors are raised afresh every time (lru_cache keeps no failures)."""
    if type(value) is str:
        return _context_str(key, value)
    if key == "scam_types" and type(value) is list and all(type(v) is str for v in value):
        return _scam_types(tuple(value))
    return _parse_context_value(key, value)


@lru_cache(maxsize=4096)
def _context_str(key: str, value: str) -> Any:
    return _parse_context_value(key, value)


@lru_cache(maxsize=1024)
def _scam_types(values: tuple[str, ...]) -> tuple[ScamType, ...]:
    return tuple(ScamType(v) for v in values)


def _parse_context_value(key: str, value: Any) -> Any:  # noqa: PLR0911 - one per property
    if key == "crime_type":
        return CrimeType(value)
    if key == "scam_types":
        if not isinstance(value, list):
            raise ValueError("scam_types must be a list")
        return tuple(ScamType(v) for v in value)
    if key == "loss_amount":
        amount = Decimal(str(value))
        if not amount.is_finite() or amount < 0:
            raise ValueError("loss_amount must be a non-negative decimal")
        return amount
    if key == "loss_currency":
        return fields.currency(str(value))
    if key == "country":
        return fields.country(str(value))
    if key == "language":
        if not isinstance(value, str) or not value:
            raise ValueError("language must be a BCP 47 tag")
        return value
    if key == "occurred_at":
        return fields.stix_timestamp(str(value))
    if key == "one_campaign":
        if not isinstance(value, bool):
            raise ValueError("one_campaign must be true or false")
        return value
    raise ValueError(f"unknown property {key!r} of the report-context extension")


def _report(bundle: _Bundle, obj: dict[str, Any], modified: datetime) -> _Reduced:
    rejections: list[Rejection] = []
    c = _base(obj, modified)
    c.refs = _str_list(obj.get("object_refs"))
    c.occurred_at = _time(obj, "published", rejections)
    c.context = _context(obj, rejections)
    c.one_campaign = _about_one_campaign(c.refs)
    return c, rejections


_CAMPAIGN_TYPES = ("campaign--", "intrusion-set--", "threat-actor--")


def _about_one_campaign(refs: tuple[str, ...]) -> bool:
    """Whether a report names exactly one campaign, intrusion set or threat actor (as
    OpenCTI and MISP's STIX export write a report on one operation): its identifiers are
    then that one actor's, and it links them however many (docs/correlation.md).  Our
    report-context extension's `one_campaign` says so explicitly and overrides this."""
    return len({r for r in refs if r.startswith(_CAMPAIGN_TYPES)}) == 1


def _incident(bundle: _Bundle, obj: dict[str, Any], modified: datetime) -> _Reduced:
    rejections: list[Rejection] = []
    c = _base(obj, modified)
    c.occurred_at = _time(obj, "first_seen", rejections)
    c.context = _context(obj, rejections)
    return c, rejections


def _indicator(bundle: _Bundle, obj: dict[str, Any], modified: datetime) -> _Reduced:
    rejections: list[Rejection] = []
    c = _base(obj, modified)
    c.occurred_at = _time(obj, "valid_from", rejections)
    c.labels = c.labels + _str_list(obj.get("indicator_types"))
    c.context = _context(obj, rejections)
    pattern = obj.get("pattern")
    if obj.get("pattern_type", "stix") != "stix":
        return c, rejections
    if not isinstance(pattern, str):
        rejections.append(Rejection("indicator needs a 'pattern'", field="pattern",
                                    record=c.id))
        return c, rejections
    try:
        comparisons = equality_comparisons(pattern)
    except ValueError as exc:
        rejections.append(Rejection(str(exc), field="pattern", value=pattern, record=c.id))
        return c, rejections
    observables: list[Observable] = []
    for sco_type, path, value in comparisons:
        try:
            obs = pattern_observable(sco_type, path, value, country=bundle.country)
        except InvalidObservable as exc:
            rejections.append(Rejection(f"{sco_type}:{path}: {exc.detail}", field="pattern",
                                        value=value, record=c.id))
            continue
        if obs is not None:
            observables.append(obs)
    if not observables and not rejections:
        rejections.append(Rejection(
            "pattern names no identifier we read (only `=` comparisons on url, domain-name, "
            "email-addr, ipv4/6-addr, file hashes and x-bersama SCOs)", field="pattern",
            value=pattern, record=c.id))
    c.observables = tuple(observables)
    return c, rejections


def _observed_data(bundle: _Bundle, obj: dict[str, Any], modified: datetime) -> _Reduced:
    rejections: list[Rejection] = []
    c = _base(obj, modified)
    c.occurred_at = _time(obj, "first_observed", rejections)
    c.refs = _str_list(obj.get("object_refs"))
    embedded = obj.get("objects")  # deprecated in 2.1 but still sent: {"0": {sco}, ...}
    if isinstance(embedded, dict):
        observables: list[Observable] = []
        for key, sco in embedded.items():
            if isinstance(sco, dict) and sco.get("type") in SUPPORTED_SCO_TYPES:
                try:
                    observables.extend(sco_to_observables(sco, country=bundle.country))
                except InvalidObservable as exc:
                    rejections.append(Rejection(exc.detail,
                                                field=field_path("objects", key, exc.field or ""),
                                                value=exc.value, record=c.id))
        c.observables = tuple(observables)
    return c, rejections


def _sighting(bundle: _Bundle, obj: dict[str, Any], modified: datetime) -> _Reduced:
    """A sighting is its agency reporting the sighted indicator's (or observed-data's)
    identifiers again: a report of its own, so it corroborates them in correlation."""
    rejections: list[Rejection] = []
    c = _base(obj, modified)
    c.occurred_at = _time(obj, "first_seen", rejections)
    of = obj.get("sighting_of_ref")
    if not isinstance(of, str):
        rejections.append(Rejection("sighting needs a 'sighting_of_ref'",
                                    field="sighting_of_ref", record=c.id))
        of = ""
    c.refs = (of, *_str_list(obj.get("observed_data_refs")))
    c.title = c.title or f"Sighting of {of}"[:500]
    c.context = _context(obj, rejections)
    return c, rejections


_HANDLERS = {
    "report": _report, "incident": _incident, "indicator": _indicator,
    "observed-data": _observed_data, "sighting": _sighting,
}
_HANDLED = frozenset({*SUPPORTED_SCO_TYPES, *_HANDLERS, "marking-definition"})
_KNOWN = frozenset({*_HANDLED, *STIX21_SCO_TYPES, "relationship", "identity",
                    "note", "opinion", "grouping", "extension-definition", "language-content",
                    "campaign", "malware", "threat-actor", "intrusion-set", "attack-pattern",
                    "tool", "vulnerability", "infrastructure", "location", "course-of-action",
                    "malware-analysis"})


def _short(value: Any) -> str | None:
    return None if value is None else str(value)[:200]
