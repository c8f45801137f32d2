"""Shared CLI state: the one Settings object and a lazily opened, migrated engine."""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path
from typing import IO, Any

from rich.markup import escape
from rich.table import Table
from sqlalchemy import Connection, Engine

from bersama.config import Settings
from bersama.errors import InvalidInput
from bersama.markings import Reader, Role
from bersama.store.db import open_engine


@cache
def settings() -> Settings:
    return Settings()


@cache
def engine() -> Engine:
    return open_engine(settings())


def reader_for(conn: Connection, agency: str | None, user: str | None) -> Reader:
    """Whom a CLI read acts as: the node operator by default, or a named agency/user.

    The CLI runs on the node's host with its database, so by default it reads as
    the node (`Reader.system()`); `--as-agency`/`--as-user` show exactly what that
    agency or user would see through the API. An agency or user the node does not
    know is refused, naming the option it was given in.
    """
    from bersama.store.identities import get_agency, get_user, groups_of

    if user:
        u = get_user(conn, user, field="as_user")
        return Reader(agency=u.agency, user=u.email, role=u.role, groups=groups_of(conn, u.agency))
    if agency:
        code = get_agency(conn, agency, field="as_agency").code  # unknown would read as no one
        return Reader(agency=code, role=Role.ANALYST, groups=groups_of(conn, code))
    return Reader.system()


def open_output(path: Path, field: str, *, binary: bool = False) -> IO[Any]:
    """`path` opened for writing, or an `InvalidInput` naming the option that gave it.

    Opened before the command does its work, so that a mistyped directory is told at
    once, not as a traceback after an ingest has been committed."""
    try:
        return path.open("wb") if binary else path.open("w", encoding="utf-8", newline="")
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc.strerror or exc}", field=field,
                           value=str(path)) from None


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def data_row(table: Table, *cells: str) -> None:
    """Add a row of data to a table: names, notes, values and a peer's text are escaped,
    never read as rich markup (a name like `[/x]` would otherwise end the command)."""
    table.add_row(*(escape(cell) for cell in cells))
