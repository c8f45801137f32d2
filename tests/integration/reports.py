"""Adding one report straight through the ingest pipeline, for store-level tests."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Engine

from bersama.config import Settings
from bersama.ingest.model import ReportDraft
from bersama.ingest.pipeline import ingest
from bersama.markings import TLP, Marking, Reader, Role
from bersama.observables import Observable

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def add_report(
    engine: Engine, settings: Settings, agency: str, obs: Sequence[Observable], tlp: TLP
) -> None:
    """One report of `agency` holding `obs`, marked `tlp`, in its own transaction."""
    draft = ReportDraft(
        source_id=f"report--{uuid.uuid4()}",
        modified=NOW,
        observables=tuple(obs),
        marking=Marking(tlp),
    )
    with engine.begin() as c:
        ingest(
            c,
            settings,
            agency=agency,
            items=[draft],
            source_format="test",
            source="test",
            actor=Reader(agency=agency, user=f"u@{agency}", role=Role.ANALYST),
        )
