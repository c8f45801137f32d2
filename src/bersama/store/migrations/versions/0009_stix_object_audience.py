"""Each stored STIX object version keeps its own audience (store/taxii.py).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # Rows stored before this revision stay NULL: read under their report's current
    # marking alone, as they were.
    op.add_column("stix_objects", sa.Column("audience", _ID, nullable=True))


def downgrade() -> None:
    op.drop_column("stix_objects", "audience")
