"""A report naming more identifiers than a chunk of rows, on every store.

Its STIX objects are written in chunks as they are serialised (a report of 300,000
values is never held as rows); what is stored is exactly what `draft_to_stix` gives for
it, in its order, and its links and counts are all there.
"""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
from sqlalchemy import Engine, func, select

from bersama.config import Settings
from bersama.ingest.model import ReportDraft
from bersama.ingest.pipeline import CHUNK, ingest
from bersama.markings import TLP, Marking, Reader, Role
from bersama.observables import domain, phone
from bersama.stix.export import draft_to_stix
from bersama.store.identities import add_agency
from bersama.store.tables.core import observables, report_observables, stix_objects

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def test_a_report_longer_than_a_chunk_stores_its_stix_whole_and_in_order(
    engine: Engine, settings: Settings
) -> None:
    values = [phone(f"+6012{i:07d}", "MY") for i in range(CHUNK + 700)]
    values += [domain(f"shop-{i}.example.com") for i in range(CHUNK)]
    values += values[:5]  # named twice: one SCO, one link
    draft = ReportDraft(source_id="report--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a0011", modified=NOW,
                        observables=tuple(values), title="a long list",
                        marking=Marking(TLP.AMBER, group="MY-TH"))
    with engine.begin() as c:
        add_agency(c, code="MY-PDRM", name="MY-PDRM", country="MY", type="police", now=NOW)
        result = ingest(c, settings, agency="MY-PDRM", items=[draft], source_format="test",
                        source="test", actor=Reader(agency="MY-PDRM", role=Role.ANALYST))
    assert (result.accepted, result.observables) == (1, len(values) - 5)
    expected = [
        (o["id"], o["type"], orjson.dumps(o).decode())
        for o in draft_to_stix(draft, agency="MY-PDRM", agency_country="MY", identity_id=None)
    ]
    with engine.connect() as c:
        stored = [tuple(r) for r in c.execute(
            select(stix_objects.c.object_id, stix_objects.c.type, stix_objects.c.body)
            .order_by(stix_objects.c.seq))]
        links = c.execute(select(func.count()).select_from(report_observables)).scalar_one()
        counted = c.execute(select(func.sum(observables.c.report_count))).scalar_one()
    assert stored == expected
    assert links == counted == len(values) - 5
