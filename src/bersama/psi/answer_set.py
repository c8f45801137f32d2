"""What a peer answers from, and when its cached encoding must be rebuilt (pure).

The answer set for an asking agency is every normalised observable ref linked
to a non-revoked report that the agency may know exists under the holder's
markings: reports it may read (the one read decision, `bersama.markings`, on a
peer reader) plus plain AMBER reports of owners whose `hint_amber` setting is
`count` or `agency` (they already reveal existence in correlation hints).
AMBER+STRICT and RED are never hinted: a non-recipient's query cannot see them.

Encrypting the set costs one elliptic-curve multiplication per item (about
2 minutes per million on one core), so the encoding is cached per asking agency
as a *generation*: one key, a base segment and at most one delta segment.  The
plan below decides, from a few aggregates of the reports table, whether the
cached generation is current, needs only its delta rebuilt (reports were only
added) or must be rebuilt in full (anything revoked, re-versioned, deleted,
re-marked, a hint setting or the agency's groups changed, or an explicit
`bump_policy_version`).  A full rebuild always takes a new key, so the key
rotates with every non-additive policy change and two generations' encodings
cannot be compared to learn what was withdrawn.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from bersama.markings.model import TLP

HINT_REVEALING = frozenset({"count", "agency"})
"""`agencies.hint_amber` values that allow revealing that an AMBER report holds a value."""
HINTABLE_TLPS = frozenset({TLP.AMBER.value})
DELTA_MIN_LIMIT = 50_000
"""A delta may grow to max(this, a fifth of the base) items before a full rebuild."""


class Plan(StrEnum):
    CURRENT = "current"
    DELTA = "delta"
    FULL = "full"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Aggregates of the node's data that the answer set depends on."""

    max_id: int
    upto_count: int
    """Number of reports with id <= the generation's base_upto (all of them for a new one)."""
    upto_modified: str
    """Latest `modified` among those reports, ISO text."""
    stable_digest: str


@dataclass(frozen=True, slots=True)
class GenerationState:
    base_upto: int
    base_count: int
    base_modified: str
    stable_digest: str
    covered_upto: int
    """Highest report id any segment covers (the delta's, else the base's)."""


def stable_digest(
    *, revoked: int, counter: int, hints: Iterable[tuple[str, str]], groups: Iterable[str]
) -> str:
    """Digest of everything whose change is never additive."""
    h = hashlib.sha256()
    h.update(f"revoked={revoked};counter={counter};".encode())
    for code, hint in sorted(hints):
        h.update(f"hint:{code}={hint};".encode())
    for g in sorted(groups):
        h.update(f"group:{g};".encode())
    return h.hexdigest()


def plan(current: GenerationState | None, now: Snapshot) -> Plan:
    if current is None:
        return Plan.FULL
    if (
        now.stable_digest != current.stable_digest
        or now.upto_count != current.base_count
        or now.upto_modified != current.base_modified
    ):
        return Plan.FULL
    if now.max_id > current.covered_upto:
        return Plan.DELTA
    return Plan.CURRENT


def delta_too_big(delta_items: int, base_items: int) -> bool:
    return delta_items > max(DELTA_MIN_LIMIT, base_items // 5)
