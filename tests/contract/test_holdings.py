"""The statistics from the holdings counters (store/holdings.py) are the old scans' figures.

`Reads.status` used to count what a reader may read by scanning the whole store;
it now sums counters kept on ingest.  Over a generated scenario with every TLP,
sharing groups and recipients, each reader's figures must equal that scan (kept
below as the reference, nowhere else): as loaded, after versions supersede and
revoke reports (changing marking, country and identifiers), after a rebuild, and
after migration 0004 fills the counters of a store written before it.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Connection, Engine, and_, exists, func, select, true
from tests.contract.holdings import holdings_snapshot

from bersama.config import Settings
from bersama.ingest.model import ReportDraft
from bersama.ingest.pipeline import ingest
from bersama.markings import TLP, Marking, Reader, Role, reader_tokens
from bersama.markings.model import ALL
from bersama.observables import Kind, Observable
from bersama.store import correlate, holdings, warninglists
from bersama.store.db import alembic_config
from bersama.store.identities import groups_of
from bersama.store.queries import Reads
from bersama.store.tables.core import (
    agencies,
    clusters,
    observables,
    report_audience,
    report_observables,
    reports,
)
from bersama.store.tables.holdings import audiences
from bersama.synth import generate, write
from bersama.synth.load import load

NOW = datetime(2026, 11, 20, tzinfo=UTC)


def scanned_status(conn: Connection, reader: Reader) -> dict[str, Any]:
    """The figures as `Reads.status` computed them before the counters: a scan of every
    readable active report and its links."""
    tokens = reader_tokens(reader)
    readable = (
        true()
        if ALL in tokens
        else exists().where(
            report_audience.c.report_id == reports.c.id,
            report_audience.c.token.in_(sorted(tokens)),
        )
    )
    active = and_(reports.c.revoked.is_(False), readable)
    by_country: dict[str, int] = dict(
        conn.execute(
            select(reports.c.country, func.count())
            .where(active)
            .group_by(reports.c.country)
            .order_by(reports.c.country)
        ).all()
    )
    out: dict[str, Any] = {
        "reports": conn.execute(select(func.count()).where(active)).scalar_one(),
        "observables": conn.execute(
            select(func.count(func.distinct(report_observables.c.observable_id)))
            .join(reports, reports.c.id == report_observables.c.report_id)
            .where(active)
        ).scalar_one(),
        "reports_by_country": by_country,
    }
    if reader.is_system:
        out["cross_border_clusters"] = conn.execute(
            select(func.count()).select_from(clusters).where(clusters.c.cross_border.is_(True))
        ).scalar_one()
    return out


def _readers(conn: Connection) -> list[Reader]:
    codes = sorted(conn.execute(select(agencies.c.code)).scalars())
    out = [Reader.system(), Reader.public()]
    for code in codes:
        groups = groups_of(conn, code)
        out.append(Reader(agency=code, user="analyst@x", role=Role.ANALYST, groups=groups))
        out.append(Reader(agency=code, user="analyst@x", role=Role.ANALYST))  # no groups
        out.append(Reader(agency=code, is_peer=True, groups=groups))
        out.append(Reader(agency=code, user=f"{code.lower()}-duty-officer", role=Role.ANALYST))
    return out


def _assert_status_is_the_scan(engine: Engine, settings: Settings) -> int:
    with engine.connect() as c:
        readers = _readers(c)
        for reader in readers:
            assert Reads(c, reader, settings).status() == scanned_status(c, reader), reader
    return len(readers)


@pytest.fixture
def scenario(engine: Engine, settings: Settings, tmp_path: Path) -> Engine:
    write(generate(5, 800, as_of=date(2026, 11, 1)), tmp_path / "s")
    load(engine, settings, tmp_path / "s")
    return engine


def _new_versions(engine: Engine, settings: Settings, seed: int) -> None:
    """Supersede and revoke a sample of each agency's reports: new markings (every kind,
    including RED with no readers but the system), countries and identifiers."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible test history, not a secret
    with engine.connect() as c:
        codes = sorted(c.execute(select(agencies.c.code)).scalars())
        pool = [
            Observable(Kind(kind), ref.split(":", 1)[1])
            for kind, ref in c.execute(
                select(observables.c.kind, observables.c.ref).order_by(observables.c.id)
            )
        ]
        owned = c.execute(
            select(reports.c.stix_id, reports.c.agency)
            .where(reports.c.revoked.is_(False))
            .order_by(reports.c.id)
        ).all()
    markings = [
        Marking(TLP.CLEAR),
        Marking(TLP.GREEN),
        Marking(TLP.AMBER),
        Marking(TLP.AMBER, group="MY-TH-bilateral"),
        Marking(TLP.AMBER, group="ASEAN-scam-taskforce"),
        Marking(TLP.AMBER_STRICT, recipient_agencies=frozenset(rng.sample(codes, 2))),
        Marking(TLP.RED, recipient_users=frozenset({f"{codes[0].lower()}-duty-officer"})),
        Marking(TLP.RED),
    ]
    drafts: dict[str, list[ReportDraft]] = {}
    for stix_id, agency in rng.sample(owned, min(len(owned), 60)):
        draft = ReportDraft(
            source_id=stix_id,
            modified=NOW + timedelta(days=seed),
            observables=tuple(rng.sample(pool, rng.randint(1, 4))),
            marking=rng.choice(markings),
            country=rng.choice([None, "SG", "TH", "JP"]),
            revoked=rng.random() < 0.3,
        )
        drafts.setdefault(agency, []).append(draft)
    for agency, batch in sorted(drafts.items()):
        with engine.begin() as c:
            result = ingest(
                c,
                settings,
                agency=agency,
                items=batch,
                source_format="test",
                source="test",
                # a peer's versions carry no creator: RED without recipients is then
                # readable by the system reader alone
                actor=Reader(agency=agency, is_peer=True),
            )
        assert result.updated + result.withdrawn == len(batch)


def test_status_from_counters_is_the_scan_for_every_reader(
    scenario: Engine, settings: Settings
) -> None:
    engine = scenario
    assert _assert_status_is_the_scan(engine, settings) > 20
    with engine.connect() as c:
        public = Reads(c, Reader.public(), settings).status()
        everything = Reads(c, Reader.system(), settings).status()
    assert 0 < public["reports"] < everything["reports"]
    assert everything["cross_border_clusters"] > 0

    for seed in (1, 2):
        _new_versions(engine, settings, seed)
        _assert_status_is_the_scan(engine, settings)

    incremental = holdings_snapshot(engine)
    with engine.begin() as c:
        correlate.rebuild(c, settings.hub_threshold, settings.list_threshold)
    assert holdings_snapshot(engine) == incremental
    _assert_status_is_the_scan(engine, settings)


def test_listing_values_that_split_cross_border_clusters(
    scenario: Engine, settings: Settings
) -> None:
    """A warninglist entry splits clusters outside ingest; the count follows."""
    engine = scenario
    with engine.connect() as c:
        before = Reads(c, Reader.system(), settings).status()["cross_border_clusters"]
        bridges = c.execute(
            select(observables.c.kind, observables.c.ref, reports.c.agency)
            .join(report_observables, report_observables.c.observable_id == observables.c.id)
            .join(reports, reports.c.id == report_observables.c.report_id)
            .join(clusters, clusters.c.id == reports.c.cluster_id)
            .where(clusters.c.cross_border.is_(True), observables.c.report_count > 1)
            .distinct()
            .order_by(observables.c.ref)
        ).all()
    with engine.begin() as c:
        for kind, ref, agency in bridges:
            warninglists.add(c, agency=agency, obs=Observable(Kind(kind), ref.split(":", 1)[1]))
    with engine.connect() as c:
        after = Reads(c, Reader.system(), settings).status()["cross_border_clusters"]
    assert after < before
    _assert_status_is_the_scan(engine, settings)
    incremental = holdings_snapshot(engine)
    with engine.begin() as c:
        correlate.rebuild(c, settings.hub_threshold, settings.list_threshold)
    assert holdings_snapshot(engine) == incremental


def test_migration_fills_the_counters_of_an_existing_store(
    scenario: Engine, settings: Settings
) -> None:
    engine = scenario
    _new_versions(engine, settings, 3)
    with engine.connect() as c:
        before = [Reads(c, r, settings).status() for r in _readers(c)]
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as c:
        cfg.attributes["connection"] = c
        command.downgrade(cfg, "0003")  # the store as written before the counters
    with engine.begin() as c:
        cfg.attributes["connection"] = c
        command.upgrade(cfg, "head")
    with engine.connect() as c:
        assert c.execute(select(func.count()).select_from(audiences)).scalar_one() > 0
        assert [Reads(c, r, settings).status() for r in _readers(c)] == before
    _assert_status_is_the_scan(engine, settings)
    # ... and the migration's fill is what a rebuild computes
    filled = holdings_snapshot(engine)
    with engine.begin() as c:
        correlate.rebuild(c, settings.hub_threshold, settings.list_threshold)
    assert holdings_snapshot(engine) == filled


def test_a_store_without_reports_holds_nothing(engine: Engine, settings: Settings) -> None:
    with engine.connect() as c:
        assert Reads(c, Reader.system(), settings).status() == {
            "reports": 0,
            "observables": 0,
            "reports_by_country": {},
            "cross_border_clusters": 0,
        }
        assert Reads(c, Reader.public(), settings).status() == scanned_status(c, Reader.public())


def test_first_versions_that_are_revoked_count_nothing(engine: Engine, settings: Settings) -> None:
    with engine.begin() as c:
        from bersama.store.identities import add_agency

        add_agency(c, code="MY-PDRM", name="MY-PDRM", country="MY", type="police", now=NOW)
    base = ReportDraft(
        source_id="report--6f0e9a43-4a5e-4b8e-9d53-2b8f3c1d0e01",
        modified=NOW,
        observables=(Observable(Kind.PHONE, "+60123456789"),),
        marking=Marking(TLP.CLEAR),
    )
    with engine.begin() as c:
        ingest(
            c, settings, agency="MY-PDRM", items=[replace(base, revoked=True)],
            source_format="test", source="test", actor=Reader(agency="MY-PDRM", user="a@x"),
        )
    with engine.connect() as c:
        got = Reads(c, Reader.system(), settings).status()
        assert got == scanned_status(c, Reader.system())
    assert got["reports"] == got["observables"] == 0


def test_new_audiences_are_named_in_token_order(engine: Engine) -> None:
    """The same input names its new audiences with the same ids in every process (a
    set's iteration order changes with string hashing): ids follow the tokens' order."""
    sets = [("agency:TH-X", "user:a@x"), ("group:asean",), ("agency:MY-X",), ("tlp:clear",)]
    with engine.begin() as conn:
        ids = holdings.Audiences(conn).ids_of(reversed(sets))
    ordered = sorted(sets)
    assert [ids[t] for t in ordered] == sorted(ids.values())
