"""API tokens: created, listed, revoked, and checked on every request; the first admin's.

Why tokens look like `bsm_<id>_<secret>`: the id is public (it names the token in
listings, revocation and audit lines) and lets us fetch exactly one row, after which the
secret's SHA-256 digest is compared in constant time.  The secret is 32 random bytes, so
a fast digest is as strong as a slow one; argon2 is kept for passwords, which people
choose (`bersama.store.passwords`).  No function here ever logs or returns a secret
except `create_token`, once.  Like `store/identities.py`, functions take the caller's
`Connection` and an explicit `now`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from bersama.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from bersama.markings.model import Reader, Role
from bersama.store.identities import (
    add_agency,
    add_user,
    get_agency,
    get_user,
    normalise_email,
)
from bersama.store.tables.core import agencies
from bersama.store.tables.trust import api_tokens, group_members, users
from bersama.store.values import as_utc, iso_utc

TOKEN_PREFIX = "bsm"  # noqa: S105 - a public prefix, not a secret
LAST_USED_RESOLUTION = timedelta(seconds=60)
_TOKEN_RE = re.compile(r"^bsm_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$")
_EXPIRY_RE = re.compile(r"^(\d{1,5})([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@dataclass(frozen=True, slots=True)
class TokenInfo:
    id: str
    user: str | None
    peer_agency: str | None
    note: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    def status(self, now: datetime) -> str:
        return _status(self.expires_at, self.revoked_at, now)

    def as_dict(self, now: datetime) -> dict[str, Any]:
        return {
            "id": self.id,
            "user": self.user,
            "peer_agency": self.peer_agency,
            "note": self.note,
            "created_at": iso_utc(self.created_at),
            "expires_at": iso_utc(self.expires_at),
            "revoked_at": iso_utc(self.revoked_at),
            "last_used_at": iso_utc(self.last_used_at),
            "status": self.status(now),
        }


def _status(expires_at: datetime | None, revoked_at: datetime | None, now: datetime) -> str:
    if revoked_at is not None:
        return "revoked"
    if expires_at is not None and as_utc(expires_at) <= as_utc(now):
        return "expired"
    return "active"


def parse_expiry(value: str | None) -> timedelta | None:
    """'30d', '12h', '45m', '2w' or 'never' (None also means never)."""
    if value is None or value.strip().lower() == "never":
        return None
    match = _EXPIRY_RE.fullmatch(value.strip().lower())
    if not match or int(match.group(1)) == 0:
        raise InvalidInput(
            f"expiry must look like 30d, 12h, 45m, 2w or 'never', not {value!r}",
            field="expires",
            value=value,
        )
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    conn: Connection,
    *,
    now: datetime,
    user: str | None = None,
    peer_agency: str | None = None,
    expires: timedelta | None = None,
    note: str = "",
    peer_field: str = "peer_agency",
) -> tuple[TokenInfo, str]:
    """Create a token for a user or for a peer agency; the plaintext is returned once.
    An error names `user`, or `peer_field` (the API's body field; the CLI's `--peer`)."""
    if (user is None) == (peer_agency is None):
        raise InvalidInput("a token is for exactly one of a user or a peer agency", field="user")
    email = None
    if user is not None:
        found = get_user(conn, user, field="user")
        if found.disabled:
            raise InvalidInput(f"user {found.email!r} is disabled", field="user", value=user)
        email = found.email
    if peer_agency is not None:
        get_agency(conn, peer_agency, field=peer_field)
    token_id = "".join(secrets.choice("abcdefghijkmnopqrstuvwxyz23456789") for _ in range(12))
    secret = secrets.token_urlsafe(32)
    info = TokenInfo(
        id=token_id,
        user=email,
        peer_agency=peer_agency,
        note=note,
        created_at=now,
        expires_at=now + expires if expires is not None else None,
        revoked_at=None,
        last_used_at=None,
    )
    try:
        conn.execute(
            insert(api_tokens).values(
                id=token_id,
                token_hash=digest(secret),
                user_email=email,
                peer_agency=peer_agency,
                note=note,
                created_at=now,
                expires_at=info.expires_at,
            )
        )
    except IntegrityError as exc:  # 12 chars of a 33-letter alphabet: ~1e18 ids
        raise Conflict("token id collision; try again", field="id") from exc
    return info, f"{TOKEN_PREFIX}_{token_id}_{secret}"


def list_tokens(conn: Connection) -> list[TokenInfo]:
    rows = conn.execute(select(api_tokens).order_by(api_tokens.c.created_at)).mappings()
    return [_token(r) for r in rows]


def get_token(conn: Connection, token_id: str) -> TokenInfo:
    row = conn.execute(select(api_tokens).where(api_tokens.c.id == token_id)).mappings().first()
    if row is None:
        raise NotFound(f"no token {token_id!r}", field="id", value=token_id)
    return _token(row)


def revoke_token(conn: Connection, token_id: str, now: datetime) -> TokenInfo:
    """Revoke a token now.  A token revoked before is a `Conflict` naming when, so that
    a second revocation neither reads as done now nor is audited as one."""
    done = conn.execute(update(api_tokens).where(
        api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None)).values(revoked_at=now))
    info = get_token(conn, token_id)
    if done.rowcount != 1:
        raise Conflict(f"token {token_id} was already revoked at {iso_utc(info.revoked_at)}",
                       field="id", value=token_id)
    return info


def _token(row: Any) -> TokenInfo:
    return TokenInfo(
        id=row["id"],
        user=row["user_email"],
        peer_agency=row["peer_agency"],
        note=row["note"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
        last_used_at=row["last_used_at"],
    )


def token_id_of(token: str) -> str | None:
    """The public id inside a token string (safe to log), or None if malformed."""
    match = _TOKEN_RE.fullmatch(token.strip())
    return match.group(1) if match else None


@dataclass(frozen=True, slots=True)
class Authenticated:
    reader: Reader
    token_id: str
    touched: bool = False
    """True when this use updated `last_used_at` (the first use in its minute): the
    caller audits token use then, so the audit log gets a row per token per minute
    of use rather than a write per API call."""
    country: str | None = None
    """The reader's agency's country (`agency_country`), read with the token."""


# The token, its user, the reader's agency's country and its groups in one statement (a
# row per group, one row without groups): `authenticate` runs on every API request, and
# each statement costs SQLAlchemy more Python than the database's lookup by key.  With
# the country, this is half the instructions of three statements (token and user,
# `groups_of`, `agency_country`); a row per group is cheaper than aggregating the
# names in SQL for the few groups an agency is in.
_READER_AGENCY = func.coalesce(users.c.agency, api_tokens.c.peer_agency)
_TOKEN_AND_READER = (
    select(
        api_tokens.c.token_hash,
        api_tokens.c.user_email,
        api_tokens.c.peer_agency,
        api_tokens.c.expires_at,
        api_tokens.c.revoked_at,
        api_tokens.c.last_used_at,
        users.c.agency.label("user_agency"),
        users.c.role.label("user_role"),
        users.c.disabled.label("user_disabled"),
        agencies.c.country.label("agency_country"),
        group_members.c.group_name,
    )
    .select_from(
        api_tokens.outerjoin(users, users.c.email == api_tokens.c.user_email)
        .outerjoin(agencies, agencies.c.code == _READER_AGENCY)
        .outerjoin(group_members, group_members.c.agency == _READER_AGENCY)
    )
    .where(api_tokens.c.id == bindparam("token_id"))
)


def authenticate(conn: Connection, token: str, now: datetime) -> Authenticated:
    """Resolve a presented token to its reader, or raise `Unauthenticated`.

    Unknown, malformed, expired and revoked tokens, and tokens of disabled
    users, all fail with the same message so the answer reveals nothing.
    """
    refused = Unauthenticated("invalid, expired or revoked token")
    match = _TOKEN_RE.fullmatch(token.strip())
    if match is None:
        raise refused
    token_id, secret = match.groups()
    rows = conn.execute(_TOKEN_AND_READER, {"token_id": token_id}).mappings().all()
    if not rows:
        digest(secret)  # same work as a known id, so timing says nothing either
        raise refused
    row = rows[0]
    if not hmac.compare_digest(row["token_hash"], digest(secret)):
        raise refused
    if _status(row["expires_at"], row["revoked_at"], now) != "active":
        raise refused
    groups = frozenset(r["group_name"] for r in rows if r["group_name"] is not None)
    if row["user_email"] is not None:
        if row["user_agency"] is None or row["user_disabled"]:
            raise refused
        reader = Reader(
            agency=row["user_agency"],
            user=row["user_email"],
            role=Role(row["user_role"]),
            groups=groups,
        )
    else:
        assert row["peer_agency"] is not None  # noqa: S101 - the schema's either/or invariant
        reader = Reader(agency=row["peer_agency"], role=Role.READER, groups=groups, is_peer=True)
    last = row["last_used_at"]
    touched = last is None or as_utc(now) - as_utc(last) >= LAST_USED_RESOLUTION
    if touched:
        conn.execute(update(api_tokens).where(api_tokens.c.id == token_id).values(last_used_at=now))
    return Authenticated(
        reader=reader, token_id=token_id, touched=touched, country=row["agency_country"]
    )


# ---------------------------------------------------------------- bootstrap


def has_admin(conn: Connection) -> bool:
    count = conn.execute(
        select(func.count()).select_from(users).where(users.c.role == Role.ADMIN.value)
    ).scalar_one()
    return bool(count)


def bootstrap_admin(
    conn: Connection,
    *,
    now: datetime,
    agency_code: str,
    agency_name: str,
    country: str,
    agency_type: str = "police",
    admin_email: str = "admin@localhost.localdomain",
    expires: timedelta | None = timedelta(days=1),
) -> str | None:
    """On a node's first start: its own agency and one admin, with a one-time token.

    Returns the token (for the caller to print once) or None when an admin
    already exists.  There is no password: the admin logs in with the token
    and sets a password, or creates longer-lived tokens, from there.
    """
    if has_admin(conn):
        return None
    exists = conn.execute(select(agencies.c.code).where(agencies.c.code == agency_code)).first()
    if not exists:
        add_agency(
            conn, code=agency_code, name=agency_name, country=country, type=agency_type, now=now
        )
    user_exists = conn.execute(
        select(users.c.email).where(users.c.email == normalise_email(admin_email))
    ).first()
    if user_exists:
        conn.execute(
            update(users)
            .where(users.c.email == normalise_email(admin_email))
            .values(role=Role.ADMIN.value, disabled=False)
        )
    else:
        add_user(conn, email=admin_email, agency=agency_code, role=Role.ADMIN, now=now)
    _, token = create_token(
        conn, now=now, user=admin_email, expires=expires, note="bootstrap (one-time)"
    )
    return token
