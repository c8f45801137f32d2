"""`bersama psi warm`: the cached answer sets peers' private checks are answered from.

A large node should build them before the first peer asks (minutes per
million identifiers); the server also keeps them current in the background
(`BERSAMA_PSI_WARM_INTERVAL_SECONDS`).  See docs/psi.md.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bersama.cli.context import emit_json, engine, settings
from bersama.psi.warm import warm as warm_all

app = typer.Typer(help="Private checks: answer sets for peers.", no_args_is_help=True)
console = Console()


@app.command("warm")
def warm(
    agency: Annotated[list[str] | None, typer.Option(help="only this peer agency "
                                                          "(repeatable)")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Build or update the answer set of every peer agency now."""
    with console.status("building answer sets", spinner="dots") if not json_out else nullcontext():
        done = warm_all(engine(), agency or None, workers=settings().psi_workers)
    if json_out:
        emit_json([w.as_dict() for w in done])
        return
    table = Table("agency", "generation", "items", "setup size", "seconds")
    for w in done:
        table.add_row(w.agency, w.generation, f"{w.items:,}", f"{w.setup_bytes / 1e6:.2f} MB",
                      f"{w.seconds:.1f}")
    console.print(table)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="psi")
