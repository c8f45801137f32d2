"""The server's cluster views writer (`store/summary_writer.py`) stores what reads offered
from a helper process, and keeps storing it in-process when that process cannot start
or dies: views are a cache the checks' latency depends on, never their answers."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, func, select
from tests.integration.reports import load_scenario

from bersama.config import Settings
from bersama.markings import Reader
from bersama.observables import Observable
from bersama.store import summary_writer
from bersama.store.clusterviews import SNAPSHOTS
from bersama.store.queries import Reads
from bersama.store.summaries import SUMMARIES
from bersama.store.summary_writer import SummaryWriter
from bersama.store.tables.core import cluster_summaries


@pytest.fixture
def values(engine: Engine, settings: Settings, tmp_path: Path) -> list[Observable]:
    values = load_scenario(engine, settings, tmp_path / "s", 5, 300)
    with engine.begin() as c:
        c.execute(delete(cluster_summaries))
    return values


def _check(engine: Engine, settings: Settings, values: list[Observable]) -> None:
    """Checks that find no stored views and so offer their clusters to the writer."""
    SNAPSHOTS.clear()
    SUMMARIES.clear()
    with engine.connect() as c:
        Reads(c, Reader.system(), settings).check_many(values)


def _stored(engine: Engine) -> int:
    with engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(cluster_summaries)).scalar_one())


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 60  # a bound on a busy machine, not a speed assertion
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within 60 s")
        time.sleep(0.1)


def test_views_are_stored_by_the_helper_process(
    engine: Engine, settings: Settings, values: list[Observable]
) -> None:
    writer = SummaryWriter(engine, settings.cluster_top_observables, process=True).start()
    try:
        assert writer.child is None  # started by the first offer, not before
        _check(engine, settings, values[:40])
        _wait_for(lambda: _stored(engine) > 0, "views stored")
        assert writer.child is not None
        assert writer.child.poll() is None
    finally:
        writer.stop()
    assert writer.child.returncode == 0  # it leaves when the server closes its pipe


def test_the_thread_writes_when_the_helper_cannot_start(
    engine: Engine, settings: Settings, values: list[Observable],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_process(module: str) -> None:
        raise OSError(f"cannot start {module}")

    monkeypatch.setattr(summary_writer, "spawn", no_process)
    writer = SummaryWriter(engine, settings.cluster_top_observables, process=True).start()
    try:
        _check(engine, settings, values[:40])
        _wait_for(lambda: _stored(engine) > 0, "views stored in-process")
        assert writer.child is None
    finally:
        writer.stop()


def test_the_thread_takes_over_when_the_helper_dies(
    engine: Engine, settings: Settings, values: list[Observable]
) -> None:
    writer = SummaryWriter(engine, settings.cluster_top_observables, process=True).start()
    try:
        _check(engine, settings, values[:20])
        _wait_for(lambda: _stored(engine) > 0, "views stored by the helper")
        assert writer.child is not None
        writer.child.kill()
        writer.child.wait()
        before = _stored(engine)
        # Offers keep coming; the first frame the dead child cannot take is written here.
        _wait_for(
            lambda: _check(engine, settings, values[20:]) or _stored(engine) > before,
            "views stored after the helper died",
        )
    finally:
        writer.stop()


def test_an_in_memory_database_is_written_in_process(settings: Settings) -> None:
    from bersama.store.db import make_engine

    engine = make_engine("sqlite://")
    assert not SummaryWriter(engine, settings.cluster_top_observables, process=True).process
    engine.dispose()
