"""`bersama user add|list|disable|enable|password`: people who use the node."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bersama.cli.audit import record_cli
from bersama.cli.context import data_row, emit_json, engine
from bersama.store import identities as ids
from bersama.store import passwords

app = typer.Typer(help="Users: add, list, disable, set password.", no_args_is_help=True)
console = Console()


@app.command("add")
def add(
    email: Annotated[str, typer.Argument(help="e-mail address (the user's name)")],
    agency: Annotated[str, typer.Option(help="agency code")],
    role: Annotated[str, typer.Option(help="admin | analyst | reader")],
) -> None:
    """Add a user (no password: give them a token, or set one with `user password`)."""
    with engine().begin() as conn:
        user = ids.add_user(conn, email=email, agency=agency, role=role, now=datetime.now(UTC))
        record_cli(conn, "user.add", f"user:{user.email}",
                   {"agency": user.agency, "role": user.role.value})
    console.print(escape(f"added {user.role.value} {user.email} of {user.agency}"),
                  highlight=False)


@app.command("list")
def list_(
    agency: Annotated[str | None, typer.Option(help="only this agency")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """List users."""
    with engine().connect() as conn:
        users = ids.list_users(conn, agency)
    if json_out:
        emit_json([u.as_dict() for u in users])
        return
    table = Table("email", "agency", "role", "password", "disabled")
    for u in users:
        data_row(table,  # e-mails are data, not rich markup
            u.email, u.agency, u.role.value, "set" if u.has_password else "",
            "yes" if u.disabled else "")
    console.print(table)


def _set_disabled(email: str, disabled: bool) -> None:
    with engine().begin() as conn:
        user = ids.set_user_disabled(conn, email, disabled)
        record_cli(conn, "user.disable" if disabled else "user.enable", f"user:{user.email}")
    console.print(escape(f"{user.email} {'disabled' if disabled else 'enabled'}"),
                  highlight=False)


@app.command("disable")
def disable(email: Annotated[str, typer.Argument(help="e-mail address")]) -> None:
    """Disable a user: their tokens stop working at once."""
    _set_disabled(email, True)


@app.command("enable")
def enable(email: Annotated[str, typer.Argument(help="e-mail address")]) -> None:
    """Enable a disabled user."""
    _set_disabled(email, False)


@app.command("password")
def password(email: Annotated[str, typer.Argument(help="e-mail address")]) -> None:
    """Set a user's console password (prompted, never an argument or echoed)."""
    secret = typer.prompt("new password (12+ characters)", hide_input=True,
                          confirmation_prompt=True)
    with engine().begin() as conn:
        passwords.set_password(conn, email, secret)
        record_cli(conn, "user.password", f"user:{email.strip().lower()}")
    console.print(escape(f"password set for {email}"), highlight=False)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="user")
