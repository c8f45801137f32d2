"""Console passwords: argon2id hashes, lockout after repeated failures, audited logins.

Apart from `identities` because passwords are for people at the console and
have their own failure policy: a failed attempt must be committed (count and
audit row) even though the login is refused, so `login` owns its transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, select, update

from bersama.errors import InvalidInput, Unauthenticated
from bersama.markings.model import Reader
from bersama.store import audit
from bersama.store.identities import get_user, reader_for_user, user_from_row
from bersama.store.tables.trust import users
from bersama.store.values import as_utc

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
_hasher = PasswordHasher()



def hash_password(password: str) -> str:
    if len(password) < 12:
        raise InvalidInput("passwords must have at least 12 characters", field="password")
    return _hasher.hash(password)


def set_password(conn: Connection, email: str, password: str) -> None:
    get_user(conn, email)
    conn.execute(
        update(users)
        .where(users.c.email == email.strip().lower())
        .values(password_hash=hash_password(password), failed_logins=0, locked_until=None)
    )


def attempt_login(
    conn: Connection,
    email: str,
    password: str,
    now: datetime,
    *,
    address: str | None = None,
    max_failures: int = MAX_FAILED_LOGINS,
    lockout: timedelta = LOCKOUT,
) -> Reader | None:
    """Check a password and record the attempt; None when refused.

    Never raises for wrong credentials, so the caller's transaction commits the
    failure count and the audit row (raising would roll both back and make the
    lockout useless).  `max_failures` failures in a row lock the account for
    `lockout`; a locked account refuses even the right password.
    """
    addr = email.strip().lower()
    row = conn.execute(select(users).where(users.c.email == addr)).mappings().first()
    if row is None or row["disabled"] or row["password_hash"] is None:
        _audit_login(conn, None, "login.failed", address=address, now=now,
                     detail={"reason": "no usable account"})
        return None
    actor = Reader(agency=row["agency"], user=addr)
    if row["locked_until"] is not None and as_utc(row["locked_until"]) > as_utc(now):
        _audit_login(conn, actor, "login.failed", address=address, now=now,
                     detail={"reason": "locked"})
        return None
    try:
        _hasher.verify(row["password_hash"], password)
    except (VerificationError, InvalidHashError):
        failures = int(row["failed_logins"]) + 1
        values: dict[str, Any] = {"failed_logins": failures}
        if failures >= max_failures:
            values = {"failed_logins": 0, "locked_until": as_utc(now) + lockout}
        conn.execute(update(users).where(users.c.email == addr).values(**values))
        _audit_login(conn, actor, "login.failed", address=address, now=now,
                     detail={"reason": "password", "locked": failures >= max_failures})
        return None
    values = {"failed_logins": 0, "locked_until": None}
    if _hasher.check_needs_rehash(row["password_hash"]):
        values["password_hash"] = _hasher.hash(password)
    conn.execute(update(users).where(users.c.email == addr).values(**values))
    _audit_login(conn, actor, "login", address=address, now=now,
                     detail=None)
    return reader_for_user(conn, user_from_row(row))


def login(
    engine: Engine,
    email: str,
    password: str,
    now: datetime,
    *,
    address: str | None = None,
) -> Reader:
    """`attempt_login` in its own transaction; `Unauthenticated` after it commits.

    Every refusal answers the same message (no "no such user").
    """
    with engine.begin() as conn:
        reader = attempt_login(conn, email, password, now, address=address)
    if reader is None:
        raise Unauthenticated("wrong e-mail or password, or account locked")
    return reader


def _audit_login(conn: Connection, actor: Reader | None, action: str, *, address: str | None,
                 now: datetime, detail: dict[str, Any] | None) -> None:
    target = f"user:{actor.user}" if actor is not None else "user:(unknown)"
    audit.record(conn, reader=actor or Reader.public(), action=action, target=target,
                 address=address, detail=detail, now=now)
