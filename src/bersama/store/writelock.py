"""One transaction at a time changes the correlation graph.

WHY: correlation reads the clusters a batch reaches and writes them back merged
(store/correlate.py).  SQLite lets one transaction write at a time, so each batch
finds the one before it whole.  PostgreSQL's default isolation (READ COMMITTED)
lets two batches read the same cluster before either commits: when two agencies
report one campaign through different identifiers at the same moment, both write
the merged cluster and the second failed on the cluster's key (a retried upload
still in flight failed likewise on the report's id), and where no key collides a
batch's counts would be lost silently.  So every transaction that changes
reports, their links or clusters (an ingest batch, a warninglist entry, a
rebuild) takes this lock before its first write: on PostgreSQL a
transaction-scoped advisory lock, released by the commit or rollback; on SQLite
the database's own write lock already orders them.

A writer waits for the lock at most `WRITE_WAIT_MS`, as long as SQLite's busy
timeout, then gives up with `Busy` (store/db.py).  An ingest batch takes it once
its first chunk of reports is parsed (ingest/pipeline.py), before it reads which
of them are stored; a transaction that wrote rows before taking it (a peer's
page records their provenance first) takes it at its start instead, so no
writer waits for the lock while holding rows that its holder may need.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from bersama.store.db import WRITE_WAIT_MS

LOCK_KEY = 4402178679520220847
"""The advisory lock's key: the first 8 bytes of SHA-256("bersama:correlation"), signed.
Fixed: every process of a node, of any version, must take the same lock."""

_TAKE = text("SELECT pg_advisory_xact_lock(:key)")


def hold_correlation(conn: Connection) -> None:
    """Take the correlation lock for the rest of `conn`'s transaction (again is free)."""
    if conn.dialect.name != "postgresql":
        return
    conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(WRITE_WAIT_MS)}")
    conn.execute(_TAKE, {"key": LOCK_KEY})
    conn.exec_driver_sql("SET LOCAL lock_timeout TO DEFAULT")


__all__ = ["LOCK_KEY", "hold_correlation"]
