"""Trust tables: sharing groups, users, API tokens and the audit log.

Kept apart from `core.py` because they change for different reasons: core
tables follow the intelligence model, these follow who may act on the node.
Tokens are stored only as SHA-256 digests of high-entropy random secrets (a
slow hash such as argon2 adds latency to every API call and nothing against an
attacker: a 256-bit random secret cannot be guessed, only a human password
can).  Passwords, which humans choose, are argon2 hashes.  The audit log is
append-only and hash-chained (see `bersama.store.audit`); `audit_head` is the
one-row lock that keeps the chain linear under concurrent writers and records
the head so that a truncated tail is also detected.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from bersama.store.tables.base import metadata
from bersama.store.tables.core import IdType

sharing_groups = Table(
    "sharing_groups",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("description", Text, nullable=False, server_default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

group_members = Table(
    "group_members",
    metadata,
    Column(
        "group_name",
        String(100),
        ForeignKey("sharing_groups.name", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("agency", String(32), ForeignKey("agencies.code"), primary_key=True),
    Index("ix_group_members_agency", "agency", "group_name"),
)

users = Table(
    "users",
    metadata,
    Column("email", String(254), primary_key=True),
    Column("agency", String(32), ForeignKey("agencies.code"), nullable=False),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(200), nullable=True),
    Column("failed_logins", Integer, nullable=False, server_default="0"),
    Column("locked_until", DateTime(timezone=True), nullable=True),
    Column("disabled", Boolean, nullable=False, server_default="0"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_users_agency", "agency"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(24), primary_key=True),
    Column("token_hash", String(64), nullable=False),
    Column("user_email", String(254), ForeignKey("users.email"), nullable=True),
    Column("peer_agency", String(32), ForeignKey("agencies.code"), nullable=True),
    Column("note", Text, nullable=False, server_default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("last_used_at", DateTime(timezone=True), nullable=True),
)

audit_log = Table(
    "audit_log",
    metadata,
    # `seq` is assigned by `bersama.store.audit.record` (head + 1) under the head lock,
    # so a gap is evidence of deletion rather than of a rolled-back sequence value.
    Column("seq", IdType, primary_key=True, autoincrement=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor_user", String(254), nullable=True),
    Column("actor_agency", String(32), nullable=True),
    Column("action", String(64), nullable=False),
    Column("target", Text, nullable=False),
    Column("address", String(64), nullable=True),
    Column("detail", JSON, nullable=True),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_audit_log_at", "at"),
)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", IdType, nullable=False),
    Column("hash", String(64), nullable=False),
)
