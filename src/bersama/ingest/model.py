"""What every ingest adapter produces: report drafts and rejections.

Adapters parse a source format into `ReportDraft`s (valid, normalised) and
`Rejection`s (what could not be accepted, with where and why).  They never
touch the store; the pipeline decides what is written (see docs/adr/0003).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from bersama.markings import Marking
from bersama.observables.model import Observable
from bersama.taxonomy import CrimeType, ScamType


@dataclass(frozen=True, slots=True)
class ReportDraft:
    source_id: str
    """Stable id of the report: a STIX `report--uuid`; adapters of formats without
    ids derive a uuid5 from the agency and the record's content, so re-ingesting
    the same file changes nothing."""
    modified: datetime
    """The version: a draft with a later `modified` supersedes an earlier one."""
    observables: tuple[Observable, ...]
    title: str = ""
    crime_type: CrimeType = CrimeType.SCAM
    scam_types: tuple[ScamType, ...] = ()
    loss_amount: Decimal | None = None
    loss_currency: str | None = None
    """ISO 4217 code, upper case."""
    occurred_at: datetime | None = None
    language: str | None = None
    """BCP 47 / ISO 639-1 code, or None when unknown."""
    narrative: str = ""
    marking: Marking | None = None
    """None: the ingesting agency's default marking applies."""
    country: str | None = None
    """Country the report concerns; defaults to the agency's country."""
    revoked: bool = False
    one_campaign: bool = False
    """The reporting agency says these identifiers are one campaign (a takedown report, a
    report on one intrusion set): the report links them however many they are, where a
    longer report would otherwise be a list that links nothing (docs/correlation.md)."""
    labels: tuple[str, ...] = ()
    source_ref: str = ""
    """Where in the input this came from (file line, bundle id, MISP event uuid)."""
    extra: tuple[tuple[str, str], ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Rejection:
    reason: str
    line: int | None = None
    field: str | None = None
    value: str | None = None
    record: str | None = None
    """Which record (STIX id, MISP attribute uuid, CSV row number) was rejected."""

    def as_dict(self) -> dict[str, object]:
        return {k: v for k, v in (
            ("reason", self.reason), ("line", self.line), ("field", self.field),
            ("value", self.value[:200] if self.value else None), ("record", self.record),
        ) if v is not None}
