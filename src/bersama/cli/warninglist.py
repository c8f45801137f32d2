"""`bersama warninglist add|list`: an agency's official numbers and accounts."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from bersama.cli.context import emit_json, engine
from bersama.observables import guess
from bersama.store import warninglists
from bersama.store.identities import get_agency

app = typer.Typer(help="Values that must never link clusters (official hotlines, accounts).")
console = Console()


@app.command("add")
def add(
    value: str,
    agency: Annotated[str, typer.Option(help="agency whose list this is")],
    note: Annotated[str, typer.Option(help="why it is listed")] = "",
) -> None:
    """List a value (e.g. a bank's public hotline) so it never links reports."""
    with engine().begin() as conn:
        ag = get_agency(conn, agency)
        obs = guess(value, country=ag.country)
        added = warninglists.add(conn, agency=agency, obs=obs, note=note)
    console.print(escape(f"{'listed' if added else 'already listed'}: {obs.ref}"),
                  highlight=False)


@app.command("list")
def list_(
    agency: Annotated[str | None, typer.Option(help="only this agency's list")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show the agencies' warninglists."""
    with engine().connect() as conn:
        rows = warninglists.entries(conn, agency)
    if json_out:
        emit_json(rows)
        return
    for r in rows:
        console.print(escape(f"{r['agency']:<16} {r['ref']}  {r['note']}"), highlight=False)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="warninglist")
