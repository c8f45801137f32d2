"""`bersama demo`: a node on SQLite with generated data from several ASEAN countries.

One command for a first look: generates a scenario (`bersama synth`), registers
its agencies, sharing groups and warninglists, ingests every file through the
real adapters, creates an analyst token, prints what to try, and serves.
Running it again reuses the data already loaded.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import func, select

from bersama.cli.bootstrap import ensure_admin
from bersama.cli.context import engine, settings
from bersama.errors import NotFound
from bersama.markings import Reader
from bersama.store.apitokens import create_token
from bersama.store.identities import add_user, get_user
from bersama.store.queries import Reads
from bersama.store.tables.core import reports
from bersama.synth import generate, write
from bersama.synth.load import load

console = Console()


def demo(
    observables: Annotated[int, typer.Option(help="size of the generated scenario")] = 5_000,
    seed: Annotated[int, typer.Option(help="scenario seed")] = 2026,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="start the server")] = True,
    host: str = "127.0.0.1",
    port: int = 8000,
) -> None:
    """Start a node with demo data (SQLite unless BERSAMA_DATABASE_URL says otherwise)."""
    s = settings()
    eng = engine()
    ensure_admin(console)
    with eng.connect() as conn:
        held = conn.execute(select(func.count()).select_from(reports)).scalar_one()
    if held == 0:
        root = s.data_dir / "demo-input"
        if not (root / "manifest.json").exists():
            console.print(f"generating a scenario of {observables:,} identifiers in {root} ...")
            write(generate(seed, observables), root)
        loaded = load(
            eng,
            s,
            root,
            on_file=lambda rel, r: console.print(
                f"  ingested {rel}: {r.accepted} reports, {r.rejected} rejected", highlight=False
            ),
        )
        console.print(
            f"loaded {loaded.accepted:,} reports from {loaded.files} files "
            f"({loaded.rejected} records rejected, as the scenario intends)"
        )
    _analyst_token()
    with eng.connect() as conn:
        top = Reads(conn, Reader.system(), s).clusters(cross_border=True, limit=3)["clusters"]
    console.print("\n[bold]Largest cross-border campaigns:[/]")
    for c in top:
        ident = c["observables"][0]["display"] if c["observables"] else ""
        console.print(
            f"  cluster {c['id']}: {c['size']} reports in {', '.join(c['countries'])}"
            f" — e.g. {ident}",
            highlight=False,
        )
        console.print(f"    try: bersama check '{ident}'", highlight=False)
    if serve:
        import uvicorn

        from bersama.api.app import create_app
        from bersama.gcpause import tune_for_serving

        app = create_app(s, eng)
        tune_for_serving()
        console.print(f"\nserving on http://{host}:{port}/  (API docs: /docs, TAXII: /taxii2/)")
        uvicorn.run(app, host=host, port=port, log_level="warning")


def _analyst_token() -> None:
    """A demo analyst in the first demo agency, with a token printed once."""
    email = "analyst@demo.local"
    with engine().begin() as conn:
        try:
            get_user(conn, email)
            return
        except NotFound:
            pass  # first run: create the demo analyst below
        from bersama.store.tables.core import agencies

        code = conn.execute(
            select(agencies.c.code)
            .where(agencies.c.code != settings().node_agency)
            .order_by(agencies.c.code)
        ).scalar()
        if code is None:
            return
        add_user(conn, email=email, agency=code, role="analyst", now=datetime.now(UTC))
        token = create_token(conn, now=datetime.now(UTC), user=email, note="demo analyst")[1]
    console.print(
        f"demo analyst {email} of {code}; API token (shown once):\n  {token}", highlight=False
    )


def register(root: typer.Typer) -> None:
    root.command()(demo)
