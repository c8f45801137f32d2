"""A node's trust tables on SQLite with two agencies' people: what the tests of
identities, tokens and passwords start from."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bersama.store import identities as ids
from bersama.store.db import make_engine
from bersama.store.tables.base import metadata

NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


@pytest.fixture
def trust_db(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'trust.db'}")
    metadata.create_all(eng)
    with eng.begin() as conn:
        ids.add_agency(conn, code="MY-PDRM", name="PDRM CCID", country="my", type="police",
                       now=NOW)
        ids.add_agency(conn, code="TH-CCIB", name="CCIB", country="TH", type="police", now=NOW)
        ids.add_agency(conn, code="JP-NPA", name="NPA", country="JP", type="police", now=NOW)
        ids.add_group(conn, name="MY-TH", agencies_=["MY-PDRM", "TH-CCIB"], now=NOW)
        ids.add_user(conn, email="Aisyah@PDRM.my", agency="MY-PDRM", role="analyst", now=NOW)
    yield eng
    eng.dispose()
