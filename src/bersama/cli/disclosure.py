"""`bersama disclosure request|list|approve|deny`: the reports behind a private match.

`request` asks a peer for the reports behind a value it holds (checked privately
first: nothing is sent to a peer that does not hold it); `list` shows our
requests (polling peers for pending answers) and peers' requests waiting for a
decision; `approve`/`deny` decide a peer's request for AMBER and above reports,
acting for `--agency` (the owner of the reports).  See docs/psi.md.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bersama.cli.context import data_row, emit_json, engine, settings
from bersama.markings.model import Reader, Role
from bersama.psi import disclosure
from bersama.psi.client import acting
from bersama.store.values import ROW_ID_MAX

app = typer.Typer(help="Disclosure requests after a private match.", no_args_is_help=True)
console = Console()
Agency = Annotated[str | None, typer.Option(help="acting agency (default: the node's)")]
User = Annotated[str | None, typer.Option(help="e-mail recorded as requester / decider")]
Json = Annotated[bool, typer.Option("--json", help="machine-readable output")]


def _reader(agency: str | None, user: str | None) -> tuple[Reader, str]:
    with engine().connect() as conn:
        base, country = acting(conn, agency)
    return Reader(agency=base.agency, user=user.lower() if user else None, role=Role.ANALYST,
                  groups=base.groups), country


@app.command("request")
def request(
    peer: Annotated[str, typer.Argument(help="the peer's name (`bersama peer list`)")],
    value: Annotated[str, typer.Argument(help="the identifier, in any usual spelling")],
    reason: Annotated[str, typer.Option(help="why you need the reports (case, legal basis)")],
    agency: Agency = None,
    user: User = None,
    country: Annotated[str | None, typer.Option(help="country for national formats")] = None,
    json_out: Json = False,
) -> None:
    """Ask PEER for the reports behind VALUE (GREEN at once, AMBER+ after approval)."""
    reader, home = _reader(agency, user)
    out = disclosure.request_disclosure(
        settings(), engine(), asking_reader=reader, peer_name=peer, value=value, reason=reason,
        country=(country or home).upper())
    if json_out:
        emit_json(out)
        return
    console.print(escape(f"disclosure {out['id']} to {peer}: {out['status']}; "
                         f"{_reports(out)} report(s) received, {out['withheld']} awaiting "
                         "a decision"), highlight=False)


def _reports(row: dict[str, Any]) -> int:
    return sum(1 for o in row["objects"] if o.get("type") == "report")


@app.command("list")
def list_(
    agency: Agency = None,
    refresh: Annotated[bool, typer.Option(help="poll peers for pending answers first")] = True,
    limit: Annotated[int, typer.Option(min=1, max=disclosure.PAGE_MAX,
                                       help="how many requests to list")
                     ] = disclosure.PAGE_DEFAULT,
    offset: Annotated[int, typer.Option(min=0, max=ROW_ID_MAX,
                                        help="requests to skip (a page's next_offset)")] = 0,
    json_out: Json = False,
) -> None:
    """Our requests and their answers; peers' requests waiting for this agency's decision."""
    reader, _ = _reader(agency, None)
    errors = disclosure.refresh(settings(), engine()) if refresh else {}
    page = disclosure.list_for(engine(), reader, offset=offset, limit=limit)
    if json_out:
        emit_json({**page, "refresh_errors": errors})
        return
    table = Table("id", "dir", "peer", "agency", "value", "status", "reports", "withheld",
                  "reason")
    for r in page["disclosures"]:  # data, some of it a peer's: escaped, never rich markup
        data_row(table,
            str(r["id"]), r["direction"], r["peer"], r["agency"], r["value_ref"] or "",
            r["status"], str(_reports(r)), str(r["withheld"]), r["reason"][:40])
    console.print(table)
    if page["next_offset"] is not None:
        also = f" --agency {agency}" if agency else ""
        console.print(escape(f"next page: bersama disclosure list{also} --offset "
                             f"{page['next_offset']} --limit {limit}"), highlight=False)
    for did, err in errors.items():
        console.print(f"[red]disclosure {did}: poll failed:[/] {escape(err)}", highlight=False)


def _decide(disclosure_id: int, agency: str | None, user: str | None, approve: bool,
            json_out: bool) -> None:
    reader, _ = _reader(agency, user)
    out = disclosure.decide(engine(), reader, disclosure_id, approve=approve)
    if json_out:
        emit_json(out)
        return
    console.print(f"disclosure {disclosure_id} {out['status']}: {_reports(out)} report(s) "
                  f"released to {out['agency']}", highlight=False)


@app.command("approve")
def approve(
    disclosure_id: Annotated[int, typer.Argument(metavar="ID")],
    agency: Agency = None, user: User = None, json_out: Json = False,
) -> None:
    """Release this agency's reports asked for in a peer's request ID."""
    _decide(disclosure_id, agency, user, True, json_out)


@app.command("deny")
def deny(
    disclosure_id: Annotated[int, typer.Argument(metavar="ID")],
    agency: Agency = None, user: User = None, json_out: Json = False,
) -> None:
    """Refuse a peer's request ID (GREEN reports already sent stay sent)."""
    _decide(disclosure_id, agency, user, False, json_out)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="disclosure")
