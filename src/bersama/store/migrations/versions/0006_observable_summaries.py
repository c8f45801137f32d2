"""Stored per-observable check summaries (store/observable_summaries.py).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # Starts empty: rows are written behind the checks, or by `correlate --summaries`.
    op.create_table(
        "observable_summaries",
        sa.Column("ref", sa.String(2100), primary_key=True),
        sa.Column("cluster_id", _ID, nullable=False),
        sa.Column("stamp", sa.BigInteger(), nullable=False),
        sa.Column("seed", _ID, nullable=False),
        sa.Column("audiences", sa.Text(), nullable=False),
        sa.Column("sensitive", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("groups", sa.Text(), nullable=False),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("observable_summaries")
