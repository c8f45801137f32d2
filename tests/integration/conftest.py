"""An API client on a migrated node with three agencies, a group and analyst tokens."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from bersama.api.app import create_app
from bersama.config import Settings
from bersama.ingest.model import ReportDraft
from bersama.ingest.pipeline import ingest
from bersama.markings import Reader, Role
from bersama.observables import phone
from bersama.store import db, writelock
from bersama.store.apitokens import create_token
from bersama.store.identities import add_agency, add_group, add_user

NOW = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def cli_node(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The CLI's node (`bersama.cli.context`) with its data directory `tmp_path`, which it
    yields, on a fresh store of each kind; the cached settings and engine are dropped
    before and after."""
    from bersama.cli import context

    monkeypatch.setenv("BERSAMA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BERSAMA_DATABASE_URL", db_url)
    monkeypatch.setenv("BERSAMA_ENVIRONMENT", "test")
    context.settings.cache_clear()
    context.engine.cache_clear()
    yield tmp_path
    context.engine().dispose()
    context.settings.cache_clear()
    context.engine.cache_clear()


@dataclass
class Node:
    client: TestClient
    engine: Engine
    settings: Settings
    tokens: dict[str, str]

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture
def node(settings: Settings, engine: Engine) -> Iterator[Node]:
    tokens: dict[str, str] = {}
    with engine.begin() as c:
        for code, cc in (("MY-PDRM", "MY"), ("TH-TCSD", "TH"), ("JP-NPA", "JP")):
            add_agency(c, code=code, name=code, country=cc, type="police", now=NOW)
        add_group(c, name="MY-TH", agencies_=["MY-PDRM", "TH-TCSD"], now=NOW)
        for email, agency, role in (
            ("ana@my", "MY-PDRM", "analyst"), ("rea@my", "MY-PDRM", "reader"),
            ("ana@th", "TH-TCSD", "analyst"), ("ana@jp", "JP-NPA", "analyst"),
            ("adm@my", "MY-PDRM", "admin"),
        ):
            add_user(c, email=email, agency=agency, role=role, now=NOW)
            tokens[email] = create_token(c, now=NOW, user=email)[1]
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as client:
        yield Node(client, engine, settings, tokens)


@contextmanager
def writes_held(engine: Engine, agency: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A batch of `agency` left uncommitted meanwhile, holding the store's write locks
    (store/writelock.py), and every other writer waiting 200 ms for them at most."""
    monkeypatch.setattr(writelock, "WRITE_WAIT_MS", 200)
    monkeypatch.setattr(db, "WRITE_WAIT_MS", 200)
    engine.dispose()  # SQLite connections take the wait (busy timeout) when they open
    draft = ReportDraft(source_id="report--7f1b8c4e-2a57-4d38-9a37-1d2c2e0f9a11", modified=NOW,
                        observables=(phone("+60123450000"),))
    with engine.connect() as conn, conn.begin():
        ingest(conn, Settings(environment="test"), agency=agency, items=[draft],
               source_format="test", source="held", actor=Reader(agency=agency, role=Role.ANALYST))
        yield
