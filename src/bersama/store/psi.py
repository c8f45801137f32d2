"""Storage side of private cross-border checks: answer sets, cached setups, nonces, usage.

The answer set is read with one SQL query per segment (see
`bersama.psi.answer_set` for the policy and the rebuild plan); the expensive
encryption happens outside any write transaction and its result is written in
one short one.  A process-wide lock stops two requests from building the same
generation twice.  Callers never pass identifiers to the audit log from here:
the answering side records counts, peers and times only.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    and_,
    delete,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from bersama.errors import NotFound, Unauthenticated
from bersama.markings.model import Reader
from bersama.psi import answer_set
from bersama.psi.protocol import PsiServer, setup_segments
from bersama.store.identities import peer_reader
from bersama.store.scope import readable
from bersama.store.tables.core import (
    agencies,
    observables,
    report_observables,
    reports,
    stix_objects,
)
from bersama.store.tables.psi import (
    disclosure_requests,
    psi_generations,
    psi_nonces,
    psi_segments,
    psi_state,
    psi_usage,
)

_COUNTER = "policy_counter"
DELTA_SEQ = 1000
"""Sequence number of the delta segment; base segments are numbered from 0."""
_BUILD_LOCK = threading.Lock()


def bump_policy_version(conn: Connection) -> int:
    """Force a full rebuild of every cached answer set (call after non-additive changes
    the data aggregates cannot see: e.g. editing `report_audience` in place).  Ordinary
    ingest, re-versioning, withdrawal and deletion are detected without it."""
    row = conn.execute(select(psi_state.c.value).where(psi_state.c.name == _COUNTER)).first()
    if row is None:
        conn.execute(insert(psi_state).values(name=_COUNTER, value=1))
        return 1
    value = int(row[0]) + 1
    conn.execute(update(psi_state).where(psi_state.c.name == _COUNTER).values(value=value))
    return value


def _counter(conn: Connection) -> int:
    row = conn.execute(select(psi_state.c.value).where(psi_state.c.name == _COUNTER)).first()
    return int(row[0]) if row else 0


def _visible(reader: Reader) -> ColumnElement[bool]:
    hinting = select(agencies.c.code).where(
        agencies.c.hint_amber.in_(sorted(answer_set.HINT_REVEALING))
    )
    return or_(
        readable(reader),
        and_(reports.c.tlp.in_(sorted(answer_set.HINTABLE_TLPS)), reports.c.agency.in_(hinting)),
    )


def answer_refs(conn: Connection, reader: Reader, *, after: int, upto: int) -> list[str]:
    """Refs the asking `reader` may know exist, from reports with after < id <= upto."""
    q = (
        select(observables.c.ref)
        .distinct()
        .select_from(
            observables.join(
                report_observables, report_observables.c.observable_id == observables.c.id
            ).join(reports, reports.c.id == report_observables.c.report_id)
        )
        .where(
            reports.c.id > after,
            reports.c.id <= upto,
            reports.c.revoked.is_(False),
            _visible(reader),
        )
    )
    return [r[0] for r in conn.execute(q)]


def snapshot(conn: Connection, reader: Reader, base_upto: int | None) -> answer_set.Snapshot:
    max_id, revoked = conn.execute(
        select(func.coalesce(func.max(reports.c.id), 0),
               func.count().filter(reports.c.revoked.is_(True)))
    ).one()
    upto = int(max_id) if base_upto is None else base_upto
    cnt, modified = conn.execute(
        select(func.count(), func.max(reports.c.modified)).where(reports.c.id <= upto)
    ).one()
    hints = [(str(c), str(h)) for c, h in conn.execute(select(agencies.c.code,
                                                            agencies.c.hint_amber))]
    digest = answer_set.stable_digest(
        revoked=int(revoked), counter=_counter(conn), hints=hints, groups=reader.groups
    )
    return answer_set.Snapshot(int(max_id), int(cnt), str(modified or ""), digest)


@dataclass(frozen=True)
class Generation:
    id: int
    agency: str
    key: bytes
    segments: tuple[bytes, ...]
    items: int
    upto: int = 0
    """Highest report id the segments cover."""

    @property
    def tag(self) -> str:
        """Names the exact setup segments: a delta rebuild keeps the id, not the tag.

        Id, coverage and count alone repeat on a store restored from a backup or moved to
        another database (ids restart, the key is new): an asker holding the old setup
        took it for the current one.  A digest of the segments tells them apart."""
        digest = hashlib.sha256()
        for segment in self.segments:
            digest.update(hashlib.sha256(segment).digest())
        return f"{self.id}.{self.upto}.{len(self.segments)}.{digest.hexdigest()[:16]}"

    def server(self) -> PsiServer:
        return PsiServer(self.key)


def _load(conn: Connection, agency: str) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    gen = conn.execute(
        select(psi_generations).where(psi_generations.c.agency == agency)
        .order_by(psi_generations.c.id.desc()).limit(1)
    ).mappings().first()
    if gen is None:
        return None
    segs = conn.execute(
        select(psi_segments).where(psi_segments.c.generation_id == gen["id"])
        .order_by(psi_segments.c.seq)
    ).mappings().all()
    return dict(gen), [dict(s) for s in segs]


def _state(gen: dict[str, Any], segs: list[dict[str, Any]]) -> answer_set.GenerationState:
    return answer_set.GenerationState(
        base_upto=int(gen["base_upto"]), base_count=int(gen["base_count"]),
        base_modified=gen["base_modified"], stable_digest=gen["stable_digest"],
        covered_upto=max([int(s["upto"]) for s in segs] or [int(gen["base_upto"])]),
    )


def _generation(gen: dict[str, Any], segs: list[dict[str, Any]]) -> Generation:
    return Generation(int(gen["id"]), gen["agency"], bytes(gen["server_key"]),
                      tuple(bytes(s["setup"]) for s in segs), sum(int(s["items"]) for s in segs),
                      max([int(s["upto"]) for s in segs] or [int(gen["base_upto"])]))


def _part_sizes(n: int, parts: int) -> list[int]:
    size = -(-n // parts)
    return [min(size, n - i * size) for i in range(parts)]


def current_generation(
    engine: Engine, reader: Reader, now: Callable[[], datetime], *, workers: int = 1
) -> Generation:
    """The asking agency's current encoding, rebuilt first if the data changed.

    A full build of a large set uses `workers` processes (base segments 0..workers-1);
    a delta is always one segment, `DELTA_SEQ`."""
    agency = reader.agency
    if agency is None:
        raise Unauthenticated("private checks are answered to agencies only")
    with _BUILD_LOCK:
        with engine.connect() as conn:
            loaded = _load(conn, agency)
            state = _state(*loaded) if loaded else None
            snap = snapshot(conn, reader, state.base_upto if state else None)
            step = answer_set.plan(state, snap)
            if step is answer_set.Plan.CURRENT and loaded:
                return _generation(*loaded)
            if step is answer_set.Plan.DELTA and loaded and state:
                refs = answer_refs(conn, reader, after=state.base_upto, upto=snap.max_id)
                base_items = sum(int(g["items"]) for g in loaded[1] if g["seq"] < DELTA_SEQ)
                if answer_set.delta_too_big(len(refs), base_items):
                    step = answer_set.Plan.FULL
            if step is answer_set.Plan.FULL:
                snap = snapshot(conn, reader, None)
                refs = answer_refs(conn, reader, after=0, upto=snap.max_id)
        t0 = time.perf_counter()
        if step is answer_set.Plan.FULL:
            key = PsiServer().key
            setups = setup_segments(key, refs, workers=workers)
        else:
            assert loaded is not None  # noqa: S101 - DELTA implies a loaded generation
            key = bytes(loaded[0]["server_key"])
            setups = setup_segments(key, refs, workers=1)
        seconds = f"{time.perf_counter() - t0:.3f}"
        with engine.begin() as conn:
            if step is answer_set.Plan.FULL:
                # Retire older generations: drop their segments and forget their keys.
                old = select(psi_generations.c.id).where(psi_generations.c.agency == agency)
                conn.execute(delete(psi_segments).where(psi_segments.c.generation_id.in_(old)))
                conn.execute(update(psi_generations).where(psi_generations.c.agency == agency)
                             .values(server_key=b""))
                gen_id = conn.execute(insert(psi_generations).values(
                    agency=agency, server_key=key, base_upto=snap.max_id,
                    base_count=snap.upto_count, base_modified=snap.upto_modified,
                    stable_digest=snap.stable_digest, created_at=now(),
                )).inserted_primary_key[0]  # type: ignore[index]
                seq = 0
            else:
                assert loaded is not None  # noqa: S101
                gen_id = loaded[0]["id"]
                conn.execute(delete(psi_segments).where(
                    psi_segments.c.generation_id == gen_id, psi_segments.c.seq >= DELTA_SEQ))
                seq = DELTA_SEQ
            sizes = [len(refs)] if len(setups) == 1 else _part_sizes(len(refs), len(setups))
            conn.execute(insert(psi_segments), [{
                "generation_id": gen_id, "seq": seq + i, "upto": snap.max_id, "items": sizes[i],
                "setup": setup, "build_seconds": seconds, "built_at": now(),
            } for i, setup in enumerate(setups)])
            fresh = _load(conn, agency)
        assert fresh is not None  # noqa: S101 - just written
        return _generation(*fresh)


# ---------------------------------------------------------------- replay protection


def check_nonce(
    conn: Connection, *, peer: str, nonce: str, now: datetime, window: timedelta
) -> None:
    """Remember a request nonce; a nonce seen before inside the window is a replay."""
    conn.execute(delete(psi_nonces).where(psi_nonces.c.seen_at < now - 2 * window))
    try:
        with conn.begin_nested():
            conn.execute(insert(psi_nonces).values(nonce=nonce, peer=peer, seen_at=now))
    except IntegrityError:
        raise Unauthenticated("request replayed (nonce already used)", field="nonce") from None


# ---------------------------------------------------------------- daily usage


def used_today(
    conn: Connection, *, day: date, side: str, peer: str | None = None, agency: str | None = None
) -> int:
    q = select(func.coalesce(func.sum(psi_usage.c["items"]), 0)).where(
        psi_usage.c.day == day, psi_usage.c.side == side
    )
    if peer is not None:
        q = q.where(psi_usage.c.peer == peer)
    if agency is not None:
        q = q.where(psi_usage.c.agency == agency)
    return int(conn.execute(q).scalar_one())


def add_usage(
    conn: Connection, *, day: date, side: str, peer: str, agency: str, items: int
) -> None:
    key = and_(psi_usage.c.day == day, psi_usage.c.side == side, psi_usage.c.peer == peer,
               psi_usage.c.agency == agency)
    done = conn.execute(
        update(psi_usage).where(key).values(
            items=psi_usage.c["items"] + items, queries=psi_usage.c["queries"] + 1)
    )
    if done.rowcount == 0:
        conn.execute(insert(psi_usage).values(
            day=day, side=side, peer=peer, agency=agency, items=items, queries=1))


# ---------------------------------------------------------------- disclosures


@dataclass(frozen=True)
class HeldReport:
    id: int
    agency: str
    tlp: str
    readable: bool
    """May the asking reader read it under the markings (else it is only hinted)."""


def _held(reader: Reader, ref: str | ColumnElement[Any], *columns: Any) -> Select[Any]:
    """`columns` of the non-revoked reports naming `ref` that `reader` may know exist (the
    PSI answer set's rule, one value at a time); `ref` a value or a column to correlate."""
    return (
        select(*columns)
        .select_from(
            observables.join(
                report_observables, report_observables.c.observable_id == observables.c.id
            ).join(reports, reports.c.id == report_observables.c.report_id)
        )
        .where(observables.c.ref == ref, reports.c.revoked.is_(False), _visible(reader))
    )


def held_reports(conn: Connection, reader: Reader, ref: str) -> list[HeldReport]:
    """Non-revoked reports naming `ref` that `reader` may know exist.  Empty when the node
    does not hold the value for them."""
    q = _held(
        reader, ref, reports.c.id, reports.c.agency, reports.c.tlp, readable(reader).label("r")
    ).order_by(reports.c.id)
    return [HeldReport(int(i), str(a), str(t), bool(r)) for i, a, t, r in conn.execute(q)]


def stix_of_reports(conn: Connection, report_ids: list[int]) -> list[dict[str, Any]]:
    """The STIX objects of these reports as the node shares them (latest version of each
    object; the report keeps its TLP marking refs), shared SCOs once."""
    if not report_ids:
        return []
    rows = conn.execute(
        select(stix_objects.c.object_id, stix_objects.c.modified, stix_objects.c.body)
        .where(stix_objects.c.report_id.in_(sorted(report_ids)))
        .order_by(stix_objects.c.seq)
    )
    latest: dict[str, tuple[str, str]] = {}
    for oid, modified, body in rows:
        prev = latest.get(oid)
        if prev is None or str(modified) >= prev[0]:
            latest[oid] = (str(modified), str(body))
    return [orjson.loads(body) for _m, body in latest.values()]


def add_disclosure(conn: Connection, **values: Any) -> int:
    key = conn.execute(insert(disclosure_requests).values(**values)).inserted_primary_key
    assert key is not None  # noqa: S101 - a single-row insert always has a primary key
    return int(key[0])


def get_disclosure(conn: Connection, disclosure_id: int) -> dict[str, Any]:
    row = conn.execute(
        select(disclosure_requests).where(disclosure_requests.c.id == disclosure_id)
    ).mappings().first()
    if row is None:
        raise NotFound(f"no disclosure request {disclosure_id}", field="id",
                       value=str(disclosure_id))
    return dict(row)


def update_disclosure(conn: Connection, disclosure_id: int, **values: Any) -> None:
    conn.execute(update(disclosure_requests)
                 .where(disclosure_requests.c.id == disclosure_id).values(**values))


def disclosures_for(
    conn: Connection, reader: Reader, *, immediate: frozenset[str], offset: int, limit: int
) -> list[dict[str, Any]]:
    """A page of the disclosure requests `reader` may see, newest first: its agency's own
    requests to peers, and peers' requests for reports its agency owns among those withheld
    from the asker (`held_reports` of the asking agency, TLP not in `immediate`); every
    request for the node itself.  Decided in SQL, so that a page is a page of what the
    reader sees, however many requests other agencies made since."""
    q = (select(disclosure_requests).order_by(disclosure_requests.c.id.desc())
         .offset(offset).limit(limit))
    if not reader.is_system:
        q = q.where(_seen_by(conn, reader, immediate))
    return [dict(r) for r in conn.execute(q).mappings()]


def _seen_by(conn: Connection, reader: Reader, immediate: frozenset[str]) -> ColumnElement[bool]:
    if reader.is_peer or reader.agency is None:
        return false()
    row = disclosure_requests.c
    askers = conn.execute(select(row.agency).distinct().where(row.direction == "in")).scalars()
    owned = [
        and_(row.agency == asker, _held(peer_reader(conn, asker), row.value_ref, literal(1))
             .where(reports.c.agency == reader.agency, reports.c.tlp.not_in(sorted(immediate)))
             .exists())
        for asker in askers
    ]
    return or_(and_(row.direction == "out", row.agency == reader.agency),
               and_(row.direction == "in", or_(false(), *owned)))


def list_disclosures(
    conn: Connection, *, direction: str | None = None, status: str | None = None,
) -> list[dict[str, Any]]:
    """Every disclosure request of `direction` and `status`, newest first: all of them, so
    that `refresh` polls each pending one, however many came after it."""
    q = select(disclosure_requests).order_by(disclosure_requests.c.id.desc())
    if direction is not None:
        q = q.where(disclosure_requests.c.direction == direction)
    if status is not None:
        q = q.where(disclosure_requests.c.status == status)
    return [dict(r) for r in conn.execute(q).mappings()]
