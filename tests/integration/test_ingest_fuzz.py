"""Property: an ingest answers or raises a `BersamaError`, and one that raises writes nothing.

`ingest_stream` runs each input as one transaction; mutated inputs of every format (and
inputs read as the wrong format) must never leave rows of a batch that raised, on either
store, and never fail at the database: PostgreSQL refuses what SQLite stores (NUL in text,
a value longer than its column, a loss past Numeric(20, 2)), so a draft holding such a
value is a rejection of its own (`ingest.storable.unstorable`), not the end of the batch.
"""

from __future__ import annotations

import io
import random

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from tests.integration.conftest import NOW
from tests.unit.ingest.mutations import mutator

from bersama.config import Settings
from bersama.errors import BersamaError
from bersama.ingest.pipeline import IngestResult
from bersama.ingest.sources import ingest_stream
from bersama.markings import Reader, Role
from bersama.stix.extensions import REPORT_CONTEXT_EXTENSION
from bersama.store.identities import add_agency
from bersama.store.tables.base import metadata
from bersama.store.tables.core import ingest_rejections, reports

ACTOR = Reader(agency="MY-PDRM", user="ana@my", role=Role.ANALYST)
FORMATS = ("stix", "misp", "csv", "text")
MUTATORS = {fmt: mutator(fmt) for fmt in FORMATS}


@pytest.fixture
def store(engine: Engine) -> Engine:
    with engine.begin() as conn:
        add_agency(conn, code="MY-PDRM", name="PDRM", country="MY", type="police", now=NOW)
    return engine


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in metadata.sorted_tables}


def _ingest(engine: Engine, settings: Settings, data: bytes, fmt: str) -> IngestResult:
    return ingest_stream(engine, settings, io.BytesIO(data), fmt=fmt, agency="MY-PDRM",
                         actor=ACTOR, source="fuzz")


@settings(max_examples=80, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(rng=st.randoms(use_true_random=False), fmt=st.sampled_from(FORMATS),
       read_as=st.sampled_from((None, *FORMATS)))
def test_a_batch_that_raises_writes_nothing(store: Engine, settings: Settings,
                                            rng: random.Random, fmt: str,
                                            read_as: str | None) -> None:
    data = MUTATORS[fmt](rng)
    before = _counts(store)
    try:
        _ingest(store, settings, data, read_as or fmt)
    except BersamaError:
        assert _counts(store) == before


def _report(n: int, **props: object) -> dict[str, object]:
    return {"type": "report", "spec_version": "2.1",
            "id": f"report--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a00{n:02d}",
            "created": "2026-03-01T08:00:00Z", "modified": "2026-03-01T08:00:00Z",
            "name": f"report {n}", "published": "2026-03-01T08:00:00Z",
            "object_refs": ["url--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a0001"], **props}


def test_values_the_store_cannot_hold_reject_their_report_only(
    store: Engine, settings: Settings,
) -> None:
    ctx = REPORT_CONTEXT_EXTENSION
    bundle = orjson.dumps({"type": "bundle", "objects": [
        {"type": "url", "spec_version": "2.1", "id": "url--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a0001",
         "value": "https://profit-max.top/login"},
        _report(1),
        _report(2, name="nul \x00 in the title"),
        _report(3, lang="x" * 40),
        _report(4, extensions={ctx: {"extension_type": "property-extension",
                                     "loss_amount": "1e30", "loss_currency": "MYR"}}),
        {"type": 5, "id": "nul\x00id"},
    ]})
    result = _ingest(store, settings, bundle, "stix")
    assert result.accepted == 1
    fields = {(r.record, r.field) for r in result.rejections}
    assert {("report--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a0002", "title"),
            ("report--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a0003", "language"),
            ("report--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a0004", "loss_amount")} <= fields
    with store.connect() as conn:
        assert conn.execute(select(func.count()).select_from(reports)).scalar_one() == 1
        stored = conn.execute(select(ingest_rejections.c.field, ingest_rejections.c.record)
                              ).all()
    assert len(stored) == result.rejected
    assert ("type", "nul\\x00id") in stored  # NUL written as its escape
