"""`bersama agency add|list`: the agencies of the community known to this node."""

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

app = typer.Typer(help="Agencies: add and list.", no_args_is_help=True)
console = Console()


@app.command("add")
def add(
    code: Annotated[str, typer.Argument(help="short agency code, e.g. MY-PDRM")],
    country: Annotated[str, typer.Option(help="ISO 3166-1 alpha-2 country code")],
    name: Annotated[str, typer.Option(help="full name")],
    type_: Annotated[str | None, typer.Option(
        "--type", help=f"{', '.join(ids.AGENCY_TYPES)}; unstated when left out")] = None,
    default_tlp: Annotated[str, typer.Option(help="marking for reports without one")] = "amber",
    default_group: Annotated[str | None, typer.Option(help="sharing group for that default")]
    = None,
    hint: Annotated[str, typer.Option(help="what checks reveal of hidden AMBER reports: "
                                            "none|count|agency")] = "none",
    peer: Annotated[bool, typer.Option("--peer", help="the agency runs another node")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Register an agency."""
    with engine().begin() as conn:
        row = ids.add_agency(conn, code=code, name=name, country=country, type=type_,
                             now=datetime.now(UTC), default_tlp=default_tlp,
                             default_group=default_group, hint_amber=hint, is_peer=peer)
        record_cli(conn, "agency.add", f"agency:{row.code}", row.as_dict())
    if json_out:
        emit_json(row.as_dict())
    else:
        kind = f", {row.type}" if row.type else ""
        console.print(escape(f"added agency {row.code} ({row.name}, {row.country}{kind})"),
                      highlight=False)


@app.command("list")
def list_(
    json_out: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """List agencies."""
    with engine().connect() as conn:
        rows = ids.list_agencies(conn)
    if json_out:
        emit_json([r.as_dict() for r in rows])
        return
    table = Table("code", "name", "country", "type", "default", "hint", "peer")
    for r in rows:  # names are data: escaped, never rich markup
        default = r.default_tlp + (f" / {r.default_group}" if r.default_group else "")
        data_row(table,
            r.code, r.name, r.country, r.type or "", default, r.hint_amber,
            "yes" if r.is_peer else "")
    console.print(table)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="agency")
