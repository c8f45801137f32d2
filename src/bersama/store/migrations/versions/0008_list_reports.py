"""Reports that are lists link nothing (`reports.links`; docs/correlation.md).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Every stored report keeps linking until `bersama correlate --rebuild` applies the
    # node's list threshold to it.
    op.add_column(
        "reports", sa.Column("links", sa.Boolean(), nullable=False, server_default=sa.true())
    )


def downgrade() -> None:
    op.drop_column("reports", "links")
