"""Provenance rows keyed by object first, without a rowid table on SQLite.

`received_objects` had a rowid table, its primary key (peer, object_id, modified) as
a second B-tree and an (object_id, modified) index as a third; a receiving node
wrote all three for every object a peer sent (~11 us of its ~100 us per object).
Keyed (object_id, modified, peer) the one key answers both "who sent this object"
and uniqueness, and on SQLite the rows live in it (WITHOUT ROWID).  SQLite cannot
change a table's key in place, so the table is rebuilt there; PostgreSQL swaps
the constraint.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COPY = (
    "INSERT INTO received_objects (peer, object_id, modified, received_at, signature_status, "
    "key_id) SELECT peer, object_id, modified, received_at, signature_status, key_id "
    "FROM _received_objects_old"
)


def _create(key: list[str], *, with_rowid: bool) -> None:
    op.create_table(
        "received_objects",
        sa.Column("peer", sa.String(100), nullable=False),
        sa.Column("object_id", sa.String(100), nullable=False),
        sa.Column("modified", sa.String(32), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signature_status", sa.String(16), nullable=False),
        sa.Column("key_id", sa.String(100), nullable=True),
        sa.ForeignKeyConstraint(["peer"], ["peers.name"],
                                name=op.f("fk_received_objects_peer_peers"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint(*key, name=op.f("pk_received_objects")),
        sqlite_with_rowid=with_rowid,
    )


def _rekey(key: list[str], *, with_rowid: bool) -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.rename_table("received_objects", "_received_objects_old")
        _create(key, with_rowid=with_rowid)
        op.execute(_COPY)
        op.drop_table("_received_objects_old")
    else:
        op.drop_constraint("pk_received_objects", "received_objects", type_="primary")
        op.create_primary_key("pk_received_objects", "received_objects", key)


def upgrade() -> None:
    op.drop_index("ix_received_objects_object", table_name="received_objects")
    _rekey(["object_id", "modified", "peer"], with_rowid=False)


def downgrade() -> None:
    _rekey(["peer", "object_id", "modified"], with_rowid=True)
    op.create_index("ix_received_objects_object", "received_objects",
                    ["object_id", "modified"])
