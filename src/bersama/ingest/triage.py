"""Triage at ingest (`--review`): score each report's message text, queue the likely ones.

A hotline CSV or a file of forwarded messages is mostly victims' words; the
detector (`bersama.detection`) says which read like scams.  With `--review`
every report is still stored exactly as without it (the machine blocks and
drops nothing), and each one whose narrative scores in the likely or review
band is also put in the agency's review queue, linked to its stored report, so
an analyst confirms or rejects it (`bersama review`) and the decision becomes
labelled data.  Scoring happens while the input streams through, a chunk at a
time, so memory stays bounded by the chunk and the queued items.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Connection

from bersama.config import Settings
from bersama.errors import InvalidInput
from bersama.ingest.model import Rejection, ReportDraft
from bersama.store import bulk, review
from bersama.store.tables.core import reports
from bersama.store.tables.detection import review_items

REVIEWABLE_FORMATS = ("csv", "text")
CHUNK = 500


def require_reviewable(fmt: str) -> None:
    if fmt not in REVIEWABLE_FORMATS:
        raise InvalidInput(
            f"--review scores the message text of csv and text inputs; {fmt} carries none",
            field="review",
            value=fmt,
        )


class Triage:
    """Scores the drafts that pass through `scan`; `enqueue` queues the likely ones."""

    def __init__(self, settings: Settings, country: str) -> None:
        from bersama.detection.detector import configured_detector

        self.detector = configured_detector(settings)
        self.country = country
        self.pending: list[tuple[str, str, dict[str, Any]]] = []  # (stix id, text, result)

    def scan(self, items: Iterable[ReportDraft | Rejection]) -> Iterator[ReportDraft | Rejection]:
        chunk: list[ReportDraft | Rejection] = []
        for item in items:
            chunk.append(item)
            if len(chunk) >= CHUNK:
                yield from self._score(chunk)
                chunk = []
        yield from self._score(chunk)

    def _score(self, chunk: list[ReportDraft | Rejection]) -> list[ReportDraft | Rejection]:
        drafts = [d for d in chunk if isinstance(d, ReportDraft) and d.narrative.strip()]
        if drafts:
            texts = [d.narrative for d in drafts]
            results = self.detector.messages(texts, country=self.country)
            for draft, result in zip(drafts, results, strict=True):
                r = result.as_dict()
                if r["band"] in review.QUEUE_BANDS:
                    self.pending.append((draft.source_id, draft.narrative, r))
        return chunk

    def enqueue(self, conn: Connection, agency: str, source: str) -> int:
        """Queue the likely/review reports of this batch, linked to their stored rows."""
        ids = bulk.lookup(conn, reports, "stix_id", "id", [s for s, _, _ in self.pending])
        # The same input twice queues nothing twice: a report already queued is skipped.
        queued_before = bulk.lookup(conn, review_items, "report_id", "id", list(ids.values()))
        queued = 0
        for stix_id, text, result in self.pending:
            report_id = ids.get(stix_id)
            if report_id is None or report_id in queued_before:  # rejected, or queued before
                continue
            review.enqueue(
                conn,
                agency=agency,
                text=text,
                result=result,
                source=f"ingest:{source}",
                report_id=int(report_id),
            )
            queued += 1
        return queued
