"""`bersama peer add|list|sync|push`: partner nodes, pulling from and pushing to them.

`peer add` contacts the peer before saving anything: it resolves the URL
(discovery document or API root), checks the collection exists for our token,
and refuses a key that differs from the one the peer publishes.  Tokens are
stored for the sync to present and never printed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bersama.cli.context import data_row, emit_json, engine, settings
from bersama.federation.push import PushResult
from bersama.federation.sync import (
    add_peer,
    default_client_factory,
    describe_peers,
    get_peers,
    push_all,
    sync_all,
)

app = typer.Typer(help="Peer nodes and sync.", no_args_is_help=True)
console = Console()
Json = Annotated[bool, typer.Option("--json", help="machine-readable output")]


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="local name of the peer")],
    url: Annotated[str, typer.Argument(help="the peer's TAXII discovery URL or API root")],
    *,
    collection: Annotated[str, typer.Option(help="collection id (or alias) to pull")],
    key: Annotated[str, typer.Option(help="the peer's public key, as `bersama node key` prints")],
    token: Annotated[str | None, typer.Option(help="bearer token the peer issued to us")] = None,
    agency: Annotated[str | None, typer.Option(help="our agency code for the peer")] = None,
    push_collection: Annotated[str | None, typer.Option(help="peer collection to push to")] = None,
    json_out: Json = False,
) -> None:
    """Register a peer node after checking its URL, collection and key."""
    client = default_client_factory(settings())(token)
    try:
        with engine().begin() as conn:
            peer = add_peer(conn, name=name, url=url, collection=collection, token=token,
                            key=key, agency=agency, push_collection=push_collection,
                            client=client, now=datetime.now(UTC))
    finally:
        client.close()
    info = {"name": peer.name, "api_root": peer.api_root, "collection": peer.collection_id,
            "agency": peer.agency, "public_key": peer.public_key}
    if json_out:
        emit_json(info)
    else:
        console.print(f"peer [bold]{escape(peer.name)}[/] added: " + escape(
            f"{peer.api_root} collection {peer.collection_id} as agency {peer.agency}"),
            highlight=False)


@app.command("list")
def list_(json_out: Json = False) -> None:
    """Peers with their sync cursor, last error and failure counters."""
    with engine().connect() as conn:
        rows = describe_peers(conn)
    if json_out:
        emit_json(rows)
        return
    table = Table("name", "agency", "api root", "collection", "cursor", "received", "failures",
                  "last error")
    for r in rows:
        fails = ", ".join(f"{k}={v}" for k, v in sorted(r["failures"].items())) or "-"
        data_row(table,  # a peer's errors are its text
            r["name"], r["agency"], r["api_root"], r["collection"], r["added_after"] or "-",
            str(r["objects_received"]), fails, r["last_error"] or "-")
    console.print(table)


def _print_pushes(results: list[PushResult]) -> None:
    for p in results:
        status = f"[red]failed: {escape(p.error)}[/]" if p.error else "ok"
        console.print(f"{escape(p.peer)}: push {status}; {p.pages} page(s), {p.sent} sent, "
                      f"{p.succeeded} accepted by the peer, {p.failed} refused by the peer",
                      highlight=False)


@app.command("push")
def push(
    name: Annotated[str | None, typer.Argument(help="peer to push to (default: all with "
                                                    "a push collection)")] = None,
    json_out: Json = False,
) -> None:
    """Push what each peer's agency may read to its writable collection, now."""
    results = push_all(engine(), settings(), name)
    if json_out:
        emit_json([r.as_dict() for r in results])
    else:
        _print_pushes(results)
    if any(r.error for r in results):
        raise typer.Exit(6)


@app.command("sync")
def sync(
    name: Annotated[str | None, typer.Argument(help="peer to sync (default: all)")] = None,
    *,
    push_too: Annotated[bool, typer.Option("--push", help="then push to peers with a "
                                                          "push collection")] = False,
    json_out: Json = False,
) -> None:
    """Pull new objects from one peer or all peers now (and push with --push)."""
    results = sync_all(engine(), settings(), name)
    pushes: list[PushResult] = []
    if push_too:
        with engine().connect() as conn:
            wanted = [p.name for p in get_peers(conn, name) if p.push_collection]
        for peer in wanted:
            pushes += push_all(engine(), settings(), peer)
    if json_out:
        emit_json([r.as_dict() for r in results] if not push_too else
                  {"pull": [r.as_dict() for r in results],
                   "push": [p.as_dict() for p in pushes]})
    else:
        for r in results:
            status = f"[red]failed: {escape(r.error)}[/]" if r.error else "ok"
            console.print(
                f"{escape(r.peer)}: {status}; {r.pages} page(s), {r.received} received, "
                f"{r.accepted} new, {r.updated} updated, {r.withdrawn} withdrawn, "
                f"{r.unchanged} unchanged, {r.refused_signature} refused (signature), "
                f"{r.rejected} rejected", highlight=False)
        _print_pushes(pushes)
    if any(r.error for r in results) or any(p.error for p in pushes):
        raise typer.Exit(6)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="peer")
