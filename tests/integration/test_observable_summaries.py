"""Stored observable summaries (`store/observable_summaries.py`) change how fast a check
answers, never what.

Readers with different rights check every value of a generated scenario (every TLP,
sharing groups, recipients, owners hinting at their AMBER reports in each way) with no
stored summaries, then again once the summaries their checks computed are stored:
answers, hints and audited reads must be identical for every reader, including those
who may read only some of a value's reports.  A value whose links change afterwards (a
new report, a warninglist entry, a hub) is answered from its links again, and a changed
hint setting shows at once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, func, select
from tests.integration.reports import add_report, load_scenario
from tests.integration.test_cluster_summaries import _readers

from bersama.config import Settings
from bersama.errors import InvalidInput
from bersama.markings import TLP, Reader, Role
from bersama.observables import Kind, Observable
from bersama.store import warninglists
from bersama.store.clusterviews import SNAPSHOTS
from bersama.store.identities import add_agency
from bersama.store.queries import Reads, summarise_observables
from bersama.store.summaries import SUMMARIES
from bersama.store.summary_writer import SummaryWriter
from bersama.store.tables.core import (
    agencies,
    observable_summaries,
    observables,
    report_observables,
    reports,
)

NOW = datetime(2026, 11, 20, tzinfo=UTC)


@pytest.fixture
def loaded(engine: Engine, settings: Settings, tmp_path: Path) -> list[Observable]:
    values = load_scenario(engine, settings, tmp_path / "s", 11, 600)
    with engine.begin() as c:
        codes = sorted(c.execute(select(agencies.c.code)).scalars())
        for i, code in enumerate(codes):  # owners hint at hidden AMBER reports in every way
            hint = ("none", "count", "agency")[i % 3]
            c.execute(agencies.update().where(agencies.c.code == code).values(hint_amber=hint))
    unknown = [Observable(Kind.PHONE, "+60199999999"), Observable(Kind.DOMAIN, "unknown.example")]
    return values + unknown


def _answers(
    engine: Engine, settings: Settings, reader: Reader, values: list[Observable]
) -> tuple[list[dict[str, Any]], set[str], int]:
    """Answers, audited reads, and how many values a stored summary answered."""
    SNAPSHOTS.clear()
    SUMMARIES.clear()
    with engine.connect() as c:
        reads = Reads(c, reader, settings, now=NOW)
        whole, partial, _ = reads._lookup(sorted({v.ref for v in values}))
        return reads.check_many(values), reads.sensitive_reads, len(whole) + len(partial)


def _store_what_checks_compute(
    engine: Engine, settings: Settings, readers: list[Reader], values: list[Observable]
) -> int:
    writer = SummaryWriter(engine, settings.cluster_top_observables).start()
    try:
        for reader in readers:
            _answers(engine, settings, reader, values)
    finally:
        writer.stop()
    while writer.drain():
        pass
    return _count(engine)


def _count(engine: Engine) -> int:
    with engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(observable_summaries)).scalar_one())


def test_stored_summaries_give_the_same_answers_to_every_reader(
    engine: Engine, settings: Settings, loaded: list[Observable]
) -> None:
    readers = _readers(engine)
    before = [_answers(engine, settings, r, loaded) for r in readers]
    assert all(used == 0 for _, _, used in before)
    stored = _store_what_checks_compute(engine, settings, readers, loaded)
    assert 0 < stored < len(loaded)  # hubs, warninglisted and unknown values have none
    after = [_answers(engine, settings, r, loaded) for r in readers]
    for reader, (old, old_audit, _), (new, new_audit, _) in zip(
        readers, before, after, strict=True
    ):
        assert new == old, reader
        assert new_audit == old_audit, reader
    assert all(n == stored for _, _, n in after), "every reader is answered from them"
    system = after[0][0]
    partial = [
        reader
        for reader, (answers, _, _) in zip(readers, after, strict=True)
        if any(
            0 < a["reports"] != s["reports"] for a, s in zip(answers, system, strict=True)
        )
    ]
    assert partial, "some reader sees only some of a value's reports (figures merged)"
    assert any("hidden" in a for answers, _, _ in after for a in answers), "hints shown"
    assert any(audit for _, audit, _ in after[1:]), "AMBER reads are audited from summaries"


def _cut(
    engine: Engine, settings: Settings, reader: Reader, values: list[Observable], top: int
) -> list[dict[str, Any]]:
    SNAPSHOTS.clear()
    SUMMARIES.clear()
    with engine.connect() as c:
        return Reads(c, reader, settings, now=NOW, top=top).check_many(values)


def test_top_cuts_the_cluster_lists_and_nothing_else(
    engine: Engine, settings: Settings, loaded: list[Observable]
) -> None:
    readers = [r for r in _readers(engine) if r.agency is not None or r.is_system][:3]
    for stored in (False, True):  # from the links and snapshots, then from stored rows
        if stored:
            _store_what_checks_compute(engine, settings, readers, loaded)
        for reader in readers:
            full = _answers(engine, settings, reader, loaded)[0]
            listed = [a for a in full if a["cluster"] and len(a["cluster"]["observables"]) > 3]
            assert listed, reader
            for top in (3, 0):
                cut = _cut(engine, settings, reader, loaded, top)
                for a, b in zip(full, cut, strict=True):
                    if a["cluster"] is None:
                        assert b == a
                        continue
                    assert b["cluster"]["observables"] == a["cluster"]["observables"][:top]
                    assert {**b, "cluster": None} == {**a, "cluster": None}
                    assert {**b["cluster"], "observables": []} == {
                        **a["cluster"], "observables": []}
    with engine.connect() as c:
        for top in (-1, settings.cluster_top_observables + 1):
            with pytest.raises(InvalidInput) as err:
                Reads(c, Reader.system(), settings, top=top)
            assert err.value.field == "top"


def test_a_changed_hint_setting_shows_at_once(
    engine: Engine, settings: Settings, loaded: list[Observable]
) -> None:
    readers = _readers(engine)
    _store_what_checks_compute(engine, settings, readers[:1], loaded)
    with engine.begin() as c:
        c.execute(agencies.update().values(hint_amber="agency"))
    after = [_answers(engine, settings, r, loaded) for r in readers]
    with engine.begin() as c:
        c.execute(delete(observable_summaries))
    links = [_answers(engine, settings, r, loaded) for r in readers]
    assert [a[:2] for a in after] == [b[:2] for b in links]
    assert any("agencies" in a.get("hidden", {}) for answers, _, _ in after for a in answers)


def test_correlate_summaries_stores_every_linkable_value_once(
    engine: Engine, settings: Settings, loaded: list[Observable]
) -> None:
    readers = [r for r in _readers(engine) if r.agency is not None or r.is_system][:3]
    before = [_answers(engine, settings, r, loaded) for r in readers]
    stored = sum(summarise_observables(engine, settings))
    listed = (  # named by a list report: their reports span clusters, so never stored
        select(report_observables.c.observable_id)
        .join(reports, reports.c.id == report_observables.c.report_id)
        .where(reports.c.links.is_(False), reports.c.revoked.is_(False))
    )
    with engine.connect() as c:
        linked = c.execute(
            select(func.count()).select_from(observables).where(
                observables.c.report_count > 0,
                observables.c.is_hub.is_(False),
                observables.c.warninglist.is_(None),
                observables.c.id.not_in(listed),
            )
        ).scalar_one()
        assert c.execute(select(func.count()).select_from(listed.subquery())).scalar_one() > 0
    assert stored == _count(engine) == linked
    assert sum(summarise_observables(engine, settings)) == 0  # every one is current
    after = [_answers(engine, settings, r, loaded) for r in readers]
    assert [a[:2] for a in after] == [b[:2] for b in before]
    assert after[0][2] == stored  # the system reader is answered from every one


def test_a_reader_who_may_read_some_reports_sees_only_theirs(
    engine: Engine, settings: Settings
) -> None:
    with engine.begin() as c:
        for code, cc in (("MY-PDRM", "MY"), ("TH-TCSD", "TH")):
            add_agency(c, code=code, name=code, country=cc, type="police", now=NOW)
    phone = Observable(Kind.PHONE, "+60123000001")
    add_report(engine, settings, "MY-PDRM", [phone], TLP.GREEN)
    add_report(engine, settings, "TH-TCSD", [phone], TLP.AMBER)
    add_report(engine, settings, "TH-TCSD", [phone], TLP.RED)
    my = Reader(agency="MY-PDRM", user="a@my", role=Role.ANALYST)
    expected = _answers(engine, settings, my, [phone])
    assert expected[0][0]["reports"] == 2  # GREEN and (community) AMBER
    assert "hidden" not in expected[0][0]  # RED is never hinted at
    assert _store_what_checks_compute(engine, settings, [Reader.system()], [phone]) == 1
    system = _answers(engine, settings, Reader.system(), [phone])
    assert system[2] == 1
    assert system[0][0]["reports"] == 3
    assert system[1] == {f"report:{r}" for r in (2, 3)}  # AMBER and RED read, audited
    got = _answers(engine, settings, my, [phone])
    assert got[:2] == expected[:2]  # the figures of what MY may read, from the summary
    assert got[2] == 1


def test_a_value_whose_links_changed_is_answered_from_its_links(
    engine: Engine, settings: Settings
) -> None:
    settings = settings.model_copy(update={"hub_threshold": 3})
    with engine.begin() as c:
        add_agency(c, code="MY-PDRM", name="PDRM", country="MY", type="police", now=NOW)
        add_agency(c, code="SG-SPF", name="SPF", country="SG", type="police", now=NOW)
    a, b, c_ = (Observable(Kind.PHONE, f"+6012300000{i}") for i in (1, 2, 3))
    add_report(engine, settings, "MY-PDRM", [a, b], TLP.GREEN)
    add_report(engine, settings, "MY-PDRM", [b, c_], TLP.GREEN)
    values = [a, b, c_]
    system = Reader.system()

    def unchanged_by_summaries() -> list[dict[str, Any]]:
        """Answer from stored summaries, and check that the links give the same."""
        _store_what_checks_compute(engine, settings, [system], values)
        got, _, used = _answers(engine, settings, system, values)
        with engine.begin() as c:
            c.execute(delete(observable_summaries))
        assert _answers(engine, settings, system, values)[0] == got
        return [dict(g, used=used) for g in got]

    first = unchanged_by_summaries()
    assert [g["used"] for g in first] == [3, 3, 3]
    assert first[1]["reports"] == 2

    # A new report from another country links `b`: its summary's stamp is stale.
    _store_what_checks_compute(engine, settings, [system], values)
    add_report(engine, settings, "SG-SPF", [b], TLP.GREEN)
    got, _, used = _answers(engine, settings, system, values)
    assert used == 0
    assert got[1]["reports"] == 3
    assert got[1]["countries"] == ["MY", "SG"]
    assert unchanged_by_summaries()[1]["reports"] == 3

    # `b` on a warninglist: it stops linking, and it is never answered from a summary.
    _store_what_checks_compute(engine, settings, [system], values)
    with engine.begin() as c:
        assert warninglists.add(c, agency="MY-PDRM", obs=b)
    got, _, used = _answers(engine, settings, system, values)
    assert used == 0
    assert got[1]["warninglist"] == "agency:MY-PDRM"
    assert got[1]["cluster"] is None
    assert got[0]["cluster"]["size"] == 1
    assert [g["used"] for g in unchanged_by_summaries()] == [2, 2, 2]

    # `a` turns into a hub (more than 3 reports).
    _store_what_checks_compute(engine, settings, [system], values)
    for _ in range(3):
        add_report(engine, settings, "SG-SPF", [a], TLP.GREEN)
    got, _, used = _answers(engine, settings, system, values)
    assert got[0]["hub"] is True
    assert used == 1  # `c` alone: its cluster did not change
    final = unchanged_by_summaries()
    assert final[0]["hub"] is True
    assert final[0]["used"] == 1
