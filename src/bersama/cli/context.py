"""Shared CLI state: the one Settings object and a lazily opened, migrated engine."""

from __future__ import annotations

import json
import sys
from functools import cache
from typing import Any

from sqlalchemy import Connection, Engine

from bersama.config import Settings
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
    agency or user would see through the API.
    """
    if user:
        from bersama.store.identities import get_user, groups_of

        u = get_user(conn, user)
        return Reader(agency=u.agency, user=u.email, role=u.role, groups=groups_of(conn, u.agency))
    if agency:
        from bersama.store.identities import groups_of

        return Reader(agency=agency, role=Role.ANALYST, groups=groups_of(conn, agency))
    return Reader.system()


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
