"""The ingest pipeline: drafts from any adapter, written once, correlated incrementally.

Failure policy (docs/adr/0003-ingest-failure-policy.md):
- a record that cannot be accepted (bad identifier, missing property, unknown
  type) is *skipped* and reported with its line or field and the reason; the
  rest of the batch is still written;
- a draft holding a value the store's columns cannot (a NUL character, a language tag
  or sharing group longer than its column, a loss of 10^18 or more) is such a record
  too (`ingest.storable`): refused by PostgreSQL, it would fail the whole batch there and be
  stored on SQLite;
- a structurally broken input (not JSON, not UTF-8, missing required CSV
  columns, a report owned by another agency's id space is not structural: it is
  a rejection) raises `InvalidInput` from the adapter, and because the caller
  runs the whole batch in one transaction, *nothing* of that batch is written.

Idempotence: a report is keyed by its STIX id; the same version twice changes
nothing, an older version after a newer one changes nothing, a newer version
replaces the older one (links, marking, correlation), and `revoked` withdraws it.

Speed: rows are written as tuples through `store.bulk` (one executemany per table
and chunk, SQLAlchemy's own type conversions, no per-row Core overhead), the STIX
kept per report version comes pre-serialised from `stix.export.draft_to_stix_rows`
(SCO bodies cached per observable), and audience tokens are computed once per
distinct marking.  The cyclic garbage collector is paused for the batch
(`collection_paused`): the pipeline allocates millions of short-lived containers
but makes almost no reference cycles (about a hundred objects per batch,
measured), so the collector's passes over the growing young generations were
pure overhead, 10-15% of the CPU time of an ingest.  benchmarks/bench_core.py
measures it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, insert, select, update

from bersama.config import Settings
from bersama.errors import InvalidInput
from bersama.gcpause import collection_paused
from bersama.ingest.model import Rejection, ReportDraft
from bersama.ingest.storable import cut, unstorable
from bersama.markings import TLP, Marking, Reader, audience
from bersama.observables.model import Observable
from bersama.observables.warninglists import is_warninglisted
from bersama.stix.export import draft_to_stix_rows
from bersama.store import bulk, correlate, holdings
from bersama.store.identities import unknown_agency
from bersama.store.tables.core import (
    agencies,
    ingest_batches,
    ingest_rejections,
    observables,
    report_audience,
    report_observables,
    reports,
    stix_objects,
    warninglist,
)
from bersama.store.values import aware, utcnow
from bersama.store.writelock import hold_correlation

CHUNK = 1000
REPORT_COLUMNS = (
    "stix_id", "agency", "country", "created_by", "title", "crime_type", "scam_types",
    "loss_amount", "loss_currency", "occurred_at", "modified", "ingested_at", "language",
    "narrative", "tlp", "sharing_group", "recipient_agencies", "recipient_users", "labels",
    "revoked", "source_format", "source_ref", "content_hash", "origin_peer", "cluster_id",
    "audience", "links", "one_campaign",
)
STIX_COLUMNS = (
    "object_id", "modified", "type", "spec_version", "report_id", "date_added", "body",
    "origin_peer", "audience",
)
OBSERVABLE_COLUMNS = (
    "ref", "kind", "display", "attrs", "report_count", "is_hub", "warninglist",
)
_DATE_ADDED = frozenset({"date_added"})
_EXISTING_COLUMNS = ("id", "stix_id", "agency", "modified", "content_hash", "revoked")
MAX_REJECTIONS_KEPT = 1000
"""Rejections listed in a batch's answer; every one is stored (`ingest_rejections`)."""
REJECTION_COLUMNS = ("batch_id", "seq", "reason", "line", "field", "value", "record")
Clock = Callable[[], datetime]


@dataclass
class IngestResult:
    batch_id: int = 0
    accepted: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    observables: int = 0
    rejected: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    report_ids: list[int] = field(default_factory=list)
    queued_for_review: int | None = None  # with `--review` (ingest/triage.py), else None

    def as_dict(self) -> dict[str, Any]:
        out = {
            "batch_id": self.batch_id,
            "accepted": self.accepted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "withdrawn": self.withdrawn,
            "observables": self.observables,
            "rejected": self.rejected,
            "rejections": [r.as_dict() for r in self.rejections],
        }
        if self.queued_for_review is not None:
            out["queued_for_review"] = self.queued_for_review
        return out


@dataclass(frozen=True)
class Agency:
    code: str
    country: str
    default_marking: Marking


def load_agency(conn: Connection, code: str) -> Agency:
    row = conn.execute(select(agencies).where(agencies.c.code == code)).first()
    if row is None:
        raise unknown_agency(conn, code)
    group = row.default_group
    return Agency(row.code, row.country, Marking(TLP(row.default_tlp), group=group))


def resolve_marking(draft: ReportDraft, batch_default: Marking | None, agency: Agency) -> Marking:
    """Record's own marking, else the batch's (`--tlp`), else the agency default: never CLEAR
    by accident."""
    return draft.marking or batch_default or agency.default_marking


def content_hash(draft: ReportDraft, marking: Marking) -> str:
    """SHA-256 of what a report version says, to tell a changed version from a repeated one.

    Stored: its bytes must never change.  orjson writes enums (`StrEnum`) as their values
    and tuples as arrays, the same text as `.value` and `list(...)`, without the enum
    property lookups (tests/unit/ingest/test_content_hash.py pins the digests)."""
    payload: tuple[Any, ...] = (
        sorted(o.ref for o in draft.observables),
        draft.title,
        draft.crime_type,
        draft.scam_types,
        str(draft.loss_amount) if draft.loss_amount is not None else None,
        draft.loss_currency,
        draft.occurred_at.isoformat() if draft.occurred_at else None,
        draft.language,
        draft.narrative,
        draft.country,
        draft.revoked,
        marking.tlp,
        marking.group,
        sorted(marking.recipient_agencies),
        sorted(marking.recipient_users),
        draft.labels,
    )
    if draft.one_campaign:  # appended only when set: the digests stored before stay valid
        payload = (*payload, True)
    return hashlib.sha256(orjson.dumps(payload)).hexdigest()


class _Batch:
    """State of one ingest batch; `run` drives it chunk by chunk."""

    def __init__(
        self,
        conn: Connection,
        settings: Settings,
        agency: Agency,
        actor: Reader,
        batch_default: Marking | None,
        source_format: str,
        origin_peer: str | None,
        clock: Clock,
    ) -> None:
        self.conn = conn
        self.settings = settings
        self.agency = agency
        self.actor = actor
        self.batch_default = batch_default
        self.source_format = source_format
        self.origin_peer = origin_peer
        self.now = clock()
        self.result = IngestResult()
        self._recipient_lists: dict[Marking, tuple[list[str], list[str]]] = {}
        # One list or dict object per distinct value (labels; an observable's attrs, which
        # most values share a few of), so the bulk insert serialises each to JSON once.
        self._shared: Callable[[tuple[str, ...]], list[str]] = cache(list)
        self._attrs_dict: Callable[[tuple[tuple[str, str], ...]], dict[str, str]] = cache(dict)
        self._creator = None if actor.is_peer else actor.user
        self._audiences: dict[Marking, tuple[list[str], int]] = {}
        self.tally = holdings.Tally(conn)
        self._clock = clock
        self._date_added: Any = None
        """TAXII's `date_added` of this batch's objects, read once the lock is held."""
        self.batch_id = 0
        """Set by `ingest` once the batch's row exists (rejections are stored under it)."""
        self._rejected: list[tuple[Any, ...]] = []
        self._locked = False
        """Whether this batch holds the correlation lock (store/writelock.py)."""

    def reject(self, rejection: Rejection) -> None:
        """Count it, keep the first `MAX_REJECTIONS_KEPT` for the answer, and store every
        one with the batch (written per chunk: memory stays bounded however many)."""
        self.result.rejected += 1
        if len(self.result.rejections) < MAX_REJECTIONS_KEPT:
            self.result.rejections.append(rejection)
        value = rejection.value[:200] if rejection.value else None  # as answered (as_dict)
        self._rejected.append((
            self.batch_id, self.result.rejected, cut(rejection.reason), rejection.line,
            cut(rejection.field), cut(value), cut(rejection.record),
        ))
        if len(self._rejected) >= CHUNK:
            self._store_rejections()

    def _store_rejections(self) -> None:
        bulk.insert_rows(self.conn, ingest_rejections, REJECTION_COLUMNS, self._rejected)
        self._rejected.clear()

    def run(self, items: Iterable[ReportDraft | Rejection]) -> None:
        pending: dict[str, ReportDraft] = {}
        for item in items:
            if isinstance(item, Rejection):
                self.reject(item)
                continue
            seen = pending.get(item.source_id)
            if seen is None or aware(item.modified) > aware(seen.modified):
                pending[item.source_id] = item
            if len(pending) >= CHUNK:
                self._apply_locked(pending)
        if pending:
            self._apply_locked(pending)
        self._store_rejections()
        self.tally.write()

    def _apply_locked(self, pending: dict[str, ReportDraft]) -> None:
        """Apply a parsed chunk under the correlation lock (store/writelock.py), taken
        before the first chunk reads which of its reports are stored."""
        if not self._locked:
            hold_correlation(self.conn)
            self._locked = True
            # Read now, not as the batch began: TAXII clients resume after the last
            # `date_added` they were served, so objects must be added after everything
            # committed before them, and only the lock orders this batch after those.
            self._date_added = bulk.bind_value(
                self.conn, stix_objects, "date_added", self._clock())
        self.apply(list(pending.values()))
        pending.clear()

    def apply(self, drafts: list[ReportDraft]) -> None:
        conn = self.conn
        existing = {
            row[1]: row
            for row in bulk.select_in(
                conn, reports, _EXISTING_COLUMNS, "stix_id", [d.source_id for d in drafts]
            )
        }
        new: list[tuple[ReportDraft, Marking, str]] = []
        replace: list[tuple[int, ReportDraft, Marking, str]] = []
        for draft in drafts:
            marking = resolve_marking(draft, self.batch_default, self.agency)
            problem = unstorable(draft, marking)
            if problem is not None:
                self.reject(Rejection(problem[1], field=problem[0], record=draft.source_id))
                continue
            digest = content_hash(draft, marking)
            old = existing.get(draft.source_id)
            if old is None:
                new.append((draft, marking, digest))
                continue
            old_id, _, old_agency, old_modified, old_hash, old_revoked = old
            if old_agency != self.agency.code:
                self.reject(
                    Rejection(
                        f"report id {draft.source_id} belongs to agency {old_agency}",
                        field="id",
                        value=draft.source_id,
                        record=draft.source_id,
                    )
                )
                continue
            if (
                old_revoked  # STIX: a revoked object stays revoked
                or aware(draft.modified) <= aware(old_modified)
                or old_hash == digest
            ):
                self.result.unchanged += 1
                continue
            replace.append((old_id, draft, marking, digest))

        touched: set[int] = set()
        split: set[int] = set()
        if replace:
            replaced = [r[0] for r in replace]
            old_clusters, old_obs = correlate.detach(conn, replaced)
            self.tally.withdraw(replaced, old_obs)
            split |= old_clusters
            touched |= old_obs
            for table in (report_observables, report_audience):
                conn.execute(table.delete().where(table.c.report_id.in_(replaced)))
        self._name_audiences(
            [m for _, m, _ in new] + [m for _, _, m, _ in replace]
        )
        obs_ids, fresh = self._observable_ids(
            [o for d, _, _ in new for o in d.observables]
            + [o for _, d, _, _ in replace for o in d.observables]
        )
        written: list[tuple[int, ReportDraft, Marking]] = []
        if new:
            bulk.insert_rows(conn, reports, REPORT_COLUMNS, [self._row(d, m, h) for d, m, h in new])
            # ids come back by stix id (unique) rather than RETURNING: a plain executemany
            # is what keeps the insert cheap, and the ids are the same ones
            by_stix = bulk.lookup(conn, reports, "stix_id", "id", [d.source_id for d, _, _ in new])
            written.extend((by_stix[d.source_id], d, m) for d, m, _ in new)
            self.result.accepted += len(new)
        if replace:
            conn.execute(
                update(reports).where(reports.c.id == bindparam("rid")),
                [
                    {"rid": rid, **dict(zip(REPORT_COLUMNS, self._row(d, m, h), strict=True))}
                    for rid, d, m, h in replace
                ],
            )
            written.extend((rid, d, m) for rid, d, m, _ in replace)
            for _, d, _, _ in replace:
                if d.revoked:
                    self.result.withdrawn += 1
                else:
                    self.result.updated += 1
        added = self._attach(written, obs_ids, touched)
        self.tally.flush()
        self.tally.cross_border(
            correlate.maintain(
                conn,
                added=added,
                split_clusters=split,
                touched_observables=touched,
                hub_threshold=self.settings.hub_threshold,
                fresh_observables=fresh,
            )
        )

    def _recipients(self, marking: Marking) -> tuple[list[str], list[str]]:
        got = self._recipient_lists.get(marking)
        if got is None:
            got = self._recipient_lists[marking] = (
                sorted(marking.recipient_agencies), sorted(marking.recipient_users))
        return got

    def _name_audiences(self, markings: Iterable[Marking]) -> None:
        """Audience tokens and canonical audience id (store/holdings.py) of each marking
        not yet seen in this batch, the ids in one lookup."""
        todo = {
            m: sorted(audience(m, self.agency.code, self._creator))
            for m in set(markings) - self._audiences.keys()
        }
        ids = self.tally.audiences_of(list(todo.values()))
        for (marking, tokens), aid in zip(todo.items(), ids, strict=True):
            self._audiences[marking] = (tokens, aid)

    def _country(self, draft: ReportDraft) -> str:
        return (draft.country or self.agency.country).upper()

    def _row(self, draft: ReportDraft, marking: Marking, digest: str) -> tuple[Any, ...]:
        """The report's row, in REPORT_COLUMNS order."""
        return (
            draft.source_id,
            self.agency.code,
            self._country(draft),
            self._creator,
            draft.title,
            draft.crime_type.value,
            ",".join(s.value for s in draft.scam_types),
            draft.loss_amount,
            draft.loss_currency,
            aware(draft.occurred_at) if draft.occurred_at else None,
            aware(draft.modified),
            self.now,
            draft.language,
            draft.narrative,
            marking.tlp.value,
            marking.group,
            *self._recipients(marking),
            self._shared(draft.labels),
            draft.revoked,
            self.source_format,
            draft.source_ref,
            digest,
            self.origin_peer,
            None,
            self._audiences[marking][1],
            self._links(draft),
            draft.one_campaign,
        )

    def _links(self, draft: ReportDraft) -> bool:
        """Whether the report links its identifiers into clusters: not when it is a list
        (a feed's day of numbers, a bank's blocklist) of more than the list threshold,
        which would merge every campaign it names into one, unless its agency says they
        are one campaign."""
        return draft.one_campaign or (
            len({o.ref for o in draft.observables}) <= self.settings.list_threshold)

    def _attach(
        self,
        written: list[tuple[int, ReportDraft, Marking]],
        obs_ids: dict[str, int],
        touched: set[int],
    ) -> dict[int, tuple[str, list[int]]]:
        """Audience, links, counts and STIX of written report versions, in bulk; return the
        active ones for correlation (`correlate.Added`: country and links as written)."""
        audience_rows: list[tuple[int, str]] = []
        link_rows: list[tuple[int, int]] = []
        stix_rows: list[tuple[Any, ...]] = []
        deltas: dict[int, int] = {}
        added: dict[int, tuple[str, list[int]]] = {}
        listed: set[int] = set()  # identifiers of list reports
        tally = self.tally
        for rid, draft, marking in written:
            self.result.report_ids.append(rid)
            tokens, audience_id = self._audiences[marking]
            audience_rows.extend((rid, t) for t in tokens)
            links = sorted({obs_ids[o.ref] for o in draft.observables})
            link_rows.extend((rid, oid) for oid in links)
            self.result.observables += len(links)
            for row in self._stix_rows(rid, draft, marking):  # a long report, in chunks
                stix_rows.append(row)
                if len(stix_rows) >= CHUNK:
                    self._store_stix(stix_rows)
            if not draft.revoked:
                for oid in links:
                    deltas[oid] = deltas.get(oid, 0) + 1
                country = self._country(draft)
                if draft.one_campaign or len(links) <= self.settings.list_threshold:
                    # as `_links`, counting ids instead of refs
                    added[rid] = (country, links)
                else:
                    added[rid] = (country, [])  # a cluster of its own
                    listed.update(links)
                tally.add(audience_id, country, links)
        conn = self.conn
        bulk.insert_rows(conn, report_audience, ("report_id", "token"), audience_rows)
        bulk.insert_rows(conn, report_observables, ("report_id", "observable_id"), link_rows)
        self._store_stix(stix_rows)
        correlate.add_counts(conn, deltas)
        touched.update(deltas)
        # The stored summaries of a list's identifiers (store/summaries.py) go stale with the
        # stamps of the clusters they are in, which a list does not join: new stamps.
        correlate.restamp(conn, correlate.clusters_of_observables(conn, sorted(listed)))
        return added

    def _stix_rows(
        self, rid: int, draft: ReportDraft, marking: Marking
    ) -> Iterator[tuple[Any, ...]]:
        """The STIX form of this report version (`draft_to_stix`), kept for TAXII and
        exports, as rows in STIX_COLUMNS order (every object we produce is STIX 2.1), with
        `date_added` already bound: then no column of these rows needs converting."""
        now, peer, audience = self._date_added, self.origin_peer, self._audiences[marking][1]
        for oid, modified, otype, body in draft_to_stix_rows(
            draft if draft.marking is marking else _with_marking(draft, marking),
            agency=self.agency.code,
            agency_country=self.agency.country,
        ):
            yield oid, modified, otype, "2.1", rid, now, body, peer, audience

    def _store_stix(self, rows: list[tuple[Any, ...]]) -> None:
        bulk.insert_rows(self.conn, stix_objects, STIX_COLUMNS, rows, bound=_DATE_ADDED)
        rows.clear()

    def _observable_ids(self, items: list[Observable]) -> tuple[dict[str, int], set[int]]:
        """Ids of the observables by ref, storing those not yet stored; and the ids this
        call stored (`correlate.join`'s `fresh`), when it stored every missing one itself
        (a concurrent batch may have stored some first: then none is claimed fresh)."""
        conn = self.conn
        by_ref = {o.ref: o for o in items}
        if not by_ref:
            return {}, set()
        refs = list(by_ref)
        ids: dict[str, int] = bulk.lookup(conn, observables, "ref", "id", refs)
        missing = [r for r in refs if r not in ids]
        fresh: set[int] = set()
        if missing:
            listed = bulk.lookup(conn, warninglist, "ref", "agency", missing)
            rows = []
            for ref in missing:
                obs = by_ref[ref]
                wl = is_warninglisted(obs) or (f"agency:{listed[ref]}" if ref in listed else None)
                rows.append((ref, obs.kind.value, obs.display or obs.key,
                             self._attrs_dict(obs.attrs), 0, False, wl))
            stored = bulk.insert_rows(
                conn, observables, OBSERVABLE_COLUMNS, rows, ignore_conflicts=True)
            got = bulk.lookup(conn, observables, "ref", "id", missing)
            ids.update(got)
            if stored == len(missing):
                fresh.update(got.values())
        return ids, fresh


def _with_marking(draft: ReportDraft, marking: Marking) -> ReportDraft:
    from dataclasses import replace

    return draft if draft.marking == marking else replace(draft, marking=marking)


@collection_paused()
def ingest(
    conn: Connection,
    settings: Settings,
    *,
    agency: str,
    items: Iterable[ReportDraft | Rejection],
    source_format: str,
    source: str,
    actor: Reader,
    batch_marking: Marking | None = None,
    origin_peer: str | None = None,
    clock: Clock = utcnow,
) -> IngestResult:
    """Ingest one batch inside the caller's transaction (see the failure policy above)."""
    ag = load_agency(conn, agency)
    batch = _Batch(conn, settings, ag, actor, batch_marking, source_format, origin_peer, clock)
    batch_id = conn.execute(
        insert(ingest_batches).values(
            agency=ag.code,
            format=source_format,
            source=source[:500],
            started_at=batch.now,
            status="running",
        )
        .returning(ingest_batches.c.id)
    ).scalar_one()
    batch.batch_id = int(batch_id)
    batch.run(items)
    r = batch.result
    r.batch_id = batch.batch_id
    conn.execute(
        update(ingest_batches)
        .where(ingest_batches.c.id == batch_id)
        .values(
            finished_at=clock(),
            accepted=r.accepted + r.updated + r.withdrawn,
            unchanged=r.unchanged,
            rejected=r.rejected,
            status="done",
        )
    )
    return r


def counting(
    items: Iterable[ReportDraft | Rejection], tick: Callable[[int], None]
) -> Iterator[ReportDraft | Rejection]:
    """Pass items through, calling `tick(n)` every 500 items (progress bars)."""
    n = 0
    for item in items:
        n += 1
        if n % 500 == 0:
            tick(n)
        yield item
    tick(n)


def require_format(fmt: str) -> str:
    if fmt not in {"stix", "misp", "csv", "text"}:
        raise InvalidInput(
            f"unknown format {fmt!r}; expected stix, misp, csv or text", field="format", value=fmt
        )
    return fmt
