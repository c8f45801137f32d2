"""Storing cluster views behind the reads, in a helper process under `bersama serve`.

WHY: a check of a cluster without a stored view fetches the cluster whole and
offers it here; storing its views (`summaries.write`: the "" row and every
agency's) costs tens of rows and a second snapshot.  Done by a thread of the
API process, that Python work held the GIL in 5 ms slices while request
threads waited for it after each database call: at 1M observables with no
views stored, check p99 over HTTP was 18-26 ms with the thread and 9.9 ms with
no writer at all (benchmarks/RESULTS.md, session 10).  So the server's writer
forwards offers to a child process (`bersama.childproc`) that writes them on
the other core; the API process only queues and frames them.

The child writes at most `CHILD_BATCH` clusters per transaction: a database has
one writer at a time, and a check that appends an audit row waits for the
views writer to commit.

The child starts at the first offer (most processes never make one), and if it
cannot start or dies, the thread writes in-process as before, with a warning.
Views are a cache: offers dropped on a full queue or lost with a dead child are
offered again by the next read of that cluster.

The same writer stores the per-observable summaries checks computed
(store/observable_summaries.py), offered as finished rows: the read that computed one
had every link in hand, so writing it costs an insert, not another read.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import subprocess
import sys
import threading
from collections.abc import Iterable
from typing import IO

import orjson
from sqlalchemy import Engine

from bersama.childproc import read_frame, spawn, write_frame
from bersama.store import observable_summaries
from bersama.store.clusterviews import SNAPSHOTS
from bersama.store.summaries import CHUNK, write

log = logging.getLogger(__name__)

Offer = tuple[int, int, frozenset[str]]
"""(cluster id, stamp, the reader's tokens)"""
Item = Offer | observable_summaries.Row
"""What the queue holds: a cluster's offer (three fields) or an observable's summary."""

CHILD_BATCH = 32
"""Clusters per transaction in the child (about 40 rows each with every agency's view)."""
VALUE_SUMMARIES = 2000
"""Value summaries per transaction at most (a row each: tens of milliseconds of the
database's one writer, which a check's audit row may be waiting for)."""
FRAME_OFFERS = 1000
"""Offers per frame to the child at most."""
_MODULE = "bersama.store.summary_writer"


def _separate_database(engine: Engine) -> bool:
    """Can another process open this database?  (Not an in-memory SQLite one.)"""
    url = engine.url
    return url.get_backend_name() != "sqlite" or (
        bool(url.database) and "memory" not in (url.database or "")
    )


class SummaryWriter:
    """A daemon thread that stores the views of clusters reads had to fetch whole.

    Reads `offer` (cluster id, stamp, reader tokens) triples; the thread writes the
    cluster's "" row, every agency's row and the row of that reader's signature, in
    batches, in its own transactions -- or, with `process=True`, hands them to a child
    process that does.  A full queue drops offers: a later read offers them again.
    """

    def __init__(
        self, engine: Engine, top_n: int, *, process: bool = False, batch: int = CHUNK,
        max_queued: int = 100_000,
    ) -> None:
        self.engine = engine
        self.top_n = top_n
        self.process = process and _separate_database(engine)
        self.batch = batch
        self._queue: queue.Queue[Item] = queue.Queue(max_queued)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.child: subprocess.Popen[bytes] | None = None
        """The helper process, once started."""

    @property
    def engine_key(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def offer(self, items: Iterable[Item]) -> None:
        """Queue cluster offers or observable summaries (dropped when the queue is full)."""
        for item in items:
            try:
                self._queue.put_nowait(item)
            except queue.Full:
                return

    def start(self) -> SummaryWriter:
        if self._thread is None:
            _WRITERS[self.engine_key] = self
            self._thread = threading.Thread(target=self._run, name="cluster-summaries", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if _WRITERS.get(self.engine_key) is self:
            del _WRITERS[self.engine_key]
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def drain(self) -> int:
        """Write what was offered so far, up to a batch (the thread's loop body); return
        the rows written."""
        stamps: dict[int, int] = {}
        readers: dict[int, set[frozenset[str]]] = {}
        rows: list[observable_summaries.Row] = []
        while len(stamps) < self.batch and len(rows) < VALUE_SUMMARIES:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if len(item) == 3:
                cid, stamp, tokens = item
                stamps[cid] = stamp
                readers.setdefault(cid, set()).add(tokens)
            else:
                rows.append(item)
        if not stamps and not rows:
            return 0
        with self.engine.begin() as conn:
            snaps = SNAPSHOTS.load(conn, self.engine_key, stamps.items())
            written = write(
                conn, {c: (st, snaps[c]) for c, st in stamps.items()}, self.top_n, readers
            )
            return written + observable_summaries.write(conn, rows)

    def _run(self) -> None:
        if self.process:
            self._forward()
        while not self._stop.is_set():
            try:
                if not self.drain():
                    self._stop.wait(1.0)
            except Exception:  # a background cache must never take the server down
                log.exception("writing cluster summaries failed; retrying later")
                self._stop.wait(5.0)

    # ---- the helper process -------------------------------------------------------

    def _next_frame(self) -> list[Item] | None:
        """The offers of the next frame, waiting for the first; None once stopped."""
        while not self._stop.is_set():
            try:
                first = self._queue.get(timeout=0.5)
            except queue.Empty:
                continue
            items = [first]
            while len(items) < FRAME_OFFERS:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            return items
        return None

    def _forward(self) -> None:
        """Hand offers to the child until stopped; return early (to write in-process)
        if the child cannot start or stops reading."""
        items = self._next_frame()
        if items is None:
            return
        try:
            child = self.child = spawn(_MODULE)
        except OSError as exc:
            log.warning("cannot start the cluster views helper (%s); writing in-process", exc)
            self.offer(items)
            return
        stdin = child.stdin
        assert stdin is not None  # noqa: S101 - opened with PIPE
        url = self.engine.url.render_as_string(hide_password=False)
        try:
            write_frame(stdin, orjson.dumps({"url": url, "top_n": self.top_n}))
            while items is not None:
                write_frame(stdin, orjson.dumps([_framed(item) for item in items]))
                items = self._next_frame()
        except OSError as exc:  # the child died: its thread takes over here
            log.warning("the cluster views helper stopped (%s); writing in-process", exc)
            if items:
                self.offer(items)
        finally:
            with contextlib.suppress(OSError):
                stdin.close()
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


_WRITERS: dict[str, SummaryWriter] = {}


def offer(engine_key: str, items: Iterable[Offer]) -> None:
    """Hand (cluster id, stamp, reader tokens) to the running writer of that database."""
    writer = _WRITERS.get(engine_key)
    if writer is not None:
        writer.offer(items)


def writing(engine_key: str) -> bool:
    """Is a writer running for that database (are offers worth making)?"""
    return engine_key in _WRITERS


def offer_summaries(engine_key: str, rows: Iterable[observable_summaries.Row]) -> None:
    """Hand observable summaries a check computed to the running writer of that database."""
    writer = _WRITERS.get(engine_key)
    if writer is not None:
        writer.offer(rows)


def _framed(item: Item) -> list[object]:
    if len(item) == 3:
        cid, stamp, tokens = item
        return [cid, stamp, sorted(tokens)]
    return list(item)


def _unframed(item: list[object]) -> Item:
    if len(item) == 3:
        cid, stamp, tokens = item
        return int(cid), int(stamp), frozenset(tokens)  # type: ignore[call-overload]
    return tuple(item)  # type: ignore[return-value]


def serve_child(stdin: IO[bytes]) -> None:
    """The helper's loop: a first frame with the database URL and top N, then frames of
    offers, written by an in-process writer here until the parent closes the pipe."""
    from bersama.store.db import make_engine

    first = read_frame(stdin)
    if first is None:
        return
    config = orjson.loads(first)
    engine = make_engine(config["url"])
    writer = SummaryWriter(engine, int(config["top_n"]), batch=CHILD_BATCH).start()
    try:
        while (frame := read_frame(stdin)) is not None:
            writer.offer(_unframed(item) for item in orjson.loads(frame))
    finally:
        writer.stop()
        engine.dispose()


if __name__ == "__main__":  # the helper process (see `SummaryWriter._forward`)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    serve_child(sys.stdin.buffer)
