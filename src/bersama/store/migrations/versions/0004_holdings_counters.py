"""Holdings counters per audience for the node's statistics (store/holdings.py).

Adds the audiences, their counters and `reports.audience` / `observables.audience`
(plain columns, no foreign key: on SQLite that keeps ADD COLUMN from copying the
two largest tables), then fills them from the stored reports once (`holdings.rebuild`;
on an empty store it reads nothing).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bersama.store.holdings import rebuild

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "audiences",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("tokens", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audiences")),
        sa.UniqueConstraint("digest", name=op.f("uq_audiences_digest")),
    )
    op.create_table(
        "audience_tokens",
        sa.Column("token", sa.String(300), nullable=False),
        sa.Column("audience_id", _ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["audience_id"], ["audiences.id"],
            name=op.f("fk_audience_tokens_audience_id_audiences"),
        ),
        sa.PrimaryKeyConstraint("token", "audience_id", name=op.f("pk_audience_tokens")),
    )
    op.create_table(
        "report_holdings",
        sa.Column("audience", _ID, nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("reports", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["audience"], ["audiences.id"], name=op.f("fk_report_holdings_audience_audiences"),
        ),
        sa.PrimaryKeyConstraint("audience", "country", name=op.f("pk_report_holdings")),
    )
    op.create_table(
        "observable_holdings",
        sa.Column("audience", _ID, nullable=False),
        sa.Column("observables", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["audience"], ["audiences.id"],
            name=op.f("fk_observable_holdings_audience_audiences"),
        ),
        sa.PrimaryKeyConstraint("audience", name=op.f("pk_observable_holdings")),
    )
    op.create_table(
        "node_counters",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_node_counters")),
    )
    op.add_column("reports", sa.Column("audience", _ID, nullable=True))
    op.add_column("observables", sa.Column("audience", _ID, nullable=True))
    rebuild(op.get_bind())


def downgrade() -> None:
    # plain DROP COLUMN (SQLite 3.35+): a batch copy of these tables would break the
    # foreign keys that point at them
    op.drop_column("observables", "audience")
    op.drop_column("reports", "audience")
    for table in (
        "node_counters", "observable_holdings", "report_holdings", "audience_tokens", "audiences"
    ):
        op.drop_table(table)
