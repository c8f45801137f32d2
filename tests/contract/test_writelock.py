"""Writers at the same moment, on SQLite and PostgreSQL (store/writelock.py).

Two agencies reporting one campaign at once, and an upload retried while the first
is still being ingested, must both land as if one came after the other; a writer
that waits longer than the node allows is told to retry, with nothing written; two
admins adding the same agency, group or user at once get one row and a Conflict;
two API workers storing the same cluster view at once both succeed; a batch that
began before another but committed after it is still after it in TAXII's order.
Each test holds one batch open on a connection while a second runs in a thread,
then commits the first.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection, Engine, func, select
from tests.contract.holdings import holdings_snapshot

from bersama.config import Settings
from bersama.errors import Busy, Conflict
from bersama.federation.protocol import Filters
from bersama.ingest.model import ReportDraft
from bersama.ingest.pipeline import IngestResult, ingest
from bersama.markings import TLP, Marking, Reader, Role
from bersama.observables import Observable, domain, phone
from bersama.store import correlate, summaries, taxii, writelock
from bersama.store.clusterviews import SNAPSHOTS
from bersama.store.identities import add_agency, add_group, add_user
from bersama.store.tables.core import cluster_summaries, clusters, reports, stix_objects

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def _setup(engine: Engine) -> None:
    with engine.begin() as c:
        for code, cc in (("MY-PDRM", "MY"), ("SG-SPF", "SG"), ("TH-TCSD", "TH")):
            add_agency(c, code=code, name=code, country=cc, type="police", now=NOW)


def _draft(*obs: Observable) -> ReportDraft:
    return ReportDraft(source_id=f"report--{uuid.uuid4()}", modified=NOW, observables=obs,
                       marking=Marking(TLP.GREEN))


def _run(conn: Connection, settings: Settings, agency: str, drafts: list[ReportDraft]
         ) -> IngestResult:
    return ingest(conn, settings, agency=agency, items=drafts, source_format="test",
                  source="test", actor=Reader(agency=agency, user="a@x", role=Role.ANALYST))


def _while_open(engine: Engine, first: Callable[[Connection], object],
                second: Callable[[], object]) -> list[object]:
    """Run `first` in an open transaction, start `second` in a thread, then commit the
    first; return what the second returned or raised."""
    out: list[object] = []

    def run() -> None:
        try:
            out.append(second())
        except Exception as exc:  # the test inspects it
            out.append(exc)

    with engine.connect() as a:
        with a.begin():
            first(a)
            thread = threading.Thread(target=run)
            thread.start()
            thread.join(0.5)  # the second reaches the lock (or would race) meanwhile
        thread.join(60)
    assert not thread.is_alive()
    return out


def _state(engine: Engine) -> tuple[object, ...]:
    with engine.connect() as c:
        reps = c.execute(select(reports.c.id, reports.c.cluster_id).order_by(reports.c.id)).all()
        cls = c.execute(select(clusters.c.id, clusters.c.size, clusters.c.countries,
                               clusters.c.cross_border).order_by(clusters.c.id)).all()
    return [tuple(r) for r in reps], [tuple(r) for r in cls], holdings_snapshot(engine)


def test_two_batches_growing_one_cluster_at_once_both_land(
        engine: Engine, settings: Settings) -> None:
    _setup(engine)
    known = phone("+60123456789", "MY")
    other = phone("+60198765432", "MY")
    with engine.begin() as c:
        _run(c, settings, "MY-PDRM", [_draft(known, other)])

    def second() -> IngestResult:
        with engine.begin() as c:
            return _run(c, settings, "TH-TCSD", [_draft(other, domain("b-pay.xyz"))])

    got = _while_open(
        engine, lambda a: _run(a, settings, "SG-SPF", [_draft(known, domain("a-pay.xyz"))]),
        second)
    assert isinstance(got[0], IngestResult), got
    assert got[0].accepted == 1
    incremental = _state(engine)
    assert incremental[1] == [(1, 3, ["MY", "SG", "TH"], True)]
    with engine.begin() as c:
        correlate.rebuild(c, settings.hub_threshold, settings.list_threshold)
    assert _state(engine) == incremental


def test_an_upload_retried_while_the_first_runs_changes_nothing(
        engine: Engine, settings: Settings) -> None:
    _setup(engine)
    draft = _draft(phone("+6591234567", "SG"), domain("retry-pay.xyz"))

    def second() -> IngestResult:
        with engine.begin() as c:
            return _run(c, settings, "SG-SPF", [draft])

    got = _while_open(engine, lambda a: _run(a, settings, "SG-SPF", [draft]), second)
    assert isinstance(got[0], IngestResult), got
    assert (got[0].accepted, got[0].unchanged) == (0, 1)
    with engine.connect() as c:
        assert c.execute(select(func.count()).select_from(reports)).scalar_one() == 1


def test_a_writer_kept_waiting_too_long_is_told_busy_and_writes_nothing(
        engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    _setup(engine)
    monkeypatch.setattr(writelock, "WRITE_WAIT_MS", 200)  # PostgreSQL's wait for the lock

    def second() -> IngestResult:
        with engine.begin() as c:
            if c.dialect.name == "sqlite":
                c.exec_driver_sql("PRAGMA busy_timeout=200")  # SQLite's wait, per connection
            return _run(c, settings, "TH-TCSD", [_draft(phone("+66812345678", "TH"))])

    got = _while_open(
        engine, lambda a: _run(a, settings, "SG-SPF", [_draft(phone("+6591234567", "SG"))]),
        second)
    assert isinstance(got[0], Busy), got
    assert got[0].retry_after > 0
    assert "retry later" in got[0].detail
    with engine.connect() as c:
        agencies = c.execute(select(reports.c.agency)).scalars().all()
    assert agencies == ["SG-SPF"]


@pytest.mark.parametrize("what", ["agency", "group", "user"])
def test_the_same_name_added_twice_at_once_is_one_row_and_a_conflict(
        engine: Engine, what: str) -> None:
    _setup(engine)
    add: Callable[[Connection], object] = {
        "agency": lambda c: add_agency(c, code="VN-A05", name="A05", country="VN",
                                       type="police", now=NOW),
        "group": lambda c: add_group(c, name="mekong", agencies_=["TH-TCSD"], now=NOW),
        "user": lambda c: add_user(c, email="ana@x.my", agency="MY-PDRM", role="analyst",
                                   now=NOW),
    }[what]

    def second() -> object:
        with engine.begin() as c:
            return add(c)

    got = _while_open(engine, add, second)
    assert isinstance(got[0], Conflict), got
    assert "already exists" in got[0].detail


def test_two_writers_storing_one_cluster_view_at_once_both_succeed(
        engine: Engine, settings: Settings) -> None:
    _setup(engine)
    known = phone("+60123456789", "MY")
    with engine.begin() as c:
        _run(c, settings, "MY-PDRM", [_draft(known), _draft(known)])
        cid, stamp = c.execute(select(clusters.c.id, clusters.c.stamp)).one()
    top = settings.cluster_top_observables

    def write(conn: Connection) -> int:
        return summaries.write(conn, {cid: (stamp, SNAPSHOTS.fetch(conn, [cid])[cid])}, top)

    def second() -> int:
        with engine.begin() as c:
            return write(c)

    got = _while_open(engine, write, second)
    assert isinstance(got[0], int), got
    with engine.connect() as c:
        rows = c.execute(select(cluster_summaries.c.signature, cluster_summaries.c.stamp)).all()
    assert len(rows) == len({r[0] for r in rows}) > 0
    assert {r[1] for r in rows} == {stamp}


def test_a_batch_committed_after_another_is_added_after_it(
        engine: Engine, settings: Settings) -> None:
    """A TAXII client polls with `added_after` the last `date_added` it was served (as
    peers do: federation/client.py), and a `next` cursor resumes after it too; so a
    batch's objects must be added after everything committed before them.  The first
    batch here reads the clock as it begins, then the second runs whole before the first
    writes (on PostgreSQL the first waits for the lock while it parses; the soak saw it
    under four concurrent uploads): the first's objects were stamped with its start,
    before the second's, and a client that had polled the second never received them."""
    _setup(engine)
    ticks = itertools.count()

    def clock() -> datetime:
        return NOW + timedelta(seconds=next(ticks))

    early = _draft(phone("+6591234567", "SG"))
    late = _draft(phone("+66812345678", "TH"))

    def first_clock() -> datetime:
        began = clock()
        if began == NOW:  # the first reading: the second batch runs now, whole
            with engine.begin() as c:
                ingest(c, settings, agency="TH-TCSD", items=[late], source_format="test",
                       source="test", actor=Reader(agency="TH-TCSD", user="a@x",
                                                   role=Role.ANALYST), clock=clock)
        return began

    with engine.begin() as c:
        ingest(c, settings, agency="SG-SPF", items=[early], source_format="test",
               source="test", actor=Reader(agency="SG-SPF", user="a@x", role=Role.ANALYST),
               clock=first_clock)
    with engine.connect() as c:
        polled = c.execute(select(func.max(stix_objects.c.date_added)).where(
            stix_objects.c.object_id == late.source_id)).scalar_one()
        after = taxii.page(c, Reader.system(), None, Filters(added_after=polled, limit=100))
    assert early.source_id in {r.object_id for r in after.rows}
