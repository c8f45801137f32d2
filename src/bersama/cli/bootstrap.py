"""First start of a node: its own agency and one admin, with a token shown once."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Console

from bersama.cli.context import engine, settings
from bersama.store.apitokens import bootstrap_admin


def ensure_admin(console: Console) -> str | None:
    """Create the first admin if there is none; print its one-time token."""
    s = settings()
    with engine().begin() as conn:
        token = bootstrap_admin(
            conn, now=datetime.now(UTC), agency_code=s.node_agency,
            agency_name=s.node_agency_name, country=s.node_country.upper(),
            admin_email=s.admin_email,
        )
    if token:
        console.print(
            "[bold]First start:[/] created admin "
            f"{s.admin_email} of agency {s.node_agency}.\n"
            f"One-time admin token (expires in 24 h, shown only now):\n  {token}\n"
            "Use it to create users and longer-lived tokens (`bersama token create`).",
            highlight=False,
        )
    return token
