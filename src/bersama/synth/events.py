"""What a scenario yields: each report as generated, and each campaign's summary for the
answer key.

Apart from the generator (`scenario`) because the writers (`formats`, `write`) and tests
read these and nothing of how they are drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

from bersama.ingest.model import ReportDraft
from bersama.synth.catalog import Agency
from bersama.synth.identifiers import Ident
from bersama.taxonomy import ScamType

Written = tuple[tuple[Ident, str], ...]
"""Identifiers of a report with their written forms."""


@dataclass(frozen=True, slots=True)
class GeneratedReport:
    """One report as generated: the draft ingest should produce, and how it is written."""

    agency: Agency
    draft: ReportDraft
    campaign: str | None
    format: str
    written: Written
    """Every identifier in the report with its written form, invalid ones included."""
    ref: str
    """The agency's own reference (the hotline CSV `report_id`)."""
    text: str = ""
    """The advisory section, for reports written as text."""
    is_list: bool = False
    """A partner's feed naming identifiers of many campaigns (campaign None)."""

    @property
    def rejects(self) -> tuple[str, ...]:
        return tuple(w for i, w in self.written if not i.valid)


@dataclass(frozen=True, slots=True)
class CampaignSummary:
    id: str
    scam_type: ScamType
    home: str
    countries: tuple[str, ...]
    """Countries of the agencies that reported it, sorted."""
    agencies: tuple[str, ...]
    reports: int
    refs: tuple[str, ...]
    """Expected normalised refs: every valid, non-warninglisted identifier it used."""
    loss_usd: float

    @property
    def cross_border(self) -> bool:
        return len(self.countries) > 1
