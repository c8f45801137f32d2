"""Fixture files for the format adapters (tests/unit/ingest/fixtures)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

from bersama.ingest.model import Rejection, ReportDraft

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> io.BytesIO:
    return io.BytesIO((FIXTURES / name).read_bytes())


def split(items: Iterable[ReportDraft | Rejection]) -> tuple[list[ReportDraft], list[Rejection]]:
    drafts: list[ReportDraft] = []
    rejections: list[Rejection] = []
    for item in items:
        (drafts if isinstance(item, ReportDraft) else rejections).append(item)  # type: ignore[arg-type]
    return drafts, rejections
