"""Federation tables: peers, their sync cursors, provenance of received objects.

Why a cursor row per (peer, collection) rather than a column on `peers`: one
peer can be pulled from several collections, and a cursor must move in the
same transaction as the objects of the page it covers, so that a node killed
mid-sync resumes exactly where its last committed page ended.  Why provenance
per object version: "who sent us this, when, and did its signature verify" is
the question an analyst asks of any shared fact, and rejected objects are
recorded too (signature_status != "valid"), with nothing of them ingested.

`peers.token` is the bearer token this node presents to the peer.  It is kept
in clear because the node must send it; the data directory is the secret
store (like the node's private key), and no command or log ever prints it.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from bersama.store.tables.base import metadata

peers = Table(
    "peers",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("url", Text, nullable=False),
    Column("api_root", Text, nullable=False),
    Column("collection_id", String(100), nullable=False),
    Column("token", Text, nullable=True),
    Column("public_key", String(100), nullable=False),
    Column("agency", String(32), ForeignKey("agencies.code"), nullable=False),
    Column("push_collection", String(100), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

peer_cursors = Table(
    "peer_cursors",
    metadata,
    Column("peer", String(100), ForeignKey("peers.name", ondelete="CASCADE"),
           primary_key=True),
    Column("collection_id", String(100), primary_key=True),
    Column("added_after", DateTime(timezone=True), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("last_success_at", DateTime(timezone=True), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("objects_received", Integer, nullable=False, server_default="0"),
)

received_objects = Table(
    "received_objects",
    metadata,
    Column("peer", String(100), ForeignKey("peers.name", ondelete="CASCADE"),
           nullable=False),
    Column("object_id", String(100), nullable=False),
    Column("modified", String(32), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("signature_status", String(16), nullable=False),
    Column("key_id", String(100), nullable=True),
    # Keyed by object first, so the one key serves "who sent this object" as well as
    # uniqueness, and on SQLite the rows live in that key's B-tree (no rowid table,
    # no second index): one B-tree insert per received object instead of three
    # (migration 0005).
    PrimaryKeyConstraint("object_id", "modified", "peer"),
    sqlite_with_rowid=False,
)

sync_failures = Table(
    "sync_failures",
    metadata,
    Column("peer", String(100), ForeignKey("peers.name", ondelete="CASCADE"),
           primary_key=True),
    Column("kind", String(32), primary_key=True),
    Column("count", Integer, nullable=False, server_default="0"),
    Column("last_at", DateTime(timezone=True), nullable=False),
    Column("last_detail", Text, nullable=False, server_default=""),
)

taxii_status = Table(
    "taxii_status",
    metadata,
    # Status resources of TAXII "Add Objects" requests (kept so clients can poll them).
    Column("id", String(64), primary_key=True),
    Column("agency", String(32), nullable=False),
    Column("request_timestamp", DateTime(timezone=True), nullable=False),
    Column("body", Text, nullable=False),
)

held_objects = Table(
    "held_objects",
    metadata,
    # Verified objects from a peer waiting for the rest of a report (federation/assemble.py):
    # a report whose object_refs are not all received yet, or observables no report
    # received so far names.  Bounded per peer in count and time, then released.
    Column("peer", String(100), ForeignKey("peers.name", ondelete="CASCADE"), primary_key=True),
    Column("object_id", String(100), primary_key=True),
    Column("modified", String(32), nullable=False),
    Column("held_at", DateTime(timezone=True), nullable=False),
    Column("body", Text, nullable=False),
)

kept_objects = Table(
    "kept_objects",
    metadata,
    # Verified SCOs and marking definitions a peer sent with a report this node refused
    # (federation/assemble.py): a Bersama server sends each once, with the first report
    # naming it, so the peer's later reports resolve their refs here.  Read by assembly
    # alone, for the same peer; never served, checked or counted (they are no report's).
    # Dropped once a stored report of the peer holds the object, and SCOs after
    # `peer_kept_days` (by the index, on every page received from the peer).
    Column("peer", String(100), ForeignKey("peers.name", ondelete="CASCADE"), primary_key=True),
    Column("object_id", String(100), primary_key=True),
    Column("modified", String(32), nullable=False),
    Column("kept_at", DateTime(timezone=True), nullable=False),
    Column("body", Text, nullable=False),
    Index("ix_kept_objects_peer_kept_at", "peer", "kept_at"),
)
