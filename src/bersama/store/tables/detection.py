"""The detection review queue: messages a model flagged, waiting for a human.

Why a table and not a flag on reports: a flagged message is not yet a report
(nothing is shared or correlated until an analyst confirms it), and a
rejection is as valuable as a confirmation, because decisions export as
labelled data for retraining.  Every decision keeps who made it and when.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Float, ForeignKey, Index, String, Table, Text

from bersama.store.tables.base import metadata
from bersama.store.tables.core import IdType

REVIEW_STATUSES = ("queued", "confirmed", "rejected")

review_items = Table(
    "review_items",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("agency", String(32), ForeignKey("agencies.code"), nullable=False),
    Column("text", Text, nullable=False),
    Column("language", String(8), nullable=False),
    Column("probability", Float, nullable=False),
    Column("band", String(16), nullable=False),
    Column("scam_types", JSON, nullable=False),
    Column("entities", JSON, nullable=False),
    Column("model_version", String(64), nullable=False),
    Column("source", String(200), nullable=False),
    Column("status", String(16), nullable=False, server_default="queued"),
    Column("decided_by", String(200), nullable=True),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("report_id", IdType, ForeignKey("reports.id"), nullable=True),
)
Index("ix_review_items_agency_status", review_items.c.agency, review_items.c.status,
      review_items.c.id)
