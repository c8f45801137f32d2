"""`bersama ask-peers FILE`: which partner nodes hold these identifiers, asked privately.

One identifier a line, any kinds mixed; blank lines and `#` comments are
skipped.  Every line is normalised first (in the asking agency's national
formats unless `--country`); invalid lines are reported with their line
numbers and never sent.  Peers learn neither the values nor the answers
(docs/psi.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bersama.cli.context import emit_json, engine, settings
from bersama.errors import BersamaError, InvalidInput
from bersama.observables import guess
from bersama.psi import service
from bersama.psi.client import acting
from bersama.store.identities import validate_country

console = Console()


def read_lines(path: Path) -> list[tuple[int, str]]:
    """(line number, value) of every non-blank, non-comment line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path} is not UTF-8 text (byte {exc.start})", field="file") from None
    out = []
    for n, line in enumerate(text.splitlines(), start=1):
        value = line.strip()
        if value and not value.startswith("#"):
            out.append((n, value))
    return out


def ask_peers(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                         help="one identifier a line")],
    agency: Annotated[str | None, typer.Option(help="asking agency (default: the node's)")]
    = None,
    country: Annotated[str | None, typer.Option(help="country for national formats "
                                                     "(default: the agency's)")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Ask every peer node, privately, which of the identifiers in FILE it holds."""
    lines = read_lines(file)
    with engine().connect() as conn:
        reader, home = acting(conn, agency)
    cc = validate_country(country) if country else home
    rows: list[dict[str, Any]] = []
    valid: list[str] = []
    for n, value in lines:
        try:
            rows.append({"line": n, "value": value, "ref": guess(value, country=cc).ref,
                         "error": None, "held_by": []})
            valid.append(value)
        except BersamaError as exc:
            rows.append({"line": n, "value": value, "ref": None, "error": exc.detail,
                         "held_by": []})
    report = service.ask_peers(settings(), engine(), valid, asking_reader=reader, country=cc)
    held = {r.ref: r.held_by for r in report.results if r.ref}
    for row in rows:
        if row["ref"]:
            row["held_by"] = held.get(row["ref"], [])
    out = {"results": rows, "peers_asked": report.peers_asked,
           "peer_errors": report.peer_errors,
           "asked": len({r["ref"] for r in rows if r["ref"]}),
           "invalid": sum(1 for r in rows if r["error"]),
           "held": sum(1 for r in rows if r["held_by"])}
    if json_out:
        emit_json(out)
    else:
        _print(out)
    if report.peer_errors and len(report.peer_errors) == len(report.peers_asked):
        raise typer.Exit(6)


def _print(out: dict[str, Any]) -> None:
    table = Table("line", "value", "normalised", "held by")
    for r in out["results"]:  # the file's lines are data: escaped, never rich markup
        if r["error"]:
            table.add_row(str(r["line"]), escape(r["value"]),
                          f"[red]invalid: {escape(r['error'])}[/]", "")
        elif r["held_by"]:
            table.add_row(str(r["line"]), escape(r["value"]), escape(r["ref"]),
                          escape(", ".join(r["held_by"])))
    console.print(table)
    console.print(f"{out['asked']} asked of {len(out['peers_asked'])} peer(s), "
                  f"{out['held']} held somewhere, {out['invalid']} invalid line(s) not sent",
                  highlight=False)
    for peer, err in out["peer_errors"].items():
        console.print(f"[red]peer {escape(peer)} failed:[/] {escape(err)}", highlight=False)


def register(root: typer.Typer) -> None:
    root.command("ask-peers")(ask_peers)
