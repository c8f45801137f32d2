"""Reports for store-level tests: one straight through the ingest pipeline, or a whole
generated scenario through every ingest path."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine, select

from bersama.config import Settings
from bersama.ingest.model import ReportDraft
from bersama.ingest.pipeline import ingest
from bersama.markings import TLP, Marking, Reader, Role
from bersama.observables import Kind, Observable
from bersama.store.tables.core import observables
from bersama.synth import generate, write
from bersama.synth.load import load

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


def load_scenario(
    engine: Engine, settings: Settings, root: Path, seed: int, n: int
) -> list[Observable]:
    """A generated scenario of about `n` observables (every format, TLP and sharing
    group), loaded; the values it stored."""
    write(generate(seed, n, as_of=date(2026, 11, 1)), root)
    load(engine, settings, root)
    return stored_values(engine)


def stored_values(engine: Engine) -> list[Observable]:
    with engine.connect() as c:
        # in id order: PostgreSQL returns rows it has updated in no fixed order
        rows = c.execute(
            select(observables.c.kind, observables.c.ref).order_by(observables.c.id)
        ).all()
    return [Observable(Kind(kind), ref.split(":", 1)[1]) for kind, ref in rows]
