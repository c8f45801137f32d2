"""`bersama audit verify|export`, and how CLI writes are audited.

Commands run on the node's host with direct database access; their writes are
recorded as the node (`system`) with the operating-system user in `detail`,
so the trail says who changed what even without an API token.
"""

from __future__ import annotations

import getpass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from sqlalchemy import Connection

from bersama.cli.context import emit_json, engine, open_output
from bersama.errors import InvalidInput
from bersama.markings import Reader
from bersama.store import audit

app = typer.Typer(help="Verify and export the tamper-evident audit log.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)


def record_cli(conn: Connection, action: str, target: str,
               detail: dict[str, Any] | None = None) -> None:
    try:
        os_user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        os_user = "unknown"
    audit.record(conn, reader=Reader.system(), action=action, target=target, address=None,
                 detail={"via": "cli", "os_user": os_user, **(detail or {})},
                 now=datetime.now(UTC))


@app.command("verify")
def verify(
    anchor: Annotated[str | None, typer.Option(
        help="SEQ:HASH of a head recorded earlier; also checks that row is unchanged")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Walk the hash chain; exit 1 and say where if any row was edited, inserted or deleted."""
    pin: tuple[int, str] | None = None
    if anchor:
        seq, _, digest = anchor.partition(":")
        if not seq.isdigit() or len(digest) != 64:
            raise InvalidInput("anchor must be SEQ:HASH (64 hex digits)", field="anchor",
                               value=anchor)
        pin = (int(seq), digest)
    with engine().connect() as conn:
        result = audit.verify(conn, anchor=pin)
    if json_out:
        emit_json(result.as_dict())
    elif result.ok:
        console.print(f"audit log intact: {result.rows} rows; head "
                      f"{result.head_seq}:{result.head_hash}", highlight=False)
    else:
        err.print(f"[bold red]audit log broken[/] ({result.problem}) at row {result.seq}: "
                  f"{result.detail}", highlight=False)
    if not result.ok:
        raise typer.Exit(1)


@app.command("export")
def export(
    out: Annotated[Path | None, typer.Option(help="file to write (default: standard output)")]
    = None,
) -> None:
    """Write the audit log as JSON Lines, oldest row first."""
    fh = None if out is None else open_output(out, "out")
    with engine().connect() as conn:
        lines = audit.export(conn, "jsonl")
        if fh is None:
            for line in lines:
                typer.echo(line, nl=False)
            return
        count = 0
        with fh:
            for line in lines:
                fh.write(line)
                count += 1
    err.print(f"wrote {count} audit rows to {out}", highlight=False)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="audit")
