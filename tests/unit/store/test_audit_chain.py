"""The audit chain on SQLite: intact, edited, inserted, deleted, truncated, concurrent."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, insert, select, update

from bersama.errors import InvalidInput
from bersama.markings import Reader, Role
from bersama.store import audit
from bersama.store.db import make_engine
from bersama.store.tables.base import metadata
from bersama.store.tables.trust import audit_log

NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
ANALYST = Reader(agency="MY-PDRM", user="aisyah@pdrm.my", role=Role.ANALYST)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'audit.db'}")
    metadata.create_all(eng)
    with eng.begin() as conn:
        for i in range(6):
            audit.record(conn, reader=ANALYST, action="report.read", target=f"report:{i}",
                         address="10.0.0.1", detail={"tlp": "amber", "n": i},
                         now=NOW + timedelta(seconds=i))
    yield eng
    eng.dispose()


def test_intact(engine: Engine) -> None:
    with engine.connect() as conn:
        result = audit.verify(conn)
    assert result.ok, result
    assert (result.rows, result.head_seq, result.problem) == (6, 6, None)


def test_empty_log_verifies() -> None:
    eng = make_engine("sqlite://")
    metadata.create_all(eng)
    with eng.connect() as conn:
        assert audit.verify(conn).ok


def test_edit_detected(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(update(audit_log).where(audit_log.c.seq == 3).values(target="report:99"))
        result = audit.verify(conn)
    assert (result.ok, result.problem, result.seq) == (False, "edited", 3)


def test_edit_with_recomputed_hash_detected_at_next_row(engine: Engine) -> None:
    with engine.begin() as conn:
        row = dict(conn.execute(select(audit_log).where(audit_log.c.seq == 3)).mappings().one())
        row["actor_user"] = "someone-else@pdrm.my"
        conn.execute(update(audit_log).where(audit_log.c.seq == 3)
                     .values(actor_user=row["actor_user"], hash=audit.row_hash(row)))
        result = audit.verify(conn)
    assert (result.problem, result.seq) == ("inserted", 4)


def test_delete_detected(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(delete(audit_log).where(audit_log.c.seq == 2))
        result = audit.verify(conn)
    assert (result.ok, result.problem, result.seq) == (False, "deleted", 3)
    assert "2..2" in result.detail


def test_insert_detected(engine: Engine) -> None:
    # Replace row 4 by a forged row that is self-consistent and follows row 3.
    with engine.begin() as conn:
        prev = conn.execute(select(audit_log.c.hash).where(audit_log.c.seq == 3)).scalar_one()
        conn.execute(delete(audit_log).where(audit_log.c.seq == 4))
        forged = {"seq": 4, "at": NOW, "actor_user": "x@y.z", "actor_agency": "MY-PDRM",
                  "action": "report.read", "target": "report:x", "address": None,
                  "detail": None, "prev_hash": prev}
        forged["hash"] = audit.row_hash(forged)
        conn.execute(insert(audit_log).values(**forged))
        result = audit.verify(conn)
    assert (result.ok, result.problem, result.seq) == (False, "inserted", 5)


def test_tail_delete_and_append_detected(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(delete(audit_log).where(audit_log.c.seq == 6))
        result = audit.verify(conn)
        assert (result.problem, result.seq) == ("head-mismatch", 6)
        conn.rollback()
    with engine.begin() as conn:
        prev = conn.execute(select(audit_log.c.hash).where(audit_log.c.seq == 6)).scalar_one()
        extra = {"seq": 7, "at": NOW, "actor_user": None, "actor_agency": None,
                 "action": "x", "target": "y", "address": None, "detail": None,
                 "prev_hash": prev}
        extra["hash"] = audit.row_hash(extra)
        conn.execute(insert(audit_log).values(**extra))
        assert audit.verify(conn).problem == "head-mismatch"


def test_anchor(engine: Engine) -> None:
    with engine.connect() as conn:
        head = audit.verify(conn)
        assert audit.verify(conn, anchor=(head.head_seq, head.head_hash)).ok
        assert audit.verify(conn, anchor=(2, "0" * 64)).problem == "anchor-mismatch"
        assert audit.verify(conn, anchor=(99, "0" * 64)).problem == "anchor-mismatch"


def test_export_jsonl(engine: Engine) -> None:
    with engine.connect() as conn:
        lines = list(audit.export(conn, "jsonl"))
        with pytest.raises(InvalidInput):
            list(audit.export(conn, "csv"))
    rows = [json.loads(line) for line in lines]
    assert [r["seq"] for r in rows] == [1, 2, 3, 4, 5, 6]
    assert rows[0]["at"] == "2026-01-15T09:00:00.000000Z"
    assert rows[1]["prev_hash"] == rows[0]["hash"]
    assert rows[0]["actor_agency"] == "MY-PDRM"


def test_actors(engine: Engine) -> None:
    with engine.begin() as conn:
        audit.record(conn, reader=Reader(agency="TH-CCIB", is_peer=True), action="taxii.read",
                     target="collection:x", address=None)
        audit.record(conn, reader=Reader.system(), action="rebuild", target="clusters",
                     address=None)
        audit.record(conn, reader=Reader.public(), action="public.check", target="phone",
                     address="192.0.2.1")
        rows = conn.execute(select(audit_log.c.actor_user, audit_log.c.actor_agency)
                            .where(audit_log.c.seq > 6).order_by(audit_log.c.seq)).all()
    assert [tuple(r) for r in rows] == [("peer:TH-CCIB", "TH-CCIB"), ("system", None),
                                        (None, None)]


def test_bad_detail_refused(engine: Engine) -> None:
    with engine.begin() as conn, pytest.raises(InvalidInput) as err:
        audit.record(conn, reader=ANALYST, action="x", target="y", address=None,
                     detail={"when": NOW})
    assert err.value.field == "detail"


def test_concurrent_writers_stay_linear(engine: Engine) -> None:
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(15):
                with engine.begin() as conn:
                    audit.record(conn, reader=ANALYST, action="w", target=f"{n}:{i}",
                                 address=None)
        except BaseException as exc:  # surfaced below; a thread must not swallow it
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with engine.connect() as conn:
        result = audit.verify(conn)
    assert result.ok, result
    assert result.rows == 6 + 4 * 15
