"""Tables of private cross-border checks: setup generations, nonces, usage, disclosures.

Kept apart from the core tables because they change for different reasons:
these follow the PSI protocol (docs/adr/0007).  A *generation* is one server
key and the setup segments encrypted under it for one asking agency: a base
segment over reports up to `base_upto`, and at most one delta segment for the
reports added since, so a query never re-encodes the whole held set after an
ingest.  The key lives only here: whoever reads this database already reads
the plaintext set it protects.  `psi_usage` holds counts per day, side, peer
and agency, never identifiers.  `disclosure_requests.value_ref` is stored on
the asking side; on the answering side only when the holder already holds it.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from bersama.store.tables.base import metadata
from bersama.store.tables.core import IdType

psi_state = Table(
    "psi_state",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

psi_generations = Table(
    "psi_generations",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("agency", String(32), nullable=False),
    Column("server_key", LargeBinary, nullable=False),
    Column("base_upto", BigInteger, nullable=False),
    Column("base_count", BigInteger, nullable=False),
    Column("base_modified", String(40), nullable=False),
    Column("stable_digest", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_psi_generations_agency", "agency", "id"),
)

psi_segments = Table(
    "psi_segments",
    metadata,
    Column("generation_id", IdType, ForeignKey("psi_generations.id", ondelete="CASCADE"),
           primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("upto", BigInteger, nullable=False),
    Column("items", BigInteger, nullable=False),
    Column("setup", LargeBinary, nullable=False),
    Column("build_seconds", String(16), nullable=False),
    Column("built_at", DateTime(timezone=True), nullable=False),
)

psi_nonces = Table(
    "psi_nonces",
    metadata,
    Column("nonce", String(64), primary_key=True),
    Column("peer", String(100), nullable=False),
    Column("seen_at", DateTime(timezone=True), nullable=False),
    Index("ix_psi_nonces_seen", "seen_at"),
)

psi_usage = Table(
    "psi_usage",
    metadata,
    Column("day", Date, primary_key=True),
    Column("side", String(8), primary_key=True),  # "in": answered, "out": asked
    Column("peer", String(100), primary_key=True),
    Column("agency", String(32), primary_key=True),
    Column("items", BigInteger, nullable=False),
    Column("queries", BigInteger, nullable=False),
)

disclosure_requests = Table(
    "disclosure_requests",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("direction", String(4), nullable=False),  # "out": we asked; "in": a peer asked us
    Column("peer", String(100), nullable=False),
    Column("remote_id", String(64), nullable=True),
    Column("agency", String(32), nullable=False),  # asking agency
    Column("value_ref", String(2100), nullable=True),
    Column("reason", Text, nullable=False),
    Column("status", String(12), nullable=False),
    Column("requested_by", String(254), nullable=True),
    Column("decided_by", String(254), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Column("answered_at", DateTime(timezone=True), nullable=True),
    Column("result", Text, nullable=True),
    Index("ix_disclosure_requests_status", "direction", "status", "id"),
)
