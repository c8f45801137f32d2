"""Agencies, sharing groups and users.

Functions take a SQLAlchemy `Connection` (the caller owns the transaction) and
an explicit `now`, so the CLI, the API and the tests share one implementation
and the clock is injected.  API tokens live in `bersama.store.apitokens`,
passwords in `bersama.store.passwords`.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import phonenumbers
from sqlalchemy import Connection, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from bersama.errors import Conflict, InvalidInput, NotFound
from bersama.markings.model import TLP, Marking, Reader, Role
from bersama.markings.policy import parse_hint
from bersama.store.tables.core import agencies
from bersama.store.tables.trust import group_members, sharing_groups, users

AGENCY_TYPES: tuple[str, ...] = (
    "police",
    "scam-centre",
    "cert",
    "fiu",
    "counter-terrorism",
    "regulator",
)
"""`last_used_at` is written at most once a minute per token: a write per API
call would serialise every read on SQLite for a timestamp nobody needs exact."""

_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,31}$")
_GROUP_RE = re.compile(r"^[^\s,][^,]{0,99}$")
_EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}$")  # intranet domains may be dotless


# ---------------------------------------------------------------- agencies


@dataclass(frozen=True, slots=True)
class Agency:
    code: str
    name: str
    country: str
    type: str | None
    default_tlp: str
    default_group: str | None
    hint_amber: str
    is_peer: bool

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


def validate_country(value: str) -> str:
    cc = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", cc) or cc not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidInput(
            f"not an ISO 3166-1 alpha-2 country code: {value!r}", field="country", value=value
        )
    return cc


def validate_agency_type(value: str) -> str:
    norm = value.strip().lower().replace("_", "-").replace(" ", "-")
    if norm == "scam-center":
        norm = "scam-centre"
    if norm not in AGENCY_TYPES:
        raise InvalidInput(
            f"unknown agency type {value!r}; expected one of {', '.join(AGENCY_TYPES)}",
            field="type",
            value=value,
        )
    return norm


def add_agency(
    conn: Connection,
    *,
    code: str,
    name: str,
    country: str,
    now: datetime,
    type: str | None = None,
    default_tlp: str = TLP.AMBER.value,
    default_group: str | None = None,
    hint_amber: str = "none",
    is_peer: bool = False,
) -> Agency:
    if not _CODE_RE.fullmatch(code):
        raise InvalidInput(
            "agency code must be 2-32 letters, digits, '.', '_' or '-'", field="code", value=code
        )
    if not name.strip():
        raise InvalidInput("agency name must not be empty", field="name", value=name)
    try:
        tlp = TLP.parse(default_tlp)
    except InvalidInput as exc:
        exc.field = "default_tlp"  # the option at fault, not a report's `tlp`
        raise
    if default_group is not None:
        if tlp is not TLP.AMBER:
            raise InvalidInput(
                "a default sharing group needs default TLP AMBER",
                field="default_group",
                value=default_group,
            )
        _require_group(conn, default_group, field="default_group")
    row = Agency(
        code=code,
        name=name.strip(),
        country=validate_country(country),
        type=None if type is None else validate_agency_type(type),
        default_tlp=tlp.value,
        default_group=default_group,
        hint_amber=parse_hint(hint_amber),
        is_peer=is_peer,
    )
    taken = Conflict(f"agency {code!r} already exists", field="code", value=code)
    existing = code_in_other_case(conn, code)
    if existing is not None:
        raise Conflict(f"agency {existing!r} already exists: codes differing only in letter "
                       "case would be two agencies to every reader", field="code", value=code)
    if conn.execute(select(agencies.c.code).where(agencies.c.code == code)).first():
        raise taken
    _insert_new(conn, insert(agencies).values(**row.as_dict(), created_at=now), taken)
    return row


def _insert_new(conn: Connection, stmt: Any, taken: Conflict) -> None:
    """Run an INSERT of a row whose key was just checked to be free: a writer storing the
    same key in between (a second admin, a retried request) is the same `Conflict`, not a
    failure of the node."""
    try:
        conn.execute(stmt)
    except IntegrityError as exc:
        raise taken from exc


def code_in_other_case(conn: Connection, code: str) -> str | None:
    """The registered agency whose code is `code` in other letter case, if any: a mistyped
    `--agency my-pdrm` is told the code it meant, and no twin of it is registered."""
    found: str | None = conn.execute(
        select(agencies.c.code).where(func.lower(agencies.c.code) == code.lower(),
                                      agencies.c.code != code)
    ).scalar()
    return found


def unknown_agency(conn: Connection, code: str, *, field: str = "agency") -> NotFound:
    """The error for an agency code not registered here, naming the code it may have meant."""
    meant = code_in_other_case(conn, code)
    hint = (f"did you mean {meant!r}?" if meant else
            f"add it with `bersama agency add {code} --country CC --name NAME`")
    return NotFound(f"agency {code!r} is not registered on this node; {hint}",
                    field=field, value=code)


def get_agency(conn: Connection, code: str, *, field: str = "agency") -> Agency:
    row = conn.execute(select(agencies).where(agencies.c.code == code)).mappings().first()
    if row is None:
        raise unknown_agency(conn, code, field=field)
    return _agency(row)


_COUNTRY_OF = select(agencies.c.country).where(agencies.c.code == bindparam("code"))


def agency_country(conn: Connection, code: str | None) -> str | None:
    """An agency's country: the default country of the national-format phone numbers
    in what it reports and checks; None for no agency or an unknown one."""
    if code is None:
        return None
    country: str | None = conn.execute(_COUNTRY_OF, {"code": code}).scalar()
    return country


def list_agencies(conn: Connection) -> list[Agency]:
    rows = conn.execute(select(agencies).order_by(agencies.c.code)).mappings()
    return [_agency(r) for r in rows]


def _agency(row: Any) -> Agency:
    return Agency(
        code=row["code"],
        name=row["name"],
        country=row["country"],
        type=row["type"],
        default_tlp=row["default_tlp"],
        default_group=row["default_group"],
        hint_amber=row["hint_amber"],
        is_peer=bool(row["is_peer"]),
    )


# ---------------------------------------------------------------- groups


def add_group(
    conn: Connection,
    *,
    name: str,
    agencies_: Iterable[str],
    now: datetime,
    description: str = "",
) -> list[str]:
    """Create a sharing group with its member agencies; returns the sorted members."""
    if not _GROUP_RE.fullmatch(name):
        raise InvalidInput(
            "group name must be 1-100 characters without commas", field="name", value=name
        )
    members = sorted({a.strip() for a in agencies_ if a.strip()})
    if not members:
        raise InvalidInput("a sharing group needs at least one agency", field="agencies")
    for code in members:
        get_agency(conn, code, field="agencies")
    taken = Conflict(f"sharing group {name!r} already exists", field="name", value=name)
    if conn.execute(select(sharing_groups.c.name).where(sharing_groups.c.name == name)).first():
        raise taken
    _insert_new(conn, insert(sharing_groups).values(name=name, description=description,
                                                    created_at=now), taken)
    conn.execute(insert(group_members), [{"group_name": name, "agency": a} for a in members])
    return members


def set_group_members(conn: Connection, *, name: str, agencies_: Iterable[str]) -> list[str]:
    """Replace a group's members (the audience of its AMBER reports changes with it)."""
    _require_group(conn, name)
    members = sorted({a.strip() for a in agencies_ if a.strip()})
    if not members:
        raise InvalidInput("a sharing group needs at least one agency", field="agencies")
    for code in members:
        get_agency(conn, code, field="agencies")
    conn.execute(delete(group_members).where(group_members.c.group_name == name))
    conn.execute(insert(group_members), [{"group_name": name, "agency": a} for a in members])
    return members


def list_groups(conn: Connection) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {
        r.name: [] for r in conn.execute(select(sharing_groups.c.name).order_by("name"))
    }
    rows = conn.execute(
        select(group_members.c.group_name, group_members.c.agency).order_by(
            group_members.c.group_name, group_members.c.agency
        )
    )
    for g, a in rows:
        out.setdefault(g, []).append(a)
    return out


# Built once: `authenticate` runs on every API request, and a statement built per
# call costs SQLAlchemy more Python than the query costs the database.
_GROUPS_OF = select(group_members.c.group_name).where(group_members.c.agency == bindparam("agency"))


def groups_of(conn: Connection, agency: str) -> frozenset[str]:
    return frozenset(r[0] for r in conn.execute(_GROUPS_OF, {"agency": agency}))


def require_audience(conn: Connection, marking: Marking) -> None:
    """The group and recipients that a batch's `--group` / `--recipients` name exist here.

    Records keep whatever names their own markings carry (a peer's groups, say); the
    options are typed by a person, and a mistyped name would leave the batch readable by
    its owner agency alone, without a word."""
    if marking.group is not None:
        _require_group(conn, marking.group)
    for code in sorted(marking.recipient_agencies):
        get_agency(conn, code, field="recipients")
    for email in sorted(marking.recipient_users):
        if conn.execute(select(users.c.email).where(users.c.email == email)).first() is None:
            raise NotFound(f"no user {email!r} on this node", field="recipients", value=email)


def _require_group(conn: Connection, name: str, *, field: str = "group") -> None:
    if not conn.execute(select(sharing_groups.c.name).where(sharing_groups.c.name == name)).first():
        raise NotFound(f"no sharing group {name!r}", field=field, value=name)


# ---------------------------------------------------------------- users


@dataclass(frozen=True, slots=True)
class User:
    email: str
    agency: str
    role: Role
    disabled: bool
    has_password: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "agency": self.agency,
            "role": self.role.value,
            "disabled": self.disabled,
            "has_password": self.has_password,
        }


def parse_role(value: str) -> Role:
    try:
        return Role(value.strip().lower())
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise InvalidInput(
            f"unknown role {value!r}; expected one of {allowed}", field="role", value=value
        ) from None


def normalise_email(value: str) -> str:
    email = value.strip().lower()
    if len(email) > 254 or not _EMAIL_RE.fullmatch(email):
        raise InvalidInput(f"not an e-mail address: {value!r}", field="email", value=value)
    return email


def add_user(
    conn: Connection,
    *,
    email: str,
    agency: str,
    role: str | Role,
    now: datetime,
) -> User:
    """Add a user without a password (set one with `bersama.store.passwords`)."""
    addr = normalise_email(email)
    the_role = role if isinstance(role, Role) else parse_role(role)
    get_agency(conn, agency)
    taken = Conflict(f"user {addr!r} already exists", field="email", value=addr)
    if conn.execute(select(users.c.email).where(users.c.email == addr)).first():
        raise taken
    _insert_new(
        conn,
        insert(users).values(
            email=addr,
            agency=agency,
            role=the_role.value,
            password_hash=None,
            failed_logins=0,
            disabled=False,
            created_at=now,
        ),
        taken,
    )
    return User(addr, agency, the_role, False, False)


def get_user(conn: Connection, email: str, *, field: str = "email") -> User:
    """The user of `email`; `field` names where the caller was given it (`user`...)."""
    row = conn.execute(select(users).where(users.c.email == email.strip().lower())).mappings()
    found = row.first()
    if found is None:
        raise NotFound(f"no user {email!r}", field=field, value=email)
    return user_from_row(found)


def list_users(conn: Connection, agency: str | None = None) -> list[User]:
    query = select(users).order_by(users.c.email)
    if agency is not None:
        query = query.where(users.c.agency == agency)
    return [user_from_row(r) for r in conn.execute(query).mappings()]


def set_user_disabled(conn: Connection, email: str, disabled: bool) -> User:
    get_user(conn, email)
    conn.execute(
        update(users).where(users.c.email == email.strip().lower()).values(disabled=disabled)
    )
    return get_user(conn, email)


def user_from_row(row: Any) -> User:
    return User(
        email=row["email"],
        agency=row["agency"],
        role=Role(row["role"]),
        disabled=bool(row["disabled"]),
        has_password=row["password_hash"] is not None,
    )


def peer_reader(conn: Connection, agency: str) -> Reader:
    """The reader a peer agency is when it asks or pulls with its token (`authenticate`):
    for work done on its behalf outside a request (pushes, private-check answers)."""
    return Reader(agency=agency, role=Role.READER, groups=groups_of(conn, agency), is_peer=True)


def reader_for_user(conn: Connection, user: User) -> Reader:
    return Reader(
        agency=user.agency, user=user.email, role=user.role, groups=groups_of(conn, user.agency)
    )
