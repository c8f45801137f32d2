"""Every rejection of an ingest batch, kept with the batch (store/tables/core.py).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # Batches ingested before this revision keep only the count in `ingest_batches`.
    op.create_table(
        "ingest_rejections",
        sa.Column("batch_id", _ID, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("field", sa.Text(), nullable=True),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("record", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["ingest_batches.id"],
            name=op.f("fk_ingest_rejections_batch_id_ingest_batches"),
        ),
        sa.PrimaryKeyConstraint("batch_id", "seq", name=op.f("pk_ingest_rejections")),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("ingest_rejections")
