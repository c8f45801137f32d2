"""TLP 2.0 markings and readers, as values.

The read policy is expressed as *audiences*: a marking (with its owner agency
and creator) maps to a small set of audience tokens, a reader maps to the set
of tokens they hold, and a reader may read an object exactly when the two sets
meet.  The same two pure functions decide every read: in Python for single
objects and, because the store keeps each report's tokens in an indexed table,
in SQL for bulk queries, so there is one decision with two evaluations rather
than two policies that can drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bersama.errors import InvalidInput


class TLP(StrEnum):
    CLEAR = "clear"
    GREEN = "green"
    AMBER = "amber"
    AMBER_STRICT = "amber+strict"
    RED = "red"

    @classmethod
    def parse(cls, value: str) -> TLP:
        norm = value.strip().lower().removeprefix("tlp:").replace("_", "+").replace(" ", "")
        if norm == "white":  # TLP 1.0 spelling, still common in MISP exports
            norm = "clear"
        try:
            return cls(norm)
        except ValueError:
            allowed = ", ".join(t.value for t in cls)
            raise InvalidInput(
                f"unknown TLP level {value!r}; expected one of {allowed}", field="tlp", value=value
            ) from None


class Role(StrEnum):
    ADMIN = "admin"
    ANALYST = "analyst"
    READER = "reader"


@dataclass(frozen=True, slots=True)
class Marking:
    tlp: TLP
    group: str | None = None
    recipient_agencies: frozenset[str] = field(default_factory=frozenset)
    recipient_users: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class Reader:
    """Who is asking.  `agency is None` means the unauthenticated public."""

    agency: str | None
    user: str | None = None
    role: Role | None = None
    groups: frozenset[str] = field(default_factory=frozenset)
    is_peer: bool = False
    is_system: bool = False

    @classmethod
    def public(cls) -> Reader:
        return cls(agency=None)

    @classmethod
    def system(cls) -> Reader:
        """The node itself (correlation rebuilds, migrations): sees everything."""
        return cls(agency=None, is_system=True)


PUBLIC = "public"
COMMUNITY = "community"
ALL = "*"


def audience(marking: Marking, owner_agency: str, creator: str | None) -> frozenset[str]:
    """The audience tokens of an object: who may read it, as data."""
    owner = f"agency:{owner_agency}"
    match marking.tlp:
        case TLP.CLEAR:
            return frozenset({PUBLIC, COMMUNITY})
        case TLP.GREEN:
            return frozenset({COMMUNITY})
        case TLP.AMBER:
            if marking.group:
                return frozenset({owner, f"group:{marking.group}"})
            return frozenset({COMMUNITY})
        case TLP.AMBER_STRICT:
            return frozenset({owner} | {f"agency:{a}" for a in marking.recipient_agencies})
        case TLP.RED:
            users = set(marking.recipient_users)
            if creator:
                users.add(creator)
            return frozenset({f"user:{u}" for u in users})


def reader_tokens(reader: Reader) -> frozenset[str]:
    """The audience tokens a reader holds."""
    if reader.is_system:
        return frozenset({ALL})
    if reader.agency is None:
        return frozenset({PUBLIC})
    tokens = {PUBLIC, COMMUNITY, f"agency:{reader.agency}"}
    tokens.update(f"group:{g}" for g in reader.groups)
    if reader.user and not reader.is_peer:
        tokens.add(f"user:{reader.user}")
    return frozenset(tokens)


def may_read(reader: Reader, tokens: frozenset[str]) -> bool:
    """The one read decision, given an object's audience tokens."""
    return may_read_tokens(reader_tokens(reader), tokens)


def may_read_tokens(held: frozenset[str], tokens: frozenset[str]) -> bool:
    """`may_read` for a reader known only by its `reader_tokens` (the decision depends
    on the reader through them alone, so caches keyed by them are exact)."""
    return ALL in held or not held.isdisjoint(tokens)
