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


def utcnow() -> datetime:
    """The default clock (callers inject another in tests)."""
    return datetime.now(UTC)


def aware(ts: datetime) -> datetime:
    """A naive datetime is UTC; make it timezone-aware."""
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
