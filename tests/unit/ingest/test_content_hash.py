"""`content_hash` is stored with every report version: its digests must never change,
or re-ingesting an unchanged version would look like a new one."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bersama.ingest.model import ReportDraft
from bersama.ingest.pipeline import content_hash
from bersama.markings import TLP, Marking
from bersama.observables import phone
from bersama.taxonomy import CrimeType, ScamType

T = datetime(2026, 3, 1, 12, 30, 5, 123456, tzinfo=UTC)

FULL = ReportDraft(
    source_id="report--00000000-0000-4000-8000-000000000001",
    modified=T,
    observables=(phone("+60121234567", "MY"), phone("0123456789", "MY")),
    title="Job scam",
    crime_type=CrimeType.SCAM,
    scam_types=(ScamType.JOB, ScamType.INVESTMENT),
    loss_amount=Decimal("1234.50"),
    loss_currency="MYR",
    occurred_at=T,
    language="ms",
    narrative="Saya ditipu \u00e9 \"petikan\"",
    country="MY",
    revoked=True,
    labels=("job", "urgent"),
)
GROUP = Marking(TLP.AMBER, group="MY-TH", recipient_agencies=frozenset({"TH-TCSD", "JP-NPA"}),
                recipient_users=frozenset({"b@x", "a@x"}))


@pytest.mark.parametrize(
    ("draft", "marking", "digest"),
    [
        (FULL, GROUP,
         "e41b2c69f71f90289216d53ed104922f9aab2cae8e445e0aa84c69c21dcecef1"),
        (ReportDraft(source_id="r", modified=T, observables=()), Marking(TLP.GREEN),
         "1d69b5644d3c9b59bb748ace685ddc87eb3745f3166ce53f50dfc0ae51117329"),
    ],
)
def test_digests_are_pinned(draft: ReportDraft, marking: Marking, digest: str) -> None:
    assert content_hash(draft, marking) == digest


def test_saying_one_campaign_is_a_change_of_content() -> None:
    from dataclasses import replace

    assert content_hash(replace(FULL, one_campaign=True), GROUP) != content_hash(FULL, GROUP)
