"""Report drafts to STIX 2.1 objects, as plain dicts.

Used by TAXII sharing and the scenario generator, so it builds dicts directly
(orjson-serialisable, deterministic SCO ids) rather than stix2 objects, whose
validation costs about a millisecond an object.  The output is valid STIX 2.1;
a unit test checks a sample with `stix2.parse(..., allow_custom=True)`.

Mapping (docs/stix.md): one `report` per draft, with our report-context
property-extension for crime/scam type, losses, country, language and time, the
TLP 2.0 marking id (plus our sharing-group marking when the marking has a group
or named recipients) in `object_marking_refs`, and one SCO per observable in
`object_refs`.  SCOs carry no markings of their own: one SCO id is shared by every
report that names the value, and the report's marking governs who sees it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson

from bersama.ingest.model import ReportDraft
from bersama.markings import Marking
from bersama.stix.extensions import REPORT_CONTEXT_EXTENSION
from bersama.stix.scos import observable_to_sco, sco_json
from bersama.stix.tlp import group_marking_definition, marking_refs, needs_group_marking

_REPORT_NS = uuid.UUID("3b1a6d2e-5c0f-4f43-9a8e-1f6f0e2a0200")
_IDENTITY_NS = uuid.UUID("3b1a6d2e-5c0f-4f43-9a8e-1f6f0e2a0300")


_MS = "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ"


def timestamp(dt: datetime) -> str:
    """STIX timestamp: UTC, millisecond precision (truncated), `Z` suffix (naive means UTC)."""
    if dt.tzinfo is not None and dt.tzinfo is not UTC:
        dt = dt.astimezone(UTC)
    if dt.year >= 1000:  # %-formatting of the fields: isoformat's text at half its cost
        return _MS % (dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second,
                      dt.microsecond // 1000)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


@lru_cache(maxsize=1024)
def agency_identity_id(agency: str) -> str:
    """Deterministic identity id of an agency code, when the node has none on record."""
    return f"identity--{uuid.uuid5(_IDENTITY_NS, agency)}"


DERIVED_CREATED = "2020-01-01T00:00:00.000Z"
"""`created` (and `modified`) of the objects derived from a name alone: an agency's
identity from its code and country, a sharing group's marking definition from the group
and recipients.  Their content never changes, so they have one version, the same on
every node: STIX 2.1 gives marking definitions no versions at all, and an identity
stamped with each report's time would give TAXII readers a version per report."""


def agency_identity(agency: str, agency_country: str) -> dict[str, Any]:
    return {
        "type": "identity", "spec_version": "2.1", "id": agency_identity_id(agency),
        "created": DERIVED_CREATED, "modified": DERIVED_CREATED, "name": agency,
        "identity_class": "organization", "sectors": ["government-national"],
        "description": f"Agency {agency} ({agency_country}) on a Bersama node",
    }


def report_id(source_id: str) -> str:
    """The STIX report id of a draft: its own when it is one, else derived from it
    (drafts from standalone incidents or indicators keep a stable, distinct id)."""
    if source_id.startswith("report--"):
        return source_id
    return f"report--{uuid.uuid5(_REPORT_NS, source_id)}"


def _context(draft: ReportDraft, agency_country: str, occurred: str | None) -> dict[str, Any]:
    """The report-context extension; `occurred` is `timestamp(draft.occurred_at)`."""
    ctx: dict[str, Any] = {
        "extension_type": "property-extension",
        "crime_type": draft.crime_type.value,
        "country": draft.country or agency_country,
    }
    if draft.scam_types:
        ctx["scam_types"] = [s.value for s in draft.scam_types]
    if draft.loss_amount is not None:
        ctx["loss_amount"] = format(draft.loss_amount, "f")
    if draft.loss_currency:
        ctx["loss_currency"] = draft.loss_currency
    if draft.language:
        ctx["language"] = draft.language
    if occurred is not None:
        ctx["occurred_at"] = occurred
    if draft.one_campaign:
        ctx["one_campaign"] = True
    return ctx


def draft_to_stix(
    draft: ReportDraft, *, agency: str, agency_country: str, identity_id: str | None,
) -> list[dict[str, Any]]:
    """The report, its SCOs and, when needed, the agency identity and group marking.

    `identity_id`: the agency's identity on this node; None derives one from the
    agency code and includes the identity object in the output.
    """
    scos: list[dict[str, Any]] = []
    seen: set[str] = set()
    for obs in draft.observables:
        sco = observable_to_sco(obs)
        if sco["id"] not in seen:
            seen.add(sco["id"])
            scos.append(sco)
    out = _head_objects(draft, agency, agency_country, identity_id, [s["id"] for s in scos])
    out.extend(scos)
    return out


StixRow = tuple[str, str, str, str]
"""(object id, `modified` or "", type, JSON body) of one STIX object."""


def draft_to_stix_rows(draft: ReportDraft, *, agency: str,
                       agency_country: str) -> Iterator[StixRow]:
    """`draft_to_stix(..., identity_id=None)` already serialised (orjson), in the same order
    and byte for byte; the ingest pipeline stores these for TAXII.  SCO bodies come from a
    cache keyed by observable, so a value named by many reports is serialised once; so
    do the identity and group-marking bodies, which depend on the agency and the marking
    alone (the unit tests compare both paths).

    Lazy, so that the caller writes a report naming 300,000 values in chunks: a first pass
    over the observables gives the SCO ids the report names, a second gives each SCO's row
    as it goes (bodies the cache no longer holds are serialised again, ~3 us each, rather
    than held: ~0.7 kB each; benchmarks/bench_memory.py)."""
    ids = dict.fromkeys(sco_json(obs)[0] for obs in draft.observables)  # first-named order
    modified = timestamp(draft.modified)
    identity_id, identity = _identity_json(agency, agency_country)
    yield identity_id, DERIVED_CREATED, "identity", identity
    marking = draft.marking
    refs: list[str] | None = None
    if marking is not None:
        refs, group = _marking_json(marking)
        if group is not None:
            yield group[0], DERIVED_CREATED, "marking-definition", group[1]
    report = _report_object(draft, agency_country, identity_id, list(ids), modified, refs)
    report_json = orjson.dumps(report).decode()
    del report
    yield report_id(draft.source_id), modified, "report", report_json
    for obs in draft.observables:
        sid, stype, body = sco_json(obs)
        if sid in ids:  # the first observable of an SCO id names it, as in draft_to_stix
            del ids[sid]
            yield sid, "", stype, body


@lru_cache(maxsize=1024)
def _identity_json(agency: str, agency_country: str) -> tuple[str, str]:
    obj = agency_identity(agency, agency_country)
    return obj["id"], orjson.dumps(obj).decode()


@lru_cache(maxsize=4096)
def _marking_json(marking: Marking) -> tuple[list[str], tuple[str, str] | None]:
    """(object_marking_refs, (group marking id, its JSON) or None) of a marking; the refs
    list is shared by every report with this marking and must not be mutated."""
    if not needs_group_marking(marking):
        return marking_refs(marking), None
    obj = group_marking_definition(marking, DERIVED_CREATED)
    return marking_refs(marking), (obj["id"], orjson.dumps(obj).decode())


def _head_objects(
    draft: ReportDraft, agency: str, agency_country: str, identity_id: str | None,
    sco_ids: list[str],
) -> list[dict[str, Any]]:
    """Identity (when derived), group marking (when needed) and the report, in that order."""
    modified = timestamp(draft.modified)
    out: list[dict[str, Any]] = []
    if identity_id is None:
        identity_id = agency_identity_id(agency)
        out.append(agency_identity(agency, agency_country))
    refs: list[str] | None = None
    if draft.marking is not None:
        refs = marking_refs(draft.marking)
        if needs_group_marking(draft.marking):
            out.append(group_marking_definition(draft.marking, DERIVED_CREATED))
    out.append(_report_object(draft, agency_country, identity_id, sco_ids, modified, refs))
    return out


def _report_object(
    draft: ReportDraft, agency_country: str, identity_id: str, sco_ids: list[str],
    modified: str, marking_refs: list[str] | None,
) -> dict[str, Any]:
    occurred_at = draft.occurred_at
    occurred = (
        None if occurred_at is None
        # equal instants have one text; our exports publish a report without an occurrence
        # time at its `modified`, which comes back as `occurred_at`
        else modified if occurred_at == draft.modified
        else timestamp(occurred_at)
    )
    report: dict[str, Any] = {
        "type": "report", "spec_version": "2.1", "id": report_id(draft.source_id),
        "created_by_ref": identity_id, "created": modified, "modified": modified,
        "name": draft.title or f"{draft.crime_type.value} report {draft.source_id}",
        "report_types": ["threat-report"],
        "published": occurred or modified,
        "object_refs": sco_ids or [identity_id],
    }
    if draft.narrative:
        report["description"] = draft.narrative
    if draft.language:
        report["lang"] = draft.language
    if draft.labels:
        report["labels"] = list(draft.labels)
    if draft.revoked:
        report["revoked"] = True
    if marking_refs is not None:
        report["object_marking_refs"] = marking_refs
    report["extensions"] = {REPORT_CONTEXT_EXTENSION: _context(draft, agency_country, occurred)}
    return report


def bundle(objects: Iterable[dict[str, Any]], *, bundle_id: str | None = None) -> dict[str, Any]:
    """A STIX 2.1 bundle; objects with the same id and `modified` appear once (shared SCOs,
    identities and markings of several reports)."""
    seen: set[tuple[str, Any]] = set()
    objs: list[dict[str, Any]] = []
    for obj in objects:
        key = (obj["id"], obj.get("modified"))
        if key not in seen:
            seen.add(key)
            objs.append(obj)
    return {"type": "bundle", "id": bundle_id or f"bundle--{uuid.uuid4()}", "objects": objs}
