"""Core tables: agencies, reports, observables, their links, clusters, warninglists.

Reports keep their audience tokens (see `bersama.markings.model`) in
`report_audience`, so every bulk read filters with one indexed EXISTS instead
of re-implementing the policy in SQL.  Observables keep only node-wide facts
(hub flag, total report count) that decide correlation; everything a reader
sees is computed per reader from the links at query time, except the node's
statistics, which come from counters per audience (`tables/holdings.py`).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    false,
    true,
)

from bersama.store.tables.base import metadata

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL wants BIGINT for 10M+ rows.
IdType = BigInteger().with_variant(Integer(), "sqlite")

agencies = Table(
    "agencies",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("country", String(2), nullable=False),
    Column("type", String(32), nullable=True),
    Column("default_tlp", String(16), nullable=False, server_default="amber"),
    Column("default_group", String(100), nullable=True),
    Column("hint_amber", String(8), nullable=False, server_default="none"),
    Column("is_peer", Boolean, nullable=False, server_default="0"),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

clusters = Table(
    "clusters",
    metadata,
    # A cluster's id is the smallest report id in it, so incremental maintenance
    # and a rebuild from scratch give the same ids, not just the same partition.
    Column("id", IdType, primary_key=True, autoincrement=False),
    Column("size", Integer, nullable=False),
    Column("countries", JSON, nullable=False),
    Column("cross_border", Boolean, nullable=False, server_default="0"),
    # Changes whenever the cluster is rewritten; read views are cached under it.
    Column("stamp", BigInteger, nullable=False, server_default="0"),
    Index("ix_clusters_size", "size"),
)

reports = Table(
    "reports",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("stix_id", String(64), nullable=False, unique=True),
    Column("agency", String(32), ForeignKey("agencies.code"), nullable=False),
    Column("country", String(2), nullable=False),
    Column("created_by", String(254), nullable=True),
    Column("title", Text, nullable=False, server_default=""),
    Column("crime_type", String(32), nullable=False),
    Column("scam_types", String(400), nullable=False, server_default=""),
    Column("loss_amount", Numeric(20, 2), nullable=True),
    Column("loss_currency", String(3), nullable=True),
    Column("occurred_at", DateTime(timezone=True), nullable=True),
    Column("modified", DateTime(timezone=True), nullable=False),
    Column("ingested_at", DateTime(timezone=True), nullable=False),
    Column("language", String(16), nullable=True),
    Column("narrative", Text, nullable=False, server_default=""),
    Column("tlp", String(16), nullable=False),
    Column("sharing_group", String(100), nullable=True),
    Column("recipient_agencies", JSON, nullable=False),
    Column("recipient_users", JSON, nullable=False),
    Column("labels", JSON, nullable=False),
    Column("revoked", Boolean, nullable=False, server_default="0"),
    Column("source_format", String(16), nullable=False),
    Column("source_ref", Text, nullable=False, server_default=""),
    Column("content_hash", String(64), nullable=False),
    Column("origin_peer", String(100), nullable=True),
    Column("cluster_id", IdType, nullable=True),
    # False for a list (more identifiers than the node's list threshold): its identifiers
    # are counted and checked but link no clusters (store/correlate.py).
    Column("links", Boolean, nullable=False, server_default=true()),
    # True when the report says its identifiers are one campaign (a takedown, an
    # intrusion set): it links whatever its size, so `links` is true.
    Column("one_campaign", Boolean, nullable=False, server_default=false()),
    # The canonical audience of its tokens (store/holdings.py); no foreign key, so that
    # adding the column to a large SQLite store does not rebuild the table.
    Column("audience", IdType, nullable=True),
    Index("ix_reports_cluster", "cluster_id"),
    Index("ix_reports_agency_ingested", "agency", "ingested_at"),
)

report_audience = Table(
    "report_audience",
    metadata,
    Column("report_id", IdType, ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True),
    Column("token", String(300), primary_key=True),
    Index("ix_report_audience_token", "token", "report_id"),
)

observables = Table(
    "observables",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("ref", String(2100), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("display", Text, nullable=False, server_default=""),
    Column("attrs", JSON, nullable=False),
    Column("report_count", Integer, nullable=False, server_default="0"),
    Column("is_hub", Boolean, nullable=False, server_default="0"),
    Column("warninglist", String(100), nullable=True),
    # The canonical audience of its active reports together, NULL when it has none
    # (store/holdings.py); no foreign key, as for reports.audience.
    Column("audience", IdType, nullable=True),
)

report_observables = Table(
    "report_observables",
    metadata,
    Column("report_id", IdType, ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True),
    Column("observable_id", IdType, ForeignKey("observables.id"), primary_key=True),
    Index("ix_report_observables_observable", "observable_id", "report_id"),
)

warninglist = Table(
    "warninglist",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("agency", String(32), ForeignKey("agencies.code"), nullable=False),
    Column("ref", String(2100), nullable=False),
    Column("note", Text, nullable=False, server_default=""),
    Index("ix_warninglist_ref", "ref"),
)

ingest_batches = Table(
    "ingest_batches",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("agency", String(32), ForeignKey("agencies.code"), nullable=False),
    Column("format", String(16), nullable=False),
    Column("source", Text, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("accepted", Integer, nullable=False, server_default="0"),
    Column("unchanged", Integer, nullable=False, server_default="0"),
    Column("rejected", Integer, nullable=False, server_default="0"),
    Column("status", String(16), nullable=False),
)

ingest_rejections = Table(
    "ingest_rejections",
    metadata,
    # Every record a batch rejected, in order (the batch's answer lists only the first
    # 1,000): read back by the batch's own agency (`Reads.rejections`).  Written in the
    # batch's transaction, so a batch refused as a whole leaves none.
    Column("batch_id", IdType, ForeignKey("ingest_batches.id"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("reason", Text, nullable=False),
    Column("line", Integer, nullable=True),
    Column("field", Text, nullable=True),
    Column("value", Text, nullable=True),
    Column("record", Text, nullable=True),
    sqlite_with_rowid=False,
)

stix_objects = Table(
    "stix_objects",
    metadata,
    # Every version of every STIX object the node holds or produced, as shared over
    # TAXII.  One row per (object id, modified) and report; `date_added` is when this
    # node first held that version (TAXII's ordering and `added_after` cursor).
    Column("seq", IdType, primary_key=True, autoincrement=True),
    Column("object_id", String(100), nullable=False),
    Column("modified", String(32), nullable=False),
    Column("type", String(64), nullable=False),
    Column("spec_version", String(8), nullable=False, server_default="2.1"),
    Column("report_id", IdType, ForeignKey("reports.id", ondelete="CASCADE"), nullable=True),
    Column("date_added", DateTime(timezone=True), nullable=False),
    Column("body", Text, nullable=False),
    Column("origin_peer", String(100), nullable=True),
    Column("signature", Text, nullable=True),
    # The canonical audience of the report version the row belongs to (the report's own
    # is that of its current version): a reader sees a row only when it may read both,
    # so an older RED version never shows under a newer GREEN marking.  NULL for rows
    # stored before it was kept, and for rows of no report.
    Column("audience", IdType, nullable=True),
    Index("ix_stix_objects_id_modified", "object_id", "modified"),
    Index("ix_stix_objects_date_added", "date_added", "seq"),
    Index("ix_stix_objects_report", "report_id"),
)

# A derived cache, never a source of truth: the view of a cluster for readers who
# may read every member, stored per `stamp` so that a check reads one row instead
# of fetching the whole cluster (store/summaries.py).  A row whose stamp differs
# from its cluster's is stale and ignored; a rebuild simply leaves rows stale.
cluster_summaries = Table(
    "cluster_summaries",
    metadata,
    Column("cluster_id", IdType, primary_key=True, autoincrement=False),
    # Which readers the view is for: "" for those who may read every member, else a
    # hash of the audiences they may read (store/summaries.py `signature_key`).
    Column("signature", String(32), primary_key=True),
    Column("stamp", BigInteger, nullable=False),
    Column("top_n", Integer, nullable=False),
    # On "" rows: the distinct audience token sets of the members (orjson list of lists).
    Column("audiences", Text, nullable=False),
    # Per visible component: [view as `clusterviews.Snapshot.view` computes it, its
    # AMBER+ report ids, its members (only when there are several components)].
    Column("view", Text, nullable=False),
)

# A derived cache, never a source of truth: what a check says about one observable
# (store/observable_summaries.py), for readers who may read every active report linking
# it and, per audience of those reports, for the others, so that a bulk check reads one
# row per value instead of every link.  Valid while
# `stamp` is its cluster's: every change to the value's links, or to whether it links
# at all (a hub, a warninglist entry), rewrites that stamp.
observable_summaries = Table(
    "observable_summaries",
    metadata,
    # By the value's ref, the key a check looks it up by: one B-tree probe (a clustered
    # key on SQLite) instead of the observables index, its row, then this row.
    Column("ref", String(2100), primary_key=True),
    Column("cluster_id", IdType, nullable=False),
    Column("stamp", BigInteger, nullable=False),
    # The smallest id of the reports linking it: the seed of its cluster view.
    Column("seed", IdType, nullable=False),
    # The distinct canonical audiences (store/holdings.py) of those reports: an orjson
    # list of sorted token lists.
    Column("audiences", Text, nullable=False),
    # Their AMBER+ report ids (orjson list): reading the summary reads them (audit).
    Column("sensitive", Text, nullable=False),
    # The check's fields from "reports" to "corroboration", in the check's order (orjson).
    Column("summary", Text, nullable=False),
    # Per audience above: [its reports' fields, seed, AMBER+ ids, owners of the AMBER ones].
    Column("groups", Text, nullable=False),
    sqlite_with_rowid=False,
)
