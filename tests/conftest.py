"""Shared fixtures: settings, engines on SQLite and on a real PostgreSQL server.

`make test` starts a throwaway PostgreSQL server (scripts/pg-test-server.sh) and
passes its URL in BERSAMA_TEST_PG_URL; each test that asks for `pg_url` gets a
fresh database on it.  Without that variable, PostgreSQL tests skip, saying so.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from bersama.config import Settings
from bersama.store.db import make_engine, migrate

PG_URL = os.environ.get("BERSAMA_TEST_PG_URL")
DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    with fresh_pg_database() as url:
        yield url


@contextmanager
def fresh_pg_database() -> Iterator[str]:
    """Create a PostgreSQL database on the test server, drop it afterwards."""
    if not PG_URL:
        pytest.skip("BERSAMA_TEST_PG_URL not set: run through `make test` to start PostgreSQL")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://"),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = PG_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Both store implementations: every contract test runs on each."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'bersama.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(environment="test", data_dir=tmp_path / "data", database_url=db_url)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    eng = make_engine(settings.effective_database_url)
    migrate(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def shared_data() -> Path:
    if not DATA_DIR.is_dir():
        pytest.skip(f"labelled data not found at {DATA_DIR} (../shared/data)")
    return DATA_DIR
