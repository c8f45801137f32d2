"""The command line's way into private checks: the asking agency, its country, the call.

Why a module of its own: `bersama check --ask-peers`, `bersama ask-peers` and
`bersama disclosure` all act for an agency of this node (`--agency`, default
`Settings.node_agency`) and normalise values in that agency's national formats
unless told another country; this is the one place that decides both.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from bersama.cli.context import engine, reader_for, settings
from bersama.errors import NotFound
from bersama.markings.model import Reader
from bersama.psi import service
from bersama.store.tables.core import agencies


def acting(conn: Connection, agency: str | None) -> tuple[Reader, str]:
    """The reader for `agency` (default: the node's operating agency) and its country."""
    code = agency or settings().node_agency
    row = conn.execute(select(agencies.c.country).where(agencies.c.code == code)).first()
    if row is None:
        raise NotFound(f"no agency {code!r} on this node (see `bersama agency list`)",
                       field="agency", value=code)
    return reader_for(conn, code, None), str(row[0])


def ask_peers_cli(
    values: list[str], *, country: str | None, as_agency: str | None
) -> list[dict[str, Any]]:
    """Ask every peer about `values`; one dict per value with the peers that hold it."""
    with engine().connect() as conn:
        reader, home = acting(conn, as_agency)
    report = service.ask_peers(settings(), engine(), values, asking_reader=reader,
                               country=(country or home).upper())
    return [{**r.as_dict(), "peers_asked": report.peers_asked, "peer_errors": report.peer_errors}
            for r in report.results]
