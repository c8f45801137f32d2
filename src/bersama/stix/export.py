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
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson

from bersama.ingest.model import ReportDraft
from bersama.stix.extensions import REPORT_CONTEXT_EXTENSION
from bersama.stix.scos import observable_to_sco, sco_json
from bersama.stix.tlp import group_marking_definition, marking_refs, needs_group_marking

_REPORT_NS = uuid.UUID("3b1a6d2e-5c0f-4f43-9a8e-1f6f0e2a0200")
_IDENTITY_NS = uuid.UUID("3b1a6d2e-5c0f-4f43-9a8e-1f6f0e2a0300")


def timestamp(dt: datetime) -> str:
    """STIX timestamp: UTC, millisecond precision, `Z` suffix (naive means UTC)."""
    if dt.year >= 1000:  # isoformat is strftime's output here, at a third of the cost
        if dt.tzinfo is UTC:  # what the adapters produce: "...+00:00" -> "...Z"
            return dt.isoformat(timespec="milliseconds")[:-6] + "Z"
        if dt.tzinfo is not None:
            dt = dt.astimezone(UTC)
            if dt.year >= 1000:
                return dt.isoformat(timespec="milliseconds")[:-6] + "Z"
        else:
            return dt.isoformat(timespec="milliseconds") + "Z"
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


@lru_cache(maxsize=1024)
def agency_identity_id(agency: str) -> str:
    """Deterministic identity id of an agency code, when the node has none on record."""
    return f"identity--{uuid.uuid5(_IDENTITY_NS, agency)}"


def agency_identity(agency: str, agency_country: str, created: str) -> dict[str, Any]:
    return {
        "type": "identity", "spec_version": "2.1", "id": agency_identity_id(agency),
        "created": created, "modified": created, "name": agency,
        "identity_class": "organization", "sectors": ["government-national"],
        "description": f"Agency {agency} ({agency_country}) on a Bersama node",
    }


def report_id(source_id: str) -> str:
    """The STIX report id of a draft: its own when it is one, else derived from it
    (drafts from standalone incidents or indicators keep a stable, distinct id)."""
    if source_id.startswith("report--"):
        return source_id
    return f"report--{uuid.uuid5(_REPORT_NS, source_id)}"


def _context(draft: ReportDraft, agency_country: str) -> dict[str, Any]:
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
    if draft.occurred_at is not None:
        ctx["occurred_at"] = timestamp(draft.occurred_at)
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


def draft_to_stix_rows(draft: ReportDraft, *, agency: str, agency_country: str) -> list[StixRow]:
    """`draft_to_stix(..., identity_id=None)` already serialised (orjson), in the same order
    and byte for byte; the ingest pipeline stores these for TAXII.  SCO bodies come from a
    cache keyed by observable, so a value named by many reports is serialised once."""
    scos: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for obs in draft.observables:
        sco = sco_json(obs)
        if sco[0] not in seen:
            seen.add(sco[0])
            scos.append(sco)
    head = _head_objects(draft, agency, agency_country, None, [s[0] for s in scos])
    rows: list[StixRow] = [
        (o["id"], o.get("modified", o.get("created", "")) or "", o["type"],
         orjson.dumps(o).decode())
        for o in head
    ]
    rows.extend((sid, "", stype, body) for sid, stype, body in scos)
    return rows


def _head_objects(
    draft: ReportDraft, agency: str, agency_country: str, identity_id: str | None,
    sco_ids: list[str],
) -> list[dict[str, Any]]:
    """Identity (when derived), group marking (when needed) and the report, in that order."""
    modified = timestamp(draft.modified)
    out: list[dict[str, Any]] = []
    if identity_id is None:
        identity_id = agency_identity_id(agency)
        out.append(agency_identity(agency, agency_country, modified))
    report: dict[str, Any] = {
        "type": "report", "spec_version": "2.1", "id": report_id(draft.source_id),
        "created_by_ref": identity_id, "created": modified, "modified": modified,
        "name": draft.title or f"{draft.crime_type.value} report {draft.source_id}",
        "report_types": ["threat-report"],
        "published": timestamp(draft.occurred_at) if draft.occurred_at else modified,
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
    if draft.marking is not None:
        report["object_marking_refs"] = marking_refs(draft.marking)
        if needs_group_marking(draft.marking):
            out.append(group_marking_definition(draft.marking, modified))
    report["extensions"] = {REPORT_CONTEXT_EXTENSION: _context(draft, agency_country)}
    out.append(report)
    return out


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
