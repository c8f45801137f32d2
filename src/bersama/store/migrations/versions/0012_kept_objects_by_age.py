"""Kept objects by peer and age, for their retention (`peer_kept_days`;
federation/assemble.py, step 6).

Every page received from a peer drops that peer's kept SCOs older than the retention;
without the index that is a scan of all the peer's kept rows per page.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Rows kept before this revision have their kept_at: they age from then, as new ones do.
    op.create_index("ix_kept_objects_peer_kept_at", "kept_objects", ["peer", "kept_at"])


def downgrade() -> None:
    op.drop_index("ix_kept_objects_peer_kept_at", table_name="kept_objects")
