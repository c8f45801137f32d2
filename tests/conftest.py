"""Shared fixtures: settings, engines on SQLite and on a real PostgreSQL server.

`make test` starts a throwaway PostgreSQL server (scripts/pg-test-server.sh) and
passes its URL in BERSAMA_TEST_PG_URL; each test that asks for `pg_url` gets a
fresh database on it.  Without that variable, PostgreSQL tests skip, saying so.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

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
def fresh_pg_database(*, migrated: bool = False) -> Iterator[str]:
    """Create a PostgreSQL database on the test server, drop it afterwards; with
    `migrated`, a copy of one migrated to head once per session (migrating takes about a
    second per database there, copying a tenth of that)."""
    if not PG_URL:
        pytest.skip("BERSAMA_TEST_PG_URL not set: run through `make test` to start PostgreSQL")
    name = f"t_{uuid.uuid4().hex[:12]}"
    template = f' TEMPLATE "{_migrated_template()}"' if migrated else ""
    with _pg_admin().connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"{template}'))
    try:
        yield _pg_database_url(name)
    finally:
        with _pg_admin().connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@cache
def _pg_admin() -> Engine:
    assert PG_URL
    return create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://"),
                         isolation_level="AUTOCOMMIT", poolclass=NullPool)


def _pg_database_url(name: str) -> str:
    assert PG_URL
    return f"{PG_URL.rsplit('/', 1)[0]}/{name}"


@cache
def _migrated_template() -> str:
    """The database `fresh_pg_database(migrated=True)` copies; dropped when the session
    ends (pytest_sessionfinish)."""
    name = f"t_template_{uuid.uuid4().hex[:12]}"
    with _pg_admin().connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(_pg_database_url(name))
    migrate(engine)
    engine.dispose()  # a database is copied only while no one is connected to it
    return name


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _migrated_template.cache_info().currsize:
        with _pg_admin().connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{_migrated_template()}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Both store implementations, a fresh database on each: every contract test runs on
    both.  The PostgreSQL one is already migrated to head (the SQLite one is a new file):
    everything that opens a store migrates it first, which changes nothing at head."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bersama.db'}"
        return
    with fresh_pg_database(migrated=True) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Both store implementations, a database no migration has touched on each."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'bersama.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def db_urls(db_url: str, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """Further databases on the store of `db_url`, a fresh one per call: for tests with
    several nodes, each with its own database."""
    made = 0
    with ExitStack() as dropped:

        def another() -> str:
            nonlocal made
            made += 1
            if db_url.startswith("sqlite"):
                return f"sqlite:///{tmp_path / f'bersama-{made}.db'}"
            return dropped.enter_context(fresh_pg_database(migrated=True))

        yield another


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
