"""The append-only, hash-chained audit log.

Every row's `hash` is SHA-256 over the RFC 8785 canonical JSON of the row,
`prev_hash` included, so editing a row breaks its own hash, and inserting or
deleting one breaks the chain at the next row.  `seq` is assigned here as
head + 1 under a lock (the one-row `audit_head` table, whose UPDATE takes the
row lock on PostgreSQL and the write lock on SQLite before the head is read),
so two writers can never both extend the same head: the chain stays linear,
and a gap in `seq` is evidence of deletion.

The chain alone cannot stop someone who can rewrite the whole table and
recompute every hash; three things close that gap: `audit_head` (a truncated
tail no longer matches it), anchors (`verify(..., anchor=(seq, hash))` with a
head printed or exported earlier and kept elsewhere) and, on PostgreSQL,
`install_postgres_guards`, which makes UPDATE, DELETE and TRUNCATE of the log
raise for every role, with a REVOKE for the application role on top.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Generator, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import rfc8785
from sqlalchemy import Connection, bindparam, insert, select, text, update

from bersama.errors import InvalidInput
from bersama.jcs import canonical
from bersama.markings.model import Reader
from bersama.store.tables.trust import audit_head, audit_log

GENESIS = "0" * 64
_HEAD_ID = 1


def _iso(value: datetime) -> str:
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return aware.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def row_hash(row: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of an audit row (everything but `hash`)."""
    body = {
        "seq": int(row["seq"]),
        "at": _iso(row["at"]),
        "actor_user": row["actor_user"],
        "actor_agency": row["actor_agency"],
        "action": row["action"],
        "target": row["target"],
        "address": row["address"],
        "detail": row["detail"],
        "prev_hash": row["prev_hash"],
    }
    return hashlib.sha256(canonical(body)).hexdigest()


def _actor(reader: Reader) -> tuple[str | None, str | None]:
    if reader.is_system:
        return "system", None
    if reader.agency is None:
        return None, None
    if reader.is_peer:
        return f"peer:{reader.agency}", reader.agency
    return reader.user, reader.agency


# Built once: a statement built per call pays SQLAlchemy's cache-key walk over its
# values on every audited request, which cost more than the read being audited.
_INSERT_ROW = insert(audit_log)
_MOVE_HEAD = (
    update(audit_head)
    .where(audit_head.c.id == _HEAD_ID)
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)
# A no-op UPDATE is the portable "lock this row": PostgreSQL row lock until commit,
# SQLite's database write lock from this statement on; RETURNING reads the head it
# locked in the same statement (SQLite >= 3.35, PostgreSQL).
_LOCK_HEAD = (
    update(audit_head)
    .where(audit_head.c.id == _HEAD_ID)
    .values(seq=audit_head.c.seq)
    .returning(audit_head.c.seq, audit_head.c.hash)
)


def record(
    conn: Connection,
    *,
    reader: Reader,
    action: str,
    target: str,
    address: str | None,
    detail: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> int:
    """Append one audit row in the caller's transaction; returns its `seq`.

    `detail` must be JSON data without secrets: callers pass ids (token id,
    report id), never token or password text.
    """
    if not action or len(action) > 64:
        raise InvalidInput("audit action must be 1-64 characters", field="action", value=action)
    at = (now or datetime.now(UTC)).astimezone(UTC)
    seq, prev = _lock_head(conn)
    user, agency = _actor(reader)
    row: dict[str, Any] = {
        "seq": seq + 1,
        "at": at,
        "actor_user": user,
        "actor_agency": agency,
        "action": action,
        "target": target,
        "address": address,
        "detail": detail,
        "prev_hash": prev,
    }
    try:
        row["hash"] = row_hash(row)
    except (TypeError, ValueError, rfc8785.CanonicalizationError) as exc:
        raise InvalidInput(
            f"audit detail is not JSON data: {exc}", field="detail", value=repr(detail)
        ) from None
    conn.execute(_INSERT_ROW, row)
    conn.execute(_MOVE_HEAD, {"new_seq": row["seq"], "new_hash": row["hash"]})
    return int(row["seq"])


def _lock_head(conn: Connection) -> tuple[int, str]:
    """Take the chain lock and return the head (seq, hash)."""
    head = conn.execute(_LOCK_HEAD).first()
    if head is None:
        # First row ever: the head row is created in the same transaction; a concurrent
        # first writer fails on the primary key instead of forking the chain.
        conn.execute(insert(audit_head).values(id=_HEAD_ID, seq=0, hash=GENESIS))
        return 0, GENESIS
    return int(head.seq), str(head.hash)


Problem = Literal["edited", "inserted", "deleted", "head-mismatch", "anchor-mismatch"]


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    rows: int
    head_seq: int
    head_hash: str
    problem: Problem | None
    seq: int | None
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "rows": self.rows,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "problem": self.problem,
            "seq": self.seq,
            "detail": self.detail,
        }


def _rows(conn: Connection) -> Generator[dict[str, Any], None, None]:
    # Per statement: Connection.execution_options would change the caller's connection.
    result = conn.execute(
        select(audit_log).order_by(audit_log.c.seq).execution_options(yield_per=5000)
    )
    with result:  # closes the server-side cursor when a caller stops early
        for row in result.mappings():
            yield dict(row)


def _check_row(
    row: dict[str, Any], expected: int, prev_hash: str, anchor: tuple[int, str] | None
) -> tuple[Problem, str] | None:
    """The first problem with one row given the row before it, or None."""
    seq = int(row["seq"])
    if seq > expected:
        return "deleted", f"rows {expected}..{seq - 1} are missing"
    if seq < expected:
        return "inserted", f"unexpected seq {seq} after {expected - 1}"
    if row_hash(row) != row["hash"]:
        return "edited", f"row {seq} does not match its hash"
    if row["prev_hash"] != prev_hash:
        return "inserted", f"row {seq} does not follow row {seq - 1}"
    if anchor is not None and seq == anchor[0] and row["hash"] != anchor[1]:
        return "anchor-mismatch", f"row {seq} is not the anchored row"
    return None


def verify(conn: Connection, *, anchor: tuple[int, str] | None = None) -> VerifyResult:
    """Walk the chain; report the first row where it breaks, and how.

    - `edited`: the row's content no longer matches its own hash;
    - `deleted`: `seq` jumps (rows before `seq` are missing);
    - `inserted`: the row's `prev_hash` does not name the row before it
      although `seq` is contiguous (a row was replaced or slipped in);
    - `head-mismatch`: rows after the recorded head were removed or added;
    - `anchor-mismatch`: the row at the anchor's `seq` is not the anchored one.
    """
    prev_hash, expected = GENESIS, 1
    with closing(_rows(conn)) as rows:
        for row in rows:
            problem = _check_row(row, expected, prev_hash, anchor)
            if problem is not None:
                return VerifyResult(
                    False,
                    expected - 1,
                    expected - 1,
                    prev_hash,
                    problem[0],
                    int(row["seq"]),
                    problem[1],
                )
            prev_hash, expected = row["hash"], expected + 1
    count = expected - 1
    head = conn.execute(
        select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == _HEAD_ID)
    ).first()
    head_seq, head_hash = (int(head.seq), str(head.hash)) if head else (0, GENESIS)
    if (head_seq, head_hash) != (count, prev_hash):
        return VerifyResult(
            False,
            count,
            count,
            prev_hash,
            "head-mismatch",
            head_seq or None,
            f"the log ends at row {count} but its recorded head is row {head_seq}",
        )
    if anchor is not None and anchor[0] > count:
        return VerifyResult(
            False,
            count,
            count,
            prev_hash,
            "anchor-mismatch",
            anchor[0],
            f"the anchored row {anchor[0]} is no longer in the log",
        )
    return VerifyResult(True, count, count, prev_hash, None, None, "chain intact")


def export(conn: Connection, fmt: str = "jsonl") -> Iterator[str]:
    """The log as JSON Lines (one row per line, newline-terminated), oldest first."""
    if fmt != "jsonl":
        raise InvalidInput(f"unknown audit export format {fmt!r}; expected jsonl", field="format")
    for row in _rows(conn):
        row["at"] = _iso(row["at"])
        row["seq"] = int(row["seq"])
        yield json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n"


POSTGRES_GUARDS = """
CREATE OR REPLACE FUNCTION bersama_audit_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
DROP TRIGGER IF EXISTS audit_log_no_update ON audit_log;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION bersama_audit_immutable();
DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log;
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION bersama_audit_immutable();
"""

POSTGRES_REVOKE_TEMPLATE = "REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM {role};"
"""For deployments where the schema owner differs from the application role:
run as the owner, with the application role's name, after migrations."""


def install_postgres_guards(conn: Connection) -> None:
    """Make the audit log append-only at the database (PostgreSQL only; no-op elsewhere).

    Called from the Alembic migration.  Triggers bind the table owner too;
    dropping them needs the owner's rights, which the application role should
    not have (see `POSTGRES_REVOKE_TEMPLATE` and docs/markings.md).
    """
    if conn.dialect.name != "postgresql":
        return
    conn.execute(text(POSTGRES_GUARDS))
