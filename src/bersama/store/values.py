"""Small value helpers every store and pipeline module needs, defined once.

SQLite hands back naive datetimes (the node stores UTC), adapters may yield
naive ones too, and bulk statements split long id lists into chunks that stay
under the databases' parameter limits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import TypeVar

T = TypeVar("T")

ROW_ID_MAX = 2**63 - 1
"""Ids and offsets are 64-bit in both stores: a larger number is the caller's mistake
(422 or exit code 2 naming the parameter), not a driver's overflow (500 or a traceback)."""


def utcnow() -> datetime:
    """The default clock (callers inject another in tests)."""
    return datetime.now(UTC)


def aware(ts: datetime) -> datetime:
    """A naive datetime is UTC; make it timezone-aware."""
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def as_utc(ts: datetime) -> datetime:
    """Rows come back naive from SQLite and aware from PostgreSQL; compare in UTC."""
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def iso_utc(ts: datetime | None) -> str | None:
    """A stored time as ISO 8601 in UTC with its offset, the same from either backend."""
    return None if ts is None else as_utc(ts).isoformat()


def chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
