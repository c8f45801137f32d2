"""The migrations build exactly the schema the table modules declare, on both stores.

The table modules (store/tables/) are what the code reads and writes; the Alembic
history is what every node's database is built from.  A table or index added to
one and not the other would only show on a real node, so the difference is
checked here with Alembic's own comparison.
"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from bersama.store.tables import all_tables


def test_migrated_schema_matches_the_table_modules(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), all_tables())
    assert diff == []
