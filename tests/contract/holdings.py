"""The holdings counters' state (store/holdings.py), for comparing ingest with a rebuild."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from bersama.store.tables.core import observables, reports
from bersama.store.tables.holdings import node_counters, observable_holdings, report_holdings


def holdings_snapshot(engine: Engine) -> tuple[list[Any], ...]:
    """Every audience the counters rest on and every non-zero counter (a counter that
    went back to zero keeps its row on ingest; a rebuild does not write it)."""
    with engine.connect() as c:
        return (
            list(c.execute(select(reports.c.id, reports.c.audience).order_by(reports.c.id))),
            list(
                c.execute(
                    select(observables.c.id, observables.c.audience).order_by(observables.c.id)
                )
            ),
            list(
                c.execute(
                    select(report_holdings)
                    .where(report_holdings.c.reports != 0)
                    .order_by(report_holdings.c.audience, report_holdings.c.country)
                )
            ),
            list(
                c.execute(
                    select(observable_holdings)
                    .where(observable_holdings.c.observables != 0)
                    .order_by(observable_holdings.c.audience)
                )
            ),
            list(
                c.execute(
                    select(node_counters)
                    .where(node_counters.c.value != 0)
                    .order_by(node_counters.c.name)
                )
            ),
        )
