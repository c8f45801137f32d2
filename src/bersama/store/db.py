"""Engine creation and schema migration for SQLite (default) and PostgreSQL.

SQLite runs in WAL mode with foreign keys on, so readers (the API) never block
the writer (ingest).  The schema is only ever created by Alembic migrations,
on both engines, so what tests run against is what production runs.
"""

from __future__ import annotations

import sqlite3
import weakref
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event

from bersama.config import Settings
from bersama.errors import Busy

MIGRATIONS = Path(__file__).parent / "migrations"


SQLITE_PAGE_SIZE = 16384
"""Page size of new SQLite stores (SQLite's default is 4096).  A STIX object row is about
0.7 kB and a report row about 0.9 kB, so 4 kB pages hold a handful of rows each; with
16 kB pages a store has a quarter of the pages to write, log and checkpoint (a quarter
of the write calls), and less space unused at page ends (7% smaller): ingest costs 4-6%
less CPU, a fifth less system time, and checks are as fast (benchmarks/bench_core.py).
It only takes effect when the database file is created (before its first write, so
before `journal_mode=WAL`); an existing store keeps its page size, and the pragma
changes nothing there (tests/unit/store/test_db.py)."""


WRITE_WAIT_MS = 30_000
"""How long a write waits for another write to finish before it gives up with `Busy`:
SQLite's busy timeout, and PostgreSQL's wait for the correlation lock
(store/writelock.py)."""

_SQLITE_BUSY = 5
"""SQLite's primary result code for "database is locked" (extended codes add high bits)."""
_PG_LOCK_NOT_AVAILABLE = "55P03"


def _busy(context: Any) -> None:
    """Raise `Busy` in place of the driver's error when a write gave up waiting for another
    (engine `handle_error` event): a client is told to retry, not that the node failed."""
    orig = context.original_exception
    code = getattr(orig, "sqlite_errorcode", None)
    if (code is not None and code & 0xFF == _SQLITE_BUSY) or (
        getattr(orig, "sqlstate", None) == _PG_LOCK_NOT_AVAILABLE
    ):
        wait = WRITE_WAIT_MS // 1000
        raise Busy(
            f"another write held the store for more than {wait} s (a large ingest?); "
            "nothing of this request was written: retry later",
            retry_after=max(wait, 1),
        ) from orig


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={WRITE_WAIT_MS}")
    cur.execute("PRAGMA cache_size=-200000")
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.close()


class _Connection(sqlite3.Connection):
    """A SQLite connection that knows its cursors still alive (`_close_cursors`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.live_cursors: weakref.WeakSet[sqlite3.Cursor] = weakref.WeakSet()

    def cursor(self, factory: Any = sqlite3.Cursor) -> Any:
        cur = super().cursor(factory)
        self.live_cursors.add(cur)
        return cur


def _close_cursors(dbapi_conn: Any, _record: Any) -> None:
    """Close what a connection's users left open before it goes back to the pool.

    WHY: a SELECT stepped but not finished keeps its statement busy, and a busy statement
    holds SQLite's read snapshot even outside any transaction (WAL mode): a pooled
    connection returned with one serves every later reader the database as it was then.
    A result left unfinished in a reference cycle (an exception's traceback holds the
    frames that held it) lives until the collector runs, so an API connection could keep
    answering from an old snapshot: a token just created refused, a token just revoked
    still accepted, a report just ingested unseen.  Rolling back does not end such a read
    (SQLite lets pending reads go on); closing their cursors resets the statements."""
    for cursor in list(dbapi_conn.live_cursors):
        cursor.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "factory": _Connection}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "checkin", _close_cursors)
    else:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        engine = create_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)
    event.listen(engine, "handle_error", _busy)
    return engine


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent)."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def open_engine(settings: Settings, *, upgrade: bool = True) -> Engine:
    """The engine for this node, migrated to the newest schema."""
    engine = make_engine(settings.effective_database_url)
    if upgrade:
        migrate(engine)
    return engine
