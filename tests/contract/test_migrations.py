"""The migrations build exactly the schema the table modules declare, on both stores.

The table modules (store/tables/) are what the code reads and writes; the Alembic
history is what every node's database is built from.  A table or index added to
one and not the other would only show on a real node, so the difference is
checked here with Alembic's own comparison.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.exc import IntegrityError

from bersama.store.db import alembic_config, make_engine
from bersama.store.tables import all_tables
from bersama.store.tables.core import agencies
from bersama.store.tables.federation import peers, received_objects


def test_migrated_schema_matches_the_table_modules(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), all_tables())
    assert diff == []


def _to(url: str, engine: Engine, revision: str, *, down: bool = False) -> None:
    cfg = alembic_config(url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)


def test_provenance_rows_survive_the_rekey_of_0005_both_ways(empty_db_url: str) -> None:
    """0005 rebuilds `received_objects` on SQLite (a key cannot change in place): every
    row is kept on the way up and back down, and the key still refuses a duplicate."""
    engine = make_engine(empty_db_url)
    now = datetime(2026, 12, 2, tzinfo=UTC)
    rows = [
        {"peer": "th", "object_id": f"report--{i:08d}-0000-4000-8000-000000000000",
         "modified": "2026-12-01T00:00:00.000Z", "received_at": now,
         "signature_status": "valid" if i % 2 else "invalid", "key_id": None}
        for i in range(5)
    ]
    try:
        _to(empty_db_url, engine, "0004")
        with engine.begin() as conn:
            conn.execute(insert(agencies).values(code="TH-X", name="x", country="TH",
                                                 created_at=now))
            conn.execute(insert(peers).values(
                name="th", url="http://th", api_root="http://th/api/", collection_id="c",
                public_key="k", agency="TH-X", created_at=now))
            conn.execute(insert(received_objects), rows)
        for revision, down in (("head", False), ("0004", True), ("head", False)):
            _to(empty_db_url, engine, revision, down=down)
            with engine.connect() as conn:
                got = conn.execute(select(received_objects).order_by(
                    received_objects.c.object_id)).mappings().all()
            assert [dict(r) | {"received_at": None} for r in got] == [
                r | {"received_at": None} for r in rows]
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(insert(received_objects), rows[:1])
        if engine.dialect.name == "sqlite":  # the rows live in the key's B-tree
            with engine.connect() as conn:
                ddl = conn.execute(text(
                    "SELECT sql FROM sqlite_master WHERE name = 'received_objects'")).scalar()
            assert "WITHOUT ROWID" in str(ddl)
    finally:
        engine.dispose()
