"""Building answer sets ahead of the first query.

Encrypting a million held refs takes minutes (one elliptic-curve multiplication
each), longer than any sensible HTTP timeout, so a node must not wait for the
first peer query to build.  `warm` builds (or updates with a delta) the cached
generation of every peer agency now: `bersama psi warm` runs it once, and
`Warmer`, started by the server, runs it in a background thread every
`Settings.psi_warm_interval_seconds`, so after an ingest the next query finds
its encoding ready.  A check that finds nothing changed costs a few aggregate
queries; the build lock in `bersama.store.psi` stops a query and the warmer
from building the same generation twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, or_, select

from bersama.errors import NotFound
from bersama.psi.service import _utcnow
from bersama.store import psi as store_psi
from bersama.store.identities import peer_reader
from bersama.store.tables.core import agencies
from bersama.store.tables.federation import peers

log = logging.getLogger("bersama.psi.warm")


@dataclass(frozen=True)
class Warmed:
    agency: str
    generation: str
    items: int
    setup_bytes: int
    seconds: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def peer_agencies(conn: Connection) -> list[str]:
    """Agencies that may ask this node: those with a peer record or flagged as peers."""
    q = select(agencies.c.code).where(or_(
        agencies.c.is_peer.is_(True), agencies.c.code.in_(select(peers.c.agency))
    )).order_by(agencies.c.code)
    return [str(r[0]) for r in conn.execute(q)]


def warm(
    engine: Engine, only: Sequence[str] | None = None, *, workers: int = 1,
    now: Callable[[], datetime] = _utcnow,
) -> list[Warmed]:
    """Bring the answer set of each peer agency (or of `only`) up to date."""
    with engine.connect() as conn:
        known = peer_agencies(conn)
        wanted = list(only) if only else known
        for code in wanted:
            if conn.execute(select(agencies.c.code).where(agencies.c.code == code)).first() is None:
                raise NotFound(f"no agency {code!r}", field="agency", value=code)
        readers = [peer_reader(conn, code) for code in wanted]
    out = []
    for reader in readers:
        t0 = time.perf_counter()
        gen = store_psi.current_generation(engine, reader, now, workers=workers)
        out.append(Warmed(str(reader.agency), gen.tag, gen.items,
                          sum(len(s) for s in gen.segments), round(time.perf_counter() - t0, 3)))
    return out


class Warmer:
    """A daemon thread that keeps every peer agency's answer set current."""

    def __init__(self, engine: Engine, interval: float, workers: int = 1) -> None:
        self._engine = engine
        self._interval = interval
        self._workers = workers
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._interval <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="psi-warmer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                for w in warm(self._engine, workers=self._workers):
                    log.debug("psi answer set for %s: %s items", w.agency, w.items)
            except Exception:  # a background job must survive a bad moment (logged)
                log.exception("building PSI answer sets failed; retrying later")
            self._stop.wait(self._interval)
