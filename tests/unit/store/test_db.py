"""store.db: the SQLite connection settings, page size above all (it is fixed at creation)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import text

from bersama.store.db import SQLITE_PAGE_SIZE, make_engine


def _page_size(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("PRAGMA page_size")).scalar_one())
    finally:
        engine.dispose()


def test_a_new_store_gets_the_larger_page_size_and_wal(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert _page_size(url) == SQLITE_PAGE_SIZE
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
    finally:
        engine.dispose()


def test_an_existing_store_keeps_its_page_size_and_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA page_size=4096")
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("CREATE TABLE t (x INTEGER)")
    raw.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(1000)])
    raw.commit()
    raw.close()
    url = f"sqlite:///{path}"
    assert _page_size(url) == 4096
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1000)"))
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*), sum(x) FROM t")).one() == (1001, 500500)
    finally:
        engine.dispose()


def test_a_pooled_connection_never_serves_an_old_snapshot(tmp_path: Path) -> None:
    """A result left unfinished (kept alive, as a reference cycle keeps it until the
    collector runs) must not pin the read snapshot of the connection it came from once
    that connection is back in the pool."""
    path = tmp_path / "s.db"
    engine = make_engine(f"sqlite:///{path}")
    left: list[object] = []
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1), (2), (3)"))
        with engine.connect() as conn:
            result = conn.execute(text("SELECT x FROM t"))
            result.fetchone()
            left.append(result)
            del result
        other = sqlite3.connect(path)
        other.execute("INSERT INTO t VALUES (4)")
        other.commit()
        other.close()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM t")).scalar_one() == 4
    finally:
        engine.dispose()
