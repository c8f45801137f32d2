"""`bersama group add|set|list`: sharing groups, the audiences of TLP:AMBER reports."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from bersama.cli.audit import record_cli
from bersama.cli.context import emit_json, engine
from bersama.store import identities as ids

app = typer.Typer(help="Sharing groups: add, change members, list.", no_args_is_help=True)
console = Console()
Agencies = Annotated[str, typer.Option("--agencies", help="comma-separated agency codes")]


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="group name, e.g. 'MY-TH bilateral'")],
    agencies: Agencies,
    description: Annotated[str, typer.Option(help="what the group is for")] = "",
) -> None:
    """Create a sharing group."""
    with engine().begin() as conn:
        members = ids.add_group(conn, name=name, agencies_=agencies.split(","),
                                now=datetime.now(UTC), description=description)
        record_cli(conn, "group.add", f"group:{name}", {"agencies": members})
    console.print(escape(f"added group {name}: {', '.join(members)}"), highlight=False)


@app.command("set")
def set_members(
    name: Annotated[str, typer.Argument(help="group name")],
    agencies: Agencies,
) -> None:
    """Replace a group's members."""
    with engine().begin() as conn:
        members = ids.set_group_members(conn, name=name, agencies_=agencies.split(","))
        record_cli(conn, "group.members", f"group:{name}", {"agencies": members})
    console.print(escape(f"group {name}: {', '.join(members)}"), highlight=False)


@app.command("list")
def list_(
    json_out: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """List sharing groups and their members."""
    with engine().connect() as conn:
        groups = ids.list_groups(conn)
    if json_out:
        emit_json(groups)
        return
    for name, members in groups.items():
        console.print(escape(f"{name}: {', '.join(members)}"), highlight=False)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="group")
