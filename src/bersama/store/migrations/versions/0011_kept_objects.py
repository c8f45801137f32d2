"""What a peer sent with a report this node refused, kept to resolve its later refs
(`kept_objects`; federation/assemble.py).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nothing refused before this revision was kept: a later report naming such an
    # object is held for it, and released without it, as before.
    op.create_table(
        "kept_objects",
        sa.Column("peer", sa.String(length=100), nullable=False),
        sa.Column("object_id", sa.String(length=100), nullable=False),
        sa.Column("modified", sa.String(length=32), nullable=False),
        sa.Column("kept_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["peer"], ["peers.name"],
                                name=op.f("fk_kept_objects_peer_peers"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("peer", "object_id", name=op.f("pk_kept_objects")),
    )


def downgrade() -> None:
    op.drop_table("kept_objects")
