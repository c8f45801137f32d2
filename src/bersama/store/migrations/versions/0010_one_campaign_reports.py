"""Reports that say their identifiers are one campaign link at any size
(`reports.one_campaign`; docs/adr/0013-list-reports-link-nothing.md).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Reports stored before this said nothing of the kind: false.
    op.add_column(
        "reports",
        sa.Column("one_campaign", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("reports", "one_campaign")
