"""Holdings tables: counters of what the node holds per audience (store/holdings.py).

Kept apart from `core.py` because they are derived, never a source of truth:
`bersama correlate --rebuild` recomputes them from the reports.  An *audience*
here is a canonical set of audience tokens, stored once and never changed or
deleted, so an id always names the same tokens; `reports.audience` and
`observables.audience` point at them.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, String, Table

from bersama.store.tables.base import metadata
from bersama.store.tables.core import IdType

audiences = Table(
    "audiences",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    # SHA-256 of the tokens' JSON: a bounded unique key for token lists of any length.
    Column("digest", String(64), nullable=False, unique=True),
    Column("tokens", JSON, nullable=False),
)

# Which audiences hold a token: a reader's readable audiences are one indexed range
# per token it holds.
audience_tokens = Table(
    "audience_tokens",
    metadata,
    Column("token", String(300), primary_key=True),
    Column("audience_id", IdType, ForeignKey("audiences.id"), primary_key=True),
)

# Active (not revoked) reports per audience and country.
report_holdings = Table(
    "report_holdings",
    metadata,
    Column("audience", IdType, ForeignKey("audiences.id"), primary_key=True),
    Column("country", String(2), primary_key=True),
    Column("reports", BigInteger, nullable=False),
)

# Observables per audience, an observable's audience being that of its active reports.
observable_holdings = Table(
    "observable_holdings",
    metadata,
    Column("audience", IdType, ForeignKey("audiences.id"), primary_key=True),
    Column("observables", BigInteger, nullable=False),
)

# Node-wide figures no reader's audience restricts (cross-border clusters).
node_counters = Table(
    "node_counters",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)
