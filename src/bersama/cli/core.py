"""Core commands: serve, ingest, check, clusters, cluster, report, correlate, demo."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import IO, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn
from rich.table import Table

from bersama.cli.context import data_row, emit_json, engine, open_output, reader_for, settings
from bersama.errors import InvalidInput
from bersama.ingest.csv import CsvMapping
from bersama.ingest.detect_format import sniff
from bersama.ingest.options import adapter_options, batch_marking
from bersama.ingest.sources import ingest_stream
from bersama.markings import Reader, Role
from bersama.observables import guess
from bersama.store import correlate as correlation
from bersama.store.browse import CLUSTER_PAGE_MAX
from bersama.store.identities import get_user, validate_country
from bersama.store.queries import Reads, summarise_observables
from bersama.store.summaries import summarise_all
from bersama.store.values import ROW_ID_MAX

console = Console()
AsAgency = Annotated[str | None, typer.Option("--as-agency", help="read as this agency")]
AsUser = Annotated[str | None, typer.Option("--as-user", help="read as this user (e-mail)")]
Json = Annotated[bool, typer.Option("--json", help="machine-readable output (see docs/cli.md)")]


def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
) -> None:
    """Run the node's HTTP server (REST API, TAXII 2.1, status page)."""
    import uvicorn

    from bersama.api.app import create_app
    from bersama.cli.bootstrap import ensure_admin
    from bersama.gcpause import tune_for_serving

    ensure_admin(console)
    loop = None
    if settings().sync_interval_seconds > 0:
        from bersama.federation.sync import start_sync_loop

        loop = start_sync_loop(settings(), engine())
    app = create_app(settings(), engine())
    tune_for_serving()
    try:
        uvicorn.run(app, host=host, port=port, log_level="info")
    finally:
        if loop is not None:
            loop.stop()


def ingest(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    agency: Annotated[str, typer.Option(help="code of the reporting agency")],
    fmt: Annotated[str | None, typer.Option("--format", help="stix|misp|csv|text")] = None,
    tlp: Annotated[str | None, typer.Option(help="marking for records without one")] = None,
    group: Annotated[str | None, typer.Option(help="sharing group (TLP:AMBER)")] = None,
    recipients: Annotated[
        str | None, typer.Option(help="agencies (AMBER+STRICT) or users (RED)")
    ] = None,
    user: Annotated[str | None, typer.Option(help="analyst e-mail recorded as creator")] = None,
    mapping: Annotated[Path | None, typer.Option(help="CSV column mapping file")] = None,
    encoding: Annotated[str | None, typer.Option(help="CSV/text encoding if not UTF-8")] = None,
    review: Annotated[
        bool,
        typer.Option(
            "--review",
            help="csv/text: also queue the reports whose text scores likely or review "
            "for an analyst's decision (bersama review)",
        ),
    ] = False,
    rejections: Annotated[
        Path | None,
        typer.Option(
            "--rejections",
            help="write every rejected record to this file, one JSON object per line",
        ),
    ] = None,
    json_out: Json = False,
) -> None:
    """Ingest a STIX 2.1 bundle, MISP event, hotline CSV or text file as one atomic batch."""
    kind = fmt or sniff(path)
    marking = batch_marking(tlp, group, recipients)
    actor = Reader(agency=agency, user=_creator(user, agency), role=Role.ANALYST)
    options = adapter_options(kind, mapping=None if mapping is None else CsvMapping.load(mapping),
                              encoding=encoding)
    size = path.stat().st_size
    with (
        contextlib.nullcontext() if rejections is None
        else open_output(rejections, "rejections", binary=True) as rejected,
        path.open("rb") as raw,
        Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            disable=json_out,
            transient=True,
        ) as progress,
    ):
        task = progress.add_task(f"ingest {path.name}", total=size)
        result = ingest_stream(
            engine(),
            settings(),
            raw,
            fmt=kind,
            agency=agency,
            actor=actor,
            source=str(path),
            batch_marking=marking,
            tick=lambda _n: progress.update(task, completed=raw.tell()),
            review=review,
            **options,
        )
        written = None if rejected is None else _write_rejections(result.batch_id, actor, rejected)
    if json_out:
        emit_json(result.as_dict())
        return
    console.print(
        f"batch {result.batch_id}: {result.accepted} new, {result.updated} updated, "
        f"{result.withdrawn} withdrawn, {result.unchanged} unchanged, "
        f"{result.rejected} rejected, {result.observables} observable links"
        + (
            f", {result.queued_for_review} queued for review"
            if result.queued_for_review is not None
            else ""
        )
    )
    for r in result.rejections[:50]:
        where = ", ".join(f"{k} {v}" for k, v in r.as_dict().items() if k != "reason")
        console.print(escape(f"  rejected ({where}): {r.reason}"), highlight=False)
    if result.rejected > 50 and written is None:
        console.print(f"  ... and {result.rejected - 50} more (--rejections FILE writes all)")
    if written is not None:
        console.print(escape(f"{written} rejected records written to {rejections}"),
                      highlight=False)


def _creator(user: str | None, agency: str) -> str | None:
    """`--user`: a user of `--agency` on this node, recorded as the creator, who may read
    the batch's RED reports; anyone else is refused rather than recorded as given."""
    if user is None:
        return None
    with engine().connect() as conn:
        found = get_user(conn, user, field="user")
    if found.agency != agency:
        raise InvalidInput(f"user {found.email!r} is of agency {found.agency}, not {agency}",
                           field="user", value=user)
    return found.email


def _write_rejections(batch_id: int, reader: Reader, out: IO[bytes]) -> int:
    """Every rejection of the batch, as stored with it, to `out` as JSON Lines."""
    import orjson

    written = 0
    with engine().connect() as conn:
        reads = Reads(conn, reader, settings())
        offset: int | None = 0
        while offset is not None:
            page = reads.rejections(batch_id, offset=offset, limit=10_000)
            out.writelines(orjson.dumps(r) + b"\n" for r in page["rejections"])
            written += len(page["rejections"])
            offset = page["next_offset"]
    return written


def check(
    value: str,
    country: Annotated[str | None, typer.Option(help="country for national formats")] = None,
    as_agency: AsAgency = None,
    as_user: AsUser = None,
    ask_peers: Annotated[
        bool, typer.Option("--ask-peers", help="also ask peers privately")
    ] = False,
    json_out: Json = False,
    top: Annotated[
        int | None,
        typer.Option(help="how many of the cluster's other identifiers to list (0: none)"),
    ] = None,
) -> None:
    """Check an identifier: seen before, where, when, linked to what."""
    obs = guess(value, country=validate_country(country) if country else None)
    with engine().connect() as conn:
        reader = reader_for(conn, as_agency, as_user)
        result = Reads(conn, reader, settings(), top=top).check(obs)
    result["value"] = value
    if ask_peers:
        from bersama.psi.client import ask_peers_cli

        # for the agency the check read as (`--as-user`'s too), else the node's
        result["peers"] = ask_peers_cli([value], country=country, as_agency=reader.agency)[0]
    if json_out:
        emit_json(result)
        return
    # Identifiers and report text are data: escaped, never read as rich markup.
    console.print(f"[bold]{result['kind']}[/] {escape(result['key'])}  "
                  f"({escape(result['display'])})")
    if ask_peers:
        _print_peers(result["peers"])
    if not result["reports"]:
        console.print(
            "not reported" + (f" — hidden: {result['hidden']}" if "hidden" in result else "")
        )
        return
    console.print(
        f"reports: {result['reports']} by {', '.join(result['agencies'])} "
        f"in {', '.join(result['countries'])}; first {result['first_seen']}, last "
        f"{result['last_seen']}; corroboration {result['corroboration']}; score {result['score']}"
    )
    if result["losses"]:
        console.print(
            "losses: " + ", ".join(f"{m['amount']} {m['currency']}" for m in result["losses"])
        )
    if result["hub"] or result["warninglist"]:
        console.print(
            f"[yellow]not correlated:[/] hub={result['hub']} warninglist={result['warninglist']}"
        )
    cl = result["cluster"]
    if cl:
        flag = " [red]CROSS-BORDER[/]" if cl["cross_border"] else ""
        console.print(
            f"cluster {cl['id']}: {cl['size']} reports, {', '.join(cl['countries'])}{flag}"
        )
        for o in cl["observables"][:10]:
            console.print(
                f"  {o['kind']:<13} {escape(o['display'])}  ({o['reports']} reports)",
                highlight=False,
            )


def _print_peers(answer: dict[str, Any]) -> None:
    """What `--ask-peers` found (docs/psi.md): the peers that hold the value, of those
    that answered, and each peer that failed."""
    failed = answer["peer_errors"]
    answered = [p for p in answer["peers_asked"] if p not in failed]
    if answer["error"]:
        line = f"peers: not asked ({answer['error']})"
    elif answer["held_by"]:
        line = f"peers: held by {', '.join(answer['held_by'])} (asked {', '.join(answered)})"
    elif answered:
        line = f"peers: held by none of {', '.join(answered)}"
    else:
        line = "peers: none answered" if failed else "peers: none to ask (bersama peer list)"
    console.print(escape(line), highlight=False)
    for name, why in sorted(failed.items()):
        console.print(escape(f"peer {name} failed: {why}"), highlight=False)


def clusters(
    cross_border: Annotated[bool, typer.Option("--cross-border")] = False,
    limit: Annotated[int, typer.Option(min=1, help="how many clusters to list")] = 20,
    as_agency: AsAgency = None,
    as_user: AsUser = None,
    json_out: Json = False,
) -> None:
    """List clusters (campaigns), largest first."""
    with engine().connect() as conn:
        out = Reads(conn, reader_for(conn, as_agency, as_user), settings()).clusters(
            cross_border=cross_border, limit=limit
        )
    if json_out:
        emit_json(out)
        return
    table = Table("id", "reports", "countries", "agencies", "losses", "top identifiers")
    for c in out["clusters"][:limit]:
        table.add_row(
            str(c["id"]),
            str(c["size"]),
            ",".join(c["countries"]),
            ",".join(c["agencies"][:4]),
            "; ".join(f"{m['amount']} {m['currency']}" for m in c["losses"][:3]),
            escape("\n".join(o["display"] for o in c["observables"][:3])),
        )
    console.print(table)


def cluster(
    cluster_id: Annotated[
        int, typer.Argument(metavar="ID", min=1, max=ROW_ID_MAX,
                            help="the cluster's id, as `bersama clusters` or `check` shows it"),
    ],
    limit: Annotated[
        int, typer.Option(min=1, max=CLUSTER_PAGE_MAX, help="how many reports to list")
    ] = 50,
    offset: Annotated[
        int, typer.Option(min=0, max=ROW_ID_MAX, help="reports to skip (a page's next_offset)")
    ] = 0,
    as_agency: AsAgency = None,
    as_user: AsUser = None,
    json_out: Json = False,
) -> None:
    """One cluster (campaign) with a page of the reports in it that you may read."""
    with engine().connect() as conn:
        out = Reads(conn, reader_for(conn, as_agency, as_user), settings()).cluster(
            cluster_id, offset=offset, limit=limit
        )
    if json_out:
        emit_json(out)
        return
    flag = " [red]CROSS-BORDER[/]" if out["cross_border"] else ""
    console.print(
        f"cluster {out['id']}: {out['size']} reports, {', '.join(out['countries'])}{flag}; "
        f"first {out['first_seen']}, last {out['last_seen']}"
    )
    if out["losses"]:
        console.print(
            "losses: " + ", ".join(f"{m['amount']} {m['currency']}" for m in out["losses"])
        )
    table = Table(box=None)
    table.add_column("report", no_wrap=True)  # whole, to be copied into `bersama report ID`
    for name in ("agency", "country", "occurred", "scam types", "loss", "tlp"):
        table.add_column(name)
    for r in out["reports"]:
        loss = r["loss"]
        data_row(table,
            r["id"], r["agency"], r["country"], (r["occurred_at"] or "")[:10],
            ", ".join(r["scam_types"]), f"{loss['amount']} {loss['currency']}" if loss else "",
            r["tlp"] + (f" {r['sharing_group']}" if r["sharing_group"] else ""),
        )
    console.print(table)
    if out["next_offset"] is not None:
        console.print(f"next page: bersama cluster {out['id']} --offset {out['next_offset']}"
                      f" --limit {limit}", highlight=False)


def report(
    report_id: str,
    as_agency: AsAgency = None,
    as_user: AsUser = None,
    json_out: Json = False,
) -> None:
    """Show one report."""
    with engine().connect() as conn:
        out = Reads(conn, reader_for(conn, as_agency, as_user), settings()).report(report_id)
    if json_out:
        emit_json(out)
        return
    for k, v in out.items():
        console.print(f"{k}: {v}", markup=False, highlight=False)


def correlate(
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="recompute from stored reports")
    ] = False,
    summaries: Annotated[
        bool,
        typer.Option(
            "--summaries",
            help="store the cluster views and value summaries checks read (after large imports)",
        ),
    ] = False,
) -> None:
    """Recompute correlation (`--rebuild`) and/or store what checks read (`--summaries`)."""
    if not rebuild and not summaries:
        raise InvalidInput(
            "correlation is maintained on ingest; pass --rebuild to recompute it or "
            "--summaries to store the cluster views that checks read"
        )
    if rebuild:
        with engine().begin() as conn:
            correlation.rebuild(conn, settings().hub_threshold, settings().list_threshold)
        console.print("correlation rebuilt")
    if summaries:
        written = sum(summarise_all(engine(), settings().cluster_top_observables))
        console.print(f"{written:,} cluster summaries stored")
        values = sum(summarise_observables(engine(), settings()))
        console.print(f"{values:,} value summaries stored")


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(ingest)
    app.command()(check)
    app.command()(clusters)
    app.command()(cluster)
    app.command()(report)
    app.command()(correlate)
