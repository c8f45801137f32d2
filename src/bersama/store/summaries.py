"""Stored cluster views: a check reads one row per cluster instead of the cluster.

WHY: a check answers with the value's cluster as the reader may see it
(`clusterviews.py`).  Deriving that view needs every member of the cluster and
every observable of every member -- about a hundred rows for an ordinary
campaign -- and a bulk check of 10,000 random values touches thousands of
clusters, so fetching them was nearly all of its cost, on every cold start.

Most readers may read every member of most clusters (GREEN, community AMBER).
For all of them the view is the same: the one `Snapshot.view` computes for the
all-readable signature.  That view is computed once per cluster `stamp` and
stored with the cluster's distinct audiences.  A reader uses it only when
`may_read` (the one read decision) allows *every* one of those audiences;
otherwise the per-reader path in `clusterviews.py` answers, exactly as before.
So the policy is unchanged: the stored row is a cache of what that path would
compute for such a reader, keyed by the stamp that changes with the cluster.

Rows are written behind the reads (`SummaryWriter`, a daemon thread of
`bersama serve`) and by `bersama correlate --summaries`; ingest never waits for
them, so its cost still grows with what is new, not with cluster sizes.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, and_, bindparam, delete, select

from bersama.store import bulk
from bersama.store.clusterviews import SNAPSHOTS, Snapshot
from bersama.store.tables.core import cluster_summaries, clusters
from bersama.store.values import chunks

log = logging.getLogger(__name__)

CHUNK = 2000
MAX_READERS = 256
COLUMNS = ("cluster_id", "stamp", "top_n", "audiences", "view", "sensitive")

_FRESH = select(
    cluster_summaries.c.cluster_id,
    cluster_summaries.c.stamp,
    cluster_summaries.c.audiences,
    cluster_summaries.c.view,
    cluster_summaries.c.sensitive,
).where(
    cluster_summaries.c.cluster_id.in_(bindparam("cids", expanding=True)),
    cluster_summaries.c.top_n == bindparam("top_n"),
)
_STAMPS = select(clusters.c.id, clusters.c.stamp).where(
    clusters.c.id.in_(bindparam("cids", expanding=True))
)


@dataclass(frozen=True, slots=True)
class Stored:
    """A cluster's view for readers who may read all of `audiences`."""

    audiences: tuple[frozenset[str], ...]
    view: dict[str, Any]
    sensitive: tuple[str, ...]
    # Reader audience tokens -> whether they may read every audience.  `may_read`
    # depends on the reader only through its tokens, so this is exact; it spares a
    # check the `may_read` of every audience of a large cluster.
    readable_by: dict[frozenset[str], bool] = field(default_factory=dict)

    def usable_by(self, tokens: frozenset[str], may: Callable[[frozenset[str]], bool]) -> bool:
        ok = self.readable_by.get(tokens)
        if ok is None:
            if len(self.readable_by) >= MAX_READERS:
                self.readable_by.clear()
            ok = self.readable_by[tokens] = all(may(aud) for aud in self.audiences)
        return ok


def summarise(snap: Snapshot, top_n: int) -> tuple[str, str, str] | None:
    """The row values for a snapshot, or None when its members do not form one
    component (then every reader takes the per-reader path)."""
    vis = snap.view_for(tuple(True for _ in snap.audiences))
    roots = set(vis.comp.values())
    if len(roots) != 1 or len(vis.comp) != len(snap.members):
        return None
    view, sensitive = snap.view(vis, roots.pop(), top_n)
    audiences = sorted(sorted(a) for a in snap.audiences)
    return (
        orjson.dumps(audiences).decode(),
        orjson.dumps(view).decode(),
        orjson.dumps(sorted(sensitive)).decode(),
    )


def write(conn: Connection, snaps: dict[int, tuple[int, Snapshot]], top_n: int) -> int:
    """Store the summaries of (cluster id -> (stamp, snapshot)) whose cluster still has
    that stamp; return how many were written."""
    written = 0
    for part in chunks(sorted(snaps), CHUNK):
        current = dict(conn.execute(_STAMPS, {"cids": part}).all())
        rows: list[tuple[object, ...]] = []
        for cid in part:
            stamp, snap = snaps[cid]
            if current.get(cid) != stamp:
                continue  # changed since it was read: its next read will offer it again
            values = summarise(snap, top_n)
            if values is not None:
                rows.append((cid, stamp, top_n, *values))
        conn.execute(delete(cluster_summaries).where(cluster_summaries.c.cluster_id.in_(part)))
        if rows:
            bulk.insert_rows(conn, cluster_summaries, COLUMNS, rows)
        written += len(rows)
    return written


def _missing(conn: Connection, top_n: int, after: int, limit: int) -> list[tuple[int, int]]:
    """Clusters after id `after` without a summary of their current stamp."""
    s = cluster_summaries
    stmt = (
        select(clusters.c.id, clusters.c.stamp)
        .outerjoin(
            s,
            and_(
                s.c.cluster_id == clusters.c.id, s.c.stamp == clusters.c.stamp, s.c.top_n == top_n
            ),
        )
        .where(clusters.c.id > after, s.c.cluster_id.is_(None))
        .order_by(clusters.c.id)
        .limit(limit)
    )
    return [(int(c), int(st)) for c, st in conn.execute(stmt)]


def summarise_all(engine: Engine, top_n: int, batch: int = CHUNK) -> Iterator[int]:
    """Summarise every cluster that lacks a current summary, one transaction per batch;
    yields the number written per batch.  Drops the rows of clusters that are gone."""
    after = 0
    while True:
        with engine.begin() as conn:
            todo = _missing(conn, top_n, after, batch)
            if not todo:
                conn.execute(
                    delete(cluster_summaries).where(
                        cluster_summaries.c.cluster_id.not_in(select(clusters.c.id))
                    )
                )
                return
            after = todo[-1][0]
            fetched = SNAPSHOTS.fetch(conn, [c for c, _ in todo])
            yield write(conn, {c: (st, fetched[c]) for c, st in todo}, top_n)


class SummaryCache:
    """Process-wide LRU of parsed summaries, keyed by engine, cluster, stamp and top N."""

    def __init__(self, max_entries: int = 50_000) -> None:
        self.max_entries = max_entries
        self._data: OrderedDict[tuple[str, int, int, int], Stored] = OrderedDict()
        self._lock = threading.Lock()
        self._intern: dict[frozenset[str], frozenset[str]] = {}

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def load(
        self, conn: Connection, engine_key: str, wanted: dict[int, int], top_n: int
    ) -> dict[int, Stored]:
        """The current summaries of (cluster id -> stamp); absent or stale ones are left out."""
        out: dict[int, Stored] = {}
        missing: list[int] = []
        with self._lock:
            for cid, stamp in wanted.items():
                got = self._data.get((engine_key, cid, stamp, top_n))
                if got is None:
                    missing.append(cid)
                else:
                    self._data.move_to_end((engine_key, cid, stamp, top_n))
                    out[cid] = got
        fresh: list[tuple[tuple[str, int, int, int], Stored]] = []
        for part in chunks(sorted(missing), CHUNK):
            for cid, stamp, audiences, view, sensitive in conn.execute(
                _FRESH, {"cids": part, "top_n": top_n}
            ):
                if wanted[cid] != stamp:
                    continue
                stored = Stored(
                    audiences=self._audiences(orjson.loads(audiences)),
                    view=orjson.loads(view),
                    sensitive=tuple(orjson.loads(sensitive)),
                )
                out[cid] = stored
                fresh.append(((engine_key, cid, stamp, top_n), stored))
        if fresh:
            with self._lock:
                for key, stored in fresh:
                    self._data[key] = stored
                while len(self._data) > self.max_entries:
                    self._data.popitem(last=False)
        return out

    def _audiences(self, raw: Iterable[Sequence[str]]) -> tuple[frozenset[str], ...]:
        out = []
        with self._lock:
            if len(self._intern) > 100_000:
                self._intern.clear()
            for tokens in raw:
                aud = frozenset(tokens)
                out.append(self._intern.setdefault(aud, aud))
        return tuple(out)


SUMMARIES = SummaryCache()


class SummaryWriter:
    """A daemon thread that stores the summaries of clusters reads had to fetch whole.

    Reads `offer` (cluster id, stamp) pairs; the thread writes them in batches in its
    own transactions.  A full queue drops offers: a later read offers them again.
    """

    def __init__(self, engine: Engine, top_n: int, *, max_queued: int = 100_000) -> None:
        self.engine = engine
        self.top_n = top_n
        self._queue: queue.Queue[tuple[int, int]] = queue.Queue(max_queued)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def offer(self, pairs: Iterable[tuple[int, int]]) -> None:
        for pair in pairs:
            try:
                self._queue.put_nowait(pair)
            except queue.Full:
                return

    @property
    def engine_key(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

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
        """Write everything offered so far (the thread's loop body; tests call it)."""
        todo: dict[int, int] = {}
        while len(todo) < CHUNK:
            try:
                cid, stamp = self._queue.get_nowait()
            except queue.Empty:
                break
            todo[cid] = stamp
        if not todo:
            return 0
        with self.engine.begin() as conn:
            snaps = SNAPSHOTS.load(conn, self.engine_key, todo.items())
            return write(conn, {c: (st, snaps[c]) for c, st in todo.items()}, self.top_n)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if not self.drain():
                    self._stop.wait(1.0)
            except Exception:  # a background cache must never take the server down
                log.exception("writing cluster summaries failed; retrying later")
                self._stop.wait(5.0)


_WRITERS: dict[str, SummaryWriter] = {}


def offer(engine_key: str, pairs: Iterable[tuple[int, int]]) -> None:
    """Hand (cluster id, stamp) pairs to the running writer of that database, if any."""
    writer = _WRITERS.get(engine_key)
    if writer is not None:
        writer.offer(pairs)


__all__ = [
    "SUMMARIES",
    "Stored",
    "SummaryCache",
    "SummaryWriter",
    "offer",
    "summarise",
    "summarise_all",
    "write",
]
