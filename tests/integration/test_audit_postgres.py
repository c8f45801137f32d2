"""The audit chain on PostgreSQL: tamper detection, database guards, concurrent writers.

Uses the `pg_url` fixture (tests/conftest.py: a fresh database, or skip).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, delete, text, update
from sqlalchemy.exc import DBAPIError

from bersama.markings import Reader, Role
from bersama.store import audit
from bersama.store.db import make_engine
from bersama.store.tables.base import metadata
from bersama.store.tables.trust import audit_log

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
ANALYST = Reader(agency="MY-PDRM", user="aisyah@pdrm.my", role=Role.ANALYST)


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    eng = make_engine(pg_url)
    metadata.create_all(eng)
    with eng.begin() as conn:
        for i in range(5):
            audit.record(conn, reader=ANALYST, action="report.read", target=f"report:{i}",
                         address="10.0.0.1", detail={"i": i}, now=NOW + timedelta(seconds=i))
    yield eng
    eng.dispose()


def test_tamper_detection_without_guards(pg_engine: Engine) -> None:
    with pg_engine.begin() as conn:
        assert audit.verify(conn).ok
        conn.execute(update(audit_log).where(audit_log.c.seq == 2).values(address="10.9.9.9"))
        assert (audit.verify(conn).problem, audit.verify(conn).seq) == ("edited", 2)
        conn.rollback()
    with pg_engine.begin() as conn:
        conn.execute(delete(audit_log).where(audit_log.c.seq == 3))
        assert (audit.verify(conn).problem, audit.verify(conn).seq) == ("deleted", 4)
        conn.rollback()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET target = 'x' WHERE seq = 1",
        "DELETE FROM audit_log WHERE seq = 5",
        "TRUNCATE audit_log",
    ],
)
def test_guards_refuse_update_delete_truncate(pg_engine: Engine, statement: str) -> None:
    with pg_engine.begin() as conn:
        audit.install_postgres_guards(conn)
    with pg_engine.begin() as conn, pytest.raises(DBAPIError, match="append-only"):
        conn.execute(text(statement))
    with pg_engine.begin() as conn:
        audit.record(conn, reader=ANALYST, action="after-guard", target="t", address=None)
        result = audit.verify(conn)
    assert result.ok
    assert result.rows == 6


def test_concurrent_writers_stay_linear(pg_engine: Engine) -> None:
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(20):
                with pg_engine.begin() as conn:
                    audit.record(conn, reader=ANALYST, action="w", target=f"{n}:{i}",
                                 address=None)
        except BaseException as exc:  # surfaced below; a thread must not swallow it
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with pg_engine.connect() as conn:
        result = audit.verify(conn)
    assert result.ok, result
    assert result.rows == 5 + 6 * 20
