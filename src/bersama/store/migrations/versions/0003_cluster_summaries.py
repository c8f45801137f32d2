"""Stored cluster views per reader signature (store/summaries.py).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "cluster_summaries",
        sa.Column("cluster_id", _ID, primary_key=True, autoincrement=False),
        sa.Column("signature", sa.String(32), primary_key=True),
        sa.Column("stamp", sa.BigInteger(), nullable=False),
        sa.Column("top_n", sa.Integer(), nullable=False),
        sa.Column("audiences", sa.Text(), nullable=False),
        sa.Column("view", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("cluster_summaries")
