"""`create_app(settings)`: the node's HTTP server (REST API, TAXII 2.1, status page)."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine

from bersama import __version__
from bersama.api import problems, security
from bersama.api.routers import admin, core, detect, psi, public, review, taxii
from bersama.config import Settings
from bersama.markings import Reader
from bersama.psi.warm import Warmer
from bersama.store.db import open_engine
from bersama.store.queries import Reads
from bersama.store.summary_writer import SummaryWriter


def create_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    engine = engine or open_engine(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        warmer = Warmer(engine, settings.psi_warm_interval, settings.psi_workers)  # docs/psi.md
        warmer.start()
        # Stores the views of clusters that reads had to fetch whole (store/summary_writer.py).
        summaries = SummaryWriter(engine, settings.cluster_top_observables, process=True).start()
        yield
        summaries.stop()
        warmer.stop()
        engine.dispose()

    app = FastAPI(
        title="Bersama node",
        version=__version__,
        description="Federated cybercrime intelligence exchange (REST API; TAXII 2.1 at /taxii2/)",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    taxii_errors = {taxii.DISCOVERY: taxii.routing_error}
    problems.install(app, routing_errors=taxii_errors)
    security.install(app, settings, routing_errors=taxii_errors)
    app.include_router(core.router)
    app.include_router(admin.router)
    app.include_router(public.router)
    app.include_router(detect.router)
    app.include_router(review.router)
    app.include_router(psi.router)
    app.include_router(taxii.router)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index() -> str:
        with engine.connect() as conn:
            public = Reads(conn, Reader.public(), settings).status()
        rows = "".join(
            f"<tr><td>{html.escape(c)}</td><td>{n}</td></tr>"
            for c, n in public["reports_by_country"].items()
        )
        db = "SQLite" if settings.is_sqlite else "PostgreSQL"
        return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Bersama node {html.escape(settings.node_name)}</title></head><body>
<h1>Bersama node <code>{html.escape(settings.node_name)}</code></h1>
<p>Status: <strong>running</strong>, version {__version__}, database {db}.</p>
<p>Public (TLP:CLEAR) holdings: {public["reports"]} reports, {public["observables"]}
identifiers. Authenticated agencies see what their markings allow through the
<a href="/docs">REST API</a> and <a href="/taxii2/">TAXII 2.1</a>.</p>
<table><tr><th>country</th><th>reports</th></tr>{rows}</table>
</body></html>"""

    return app
