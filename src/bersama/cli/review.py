"""`bersama review list|confirm|reject|export`: the analyst's side of the detection queue.

Why on the CLI too: a node operator without the web console must still be
able to clear the queue and export decisions for retraining.  The CLI acts as
the node (`Reader.system()`) unless `--as-agency`/`--as-user` say whom the
decision is recorded for; every decision records who made it.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from bersama.cli import context
from bersama.errors import InvalidInput

app = typer.Typer(help="Review messages the detector queued.", no_args_is_help=True)

AsAgency = Annotated[str | None, typer.Option("--as-agency", help="act as this agency")]
AsUser = Annotated[str | None, typer.Option("--as-user", help="act as this user (e-mail)")]


@app.command("list")
def list_(
    status: Annotated[str, typer.Option("--status", help="queued, confirmed, rejected or all")
                      ] = "queued",
    limit: Annotated[int, typer.Option("--limit")] = 50,
    as_agency: AsAgency = None,
    as_user: AsUser = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List review items, oldest first."""
    from bersama.store.review import list_items

    with context.engine().connect() as conn:
        reader = context.reader_for(conn, as_agency, as_user)
        items = list_items(conn, agency=None if reader.is_system else reader.agency,
                           status=None if status == "all" else status, limit=limit)
    if as_json:
        context.emit_json(items)
        return
    for it in items:
        types = ",".join(t["type"] for t in it["scam_types"]) or "-"
        typer.echo(f"#{it['id']} [{it['status']}] {it['agency']} p={it['probability']:.2f} "
                   f"{it['band']} {it['language']} {types}: {it['text'][:80]!r}")


@app.command("confirm")
def confirm(
    item_id: Annotated[int, typer.Argument(help="review item id")],
    tlp: Annotated[str | None, typer.Option("--tlp", help="marking of the new report "
                                            "(default: the agency's)")] = None,
    group: Annotated[str | None, typer.Option("--group")] = None,
    as_agency: AsAgency = None,
    as_user: AsUser = None,
) -> None:
    """Confirm a scam: it becomes a report of its agency and is correlated."""
    from bersama.ingest.options import batch_marking
    from bersama.store.review import confirm as do_confirm

    with context.engine().begin() as conn:
        reader = context.reader_for(conn, as_agency, as_user)
        item = do_confirm(conn, context.settings(), item_id, actor=reader,
                          marking=batch_marking(tlp, group, None))
    typer.echo(f"confirmed #{item_id}: report {item['report']} (row {item['report_id']}), "
               f"decided by {item['decided_by']}")


@app.command("reject")
def reject(
    item_id: Annotated[int, typer.Argument(help="review item id")],
    as_agency: AsAgency = None,
    as_user: AsUser = None,
) -> None:
    """Reject: not a scam. The decision is kept for retraining."""
    from bersama.store.review import reject as do_reject

    with context.engine().begin() as conn:
        reader = context.reader_for(conn, as_agency, as_user)
        do_reject(conn, item_id, actor=reader)
    typer.echo(f"rejected #{item_id}")


@app.command("export")
def export(
    fmt: Annotated[str, typer.Option("--format", help="jsonl or csv")] = "jsonl",
    out: Annotated[Path | None, typer.Option("--out", help="file (default: stdout)")] = None,
    as_agency: AsAgency = None,
    as_user: AsUser = None,
) -> None:
    """Export decided items as labelled data (label 1 = confirmed scam)."""
    from bersama.store.review import export as do_export

    if fmt not in ("jsonl", "csv"):
        raise InvalidInput(f"unknown export format {fmt!r}; use jsonl or csv", field="format",
                           value=fmt)
    fh = context.open_output(out, "out") if out else sys.stdout
    with context.engine().connect() as conn:
        reader = context.reader_for(conn, as_agency, as_user)
        rows = list(do_export(conn, agency=None if reader.is_system else reader.agency))
    try:
        if fmt == "jsonl":
            for r in rows:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
        else:
            w = csv.DictWriter(fh, fieldnames=["id", "text", "label", "status", "language",
                                               "scam_types", "model_probability",
                                               "model_version", "decided_by", "decided_at"])
            w.writeheader()
            for r in rows:
                w.writerow({**r, "scam_types": ";".join(r["scam_types"])})
    finally:
        if out:
            fh.close()
    if out:
        typer.echo(f"wrote {len(rows)} decisions to {out}", err=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="review")
