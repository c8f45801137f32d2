"""Stored cluster views (`store/summaries.py`) change how fast a check answers, never what.

A generated scenario with every TLP, sharing groups and recipients is checked by
readers with different rights, once with no stored summaries and once with a
summary for every cluster: the answers and the audited reads must be identical,
and a reader who may not read every member of a cluster must not use its
stored view.  A cluster that changed after its summary was stored is answered
from the database again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from tests.integration.reports import add_report, load_scenario

from bersama.config import Settings
from bersama.markings import TLP, Reader, Role, reader_tokens
from bersama.observables import Kind, Observable
from bersama.store.clusterviews import SNAPSHOTS
from bersama.store.identities import groups_of
from bersama.store.queries import Reads
from bersama.store.summaries import ALL_READABLE, SUMMARIES, summarise_all
from bersama.store.summary_writer import SummaryWriter
from bersama.store.tables.core import agencies, cluster_summaries, clusters

NOW = datetime(2026, 11, 20, tzinfo=UTC)


@pytest.fixture
def loaded(engine: Engine, settings: Settings, tmp_path: Path) -> list[Observable]:
    return load_scenario(engine, settings, tmp_path / "s", 5, 800)


def _readers(engine: Engine) -> list[Reader]:
    with engine.connect() as c:
        codes = sorted(c.execute(select(agencies.c.code)).scalars())
        out = [Reader.system(), Reader.public()]
        for code in codes[:6]:
            groups = groups_of(c, code)
            out.append(Reader(agency=code, user="analyst@x", role=Role.ANALYST, groups=groups))
            out.append(Reader(agency=code, is_peer=True, groups=groups))
        out.append(
            Reader(agency=codes[0], user=f"{codes[0].lower()}-duty-officer", role=Role.ANALYST)
        )
    return out


def _answers(
    engine: Engine, settings: Settings, reader: Reader, values: list[Observable]
) -> tuple[list[dict[str, Any]], set[str], int]:
    SNAPSHOTS.clear()
    SUMMARIES.clear()
    with engine.connect() as c:
        reads = Reads(c, reader, settings, now=NOW)
        got = reads.check_many(values)
        # The same request then opens clusters it was shown (stored views are loaded).
        ids = sorted({a["cluster"]["id"] for a in got if a["cluster"] is not None})[:40]
        opened = [reads.cluster(cid) for cid in ids]
        return [*got, *opened], reads.sensitive_reads, len(reads._stored)


def test_stored_views_give_the_same_answers_to_every_reader(
    engine: Engine, settings: Settings, loaded: list[Observable]
) -> None:
    readers = _readers(engine)
    before = [_answers(engine, settings, r, loaded) for r in readers]
    assert all(used == 0 for _, _, used in before)
    written = sum(summarise_all(engine, settings.cluster_top_observables, batch=97))
    with engine.connect() as c:
        n_clusters = c.execute(select(func.count()).select_from(clusters)).scalar_one()
        n_everyone = c.execute(
            select(func.count()).select_from(cluster_summaries).where(
                cluster_summaries.c.signature == ALL_READABLE
            )
        ).scalar_one()
    # A "" row per cluster, and the rows of the agencies' signatures where they differ.
    assert n_everyone == n_clusters < written
    after = [_answers(engine, settings, r, loaded) for r in readers]
    for reader, (old, old_audit, _), (new, new_audit, _) in zip(
        readers, before, after, strict=True
    ):
        assert new == old, reader
        assert new_audit == old_audit, reader
    used = [n for _, _, n in after]
    assert used[0] > 0, "the system reader reads every stored view"
    assert min(used) < used[0], "some reader may not read every member somewhere"
    assert sum(summarise_all(engine, settings.cluster_top_observables)) == 0  # all current

    # Behind the reads, the writer stores each reader signature's views; readers with
    # partial rights then read rows too, and every answer is still the same.
    writer = SummaryWriter(engine, settings.cluster_top_observables).start()
    try:
        for reader in readers:
            _answers(engine, settings, reader, loaded)
    finally:
        writer.stop()
    while writer.drain():
        pass
    final = [_answers(engine, settings, r, loaded) for r in readers]
    for reader, (old, old_audit, _), (new, new_audit, _) in zip(
        readers, before, final, strict=True
    ):
        assert new == old, reader
        assert new_audit == old_audit, reader
    gained = [f[2] - a[2] for a, f in zip(after, final, strict=True)]
    assert max(gained) > 0, "some reader with partial rights now reads stored views"
    assert all(g >= 0 for g in gained)
    # An agency's readers (a peer holds exactly the agency's tokens) found every row they
    # use written ahead by `summarise_all`: none is gained by checking first.
    for reader, g in zip(readers, gained, strict=True):
        if reader.is_peer:
            assert g == 0, reader


def test_a_reader_never_uses_a_view_with_members_it_may_not_read(
    engine: Engine, settings: Settings
) -> None:
    from bersama.store.identities import add_agency

    with engine.begin() as c:
        for code, cc in (("MY-PDRM", "MY"), ("TH-TCSD", "TH")):
            add_agency(c, code=code, name=code, country=cc, type="police", now=NOW)
    p1, p2 = Observable(Kind.PHONE, "+60123000001"), Observable(Kind.PHONE, "+60123000002")
    # A (GREEN, MY) -p1- B (RED, TH) -p2- C (GREEN, MY): for MY, B is a hidden bridge.
    for agency, tlp, obs in (
        ("MY-PDRM", TLP.GREEN, (p1,)),
        ("TH-TCSD", TLP.RED, (p1, p2, Observable(Kind.PHONE, "+66812345678"))),
        ("MY-PDRM", TLP.GREEN, (p2,)),
    ):
        add_report(engine, settings, agency, obs, tlp)
    my = Reader(agency="MY-PDRM", user="a@my", role=Role.ANALYST)
    expected, audit, used = _answers(engine, settings, my, [p1, p2])
    assert used == 0  # no rows yet: derived from the whole cluster
    # The everyone-row (TH reads all) and MY's signature row (RED B hidden).
    assert sum(summarise_all(engine, settings.cluster_top_observables)) == 2
    assert _answers(engine, settings, my, [p1, p2]) == (expected, audit, 1)
    # Signatures are by readable audiences: tokens that open nothing here change nothing.
    other = Reader(agency="MY-PDRM", user="b@my", role=Role.ANALYST, groups=frozenset({"X"}))
    assert _answers(engine, settings, other, [p1, p2])[2] == 1
    assert [a["cluster"]["size"] for a in expected[:2]] == [1, 1]
    assert expected[0]["cluster"]["id"] != expected[1]["cluster"]["id"]
    assert all(
        o["key"] != "+66812345678" for a in expected[:2] for o in a["cluster"]["observables"]
    )
    got, _, used = _answers(engine, settings, Reader.system(), [p1])
    assert used == 1
    assert got[0]["cluster"]["size"] == 3

    # MY's own signature row keeps both visible components, each with its members.
    writer = SummaryWriter(engine, settings.cluster_top_observables)
    with engine.connect() as c:
        cid, stamp = c.execute(select(clusters.c.id, clusters.c.stamp)).one()
    writer.offer([(cid, stamp, reader_tokens(my))])
    assert writer.drain() == 2
    again, again_audit, used = _answers(engine, settings, my, [p1, p2])
    assert used == 1
    assert again == expected
    assert again_audit == audit


def test_a_changed_cluster_is_read_again_and_the_writer_stores_it(
    engine: Engine, settings: Settings, loaded: list[Observable]
) -> None:
    sum(summarise_all(engine, settings.cluster_top_observables))
    system = Reader.system()
    value = next(
        v
        for v, a in zip(loaded, _answers(engine, settings, system, loaded)[0], strict=True)
        if a["cluster"] is not None
    )
    with engine.connect() as c:
        agency = c.execute(select(agencies.c.code)).scalars().first()
    assert agency is not None
    add_report(engine, settings, agency, [value], TLP.GREEN)
    got, _, used = _answers(engine, settings, system, [value])
    assert used == 0  # stale summary ignored
    fresh = got[0]["cluster"]
    writer = SummaryWriter(engine, settings.cluster_top_observables)
    with engine.connect() as c:
        cid, stamp = c.execute(
            select(clusters.c.id, clusters.c.stamp).where(clusters.c.id == fresh["id"])
        ).one()
    writer.offer([(cid, stamp, reader_tokens(system))])
    # the cluster's row, and one per agency whose view of it differs (store/summaries.py)
    written = writer.drain()
    with engine.connect() as c:
        stored = c.execute(
            select(cluster_summaries.c.stamp).where(cluster_summaries.c.cluster_id == cid)
        ).scalars().all()
    assert written == len(stored) >= 1
    assert set(stored) == {stamp}
    again, _, used = _answers(engine, settings, system, [value])
    assert used == 1
    assert again == got


def test_correlate_summaries_command(cli_node: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from bersama.cli import context
    from bersama.cli import core as core_cli
    from bersama.store.identities import add_agency

    root = typer.Typer()
    core_cli.register(root)
    runner = CliRunner()
    with context.engine().begin() as c:
        add_agency(c, code="MY-PDRM", name="PDRM", country="MY", type="police", now=NOW)
    text = cli_node / "advisory.txt"
    text.write_text("Scam calls from 012-345 6789 and +60 12-345 6788 this week.\n")
    ok = runner.invoke(root, ["ingest", str(text), "--agency", "MY-PDRM"])
    assert ok.exit_code == 0, ok.output
    done = runner.invoke(root, ["correlate", "--summaries"])
    assert done.exit_code == 0, done.output
    assert "1 cluster summaries stored" in done.stdout
    assert "2 value summaries stored" in done.stdout
    again = runner.invoke(root, ["correlate", "--summaries"])
    assert "0 cluster summaries stored" in again.stdout
    assert "0 value summaries stored" in again.stdout
    bare = runner.invoke(root, ["correlate"])
    assert bare.exit_code != 0
    assert "--summaries" in str(bare.exception)  # cli/main.py maps it to exit code 2
