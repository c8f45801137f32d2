"""Markings as each source format states them, mapped to one `Marking`.

STIX references marking-definition ids (TLP 2.0 and 1.0) and our group
marking; MISP uses `tlp:*` tags, a distribution level and a sharing group; CSV
exports have a `tlp` column.  Rules (docs/ingest-formats.md, docs/stix.md):
several TLP levels on one record → the most restrictive; a sharing group with no
TLP → AMBER (the group is the audience); no marking at all → None, and the
pipeline applies the ingesting agency's default.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bersama.errors import InvalidInput
from bersama.markings.model import TLP, Marking
from bersama.stix.tlp import (
    group_from_marking_object,
    most_restrictive,
    tlp_from_id,
    tlp_from_marking_object,
)


@dataclass(frozen=True, slots=True)
class StixMarkingInfo:
    """What one marking-definition object in a bundle says (only what we use)."""

    tlp: TLP | None = None
    group: str | None = None
    recipient_agencies: frozenset[str] = frozenset()
    recipient_users: frozenset[str] = frozenset()


def stix_marking_info(obj: dict[str, Any]) -> StixMarkingInfo | None:
    """The TLP level and/or Bersama group a marking-definition object states, if any."""
    tlp = tlp_from_marking_object(obj)
    group = group_from_marking_object(obj)
    if tlp is None and group is None:
        return None
    if group is None:
        return StixMarkingInfo(tlp=tlp)
    return StixMarkingInfo(tlp=tlp, group=group[0], recipient_agencies=group[1],
                           recipient_users=group[2])


def from_stix_refs(refs: object, defs: dict[str, StixMarkingInfo]) -> Marking | None:
    """Marking from `object_marking_refs`; unknown refs (statements, others') are ignored."""
    if not isinstance(refs, list) or not refs:
        return None
    levels: list[TLP] = []
    group: str | None = None
    agencies: set[str] = set()
    users: set[str] = set()
    for ref in refs:
        if not isinstance(ref, str):
            continue
        tlp = tlp_from_id(ref)
        info = defs.get(ref)
        if tlp is None and info is not None:
            tlp = info.tlp
        if tlp is not None:
            levels.append(tlp)
        if info is not None:
            group = group or info.group
            agencies |= info.recipient_agencies
            users |= info.recipient_users
    return _combine(levels, group, agencies, users)


def _combine(levels: list[TLP], group: str | None, agencies: set[str],
             users: set[str]) -> Marking | None:
    level = most_restrictive(levels)
    if level is None:
        if not (group or agencies or users):
            return None
        level = TLP.AMBER
    return Marking(tlp=level, group=group, recipient_agencies=frozenset(agencies),
                   recipient_users=frozenset(users))


def tlp_marking(value: str, *, group: str | None = None) -> Marking:
    """Marking from a TLP spelling ("TLP:AMBER+STRICT", "white", "amber_strict");
    raises InvalidInput naming the field `tlp` for an unknown level."""
    return Marking(tlp=TLP.parse(value), group=group or None)


MISP_DISTRIBUTION_TLP: dict[int, TLP] = {0: TLP.AMBER_STRICT}
"""MISP distribution levels that imply a TLP when the event has no `tlp:` tag:
0 (your organisation only) → AMBER+STRICT; 4 (sharing group) → AMBER with the group;
1-3 say nothing about TLP, so the agency default applies."""


def from_misp(tags: list[str], distribution: object, sharing_group: str | None) -> Marking | None:
    """Marking of a MISP event or attribute from its tags, distribution and sharing group."""
    levels: list[TLP] = []
    for tag in tags:
        low = tag.strip().lower()
        if low.startswith("tlp:") and not low.startswith("tlp:ex:"):
            try:
                levels.append(TLP.parse(low))
            except InvalidInput:  # tlp:unclear and similar MISP taxonomy values: no level
                continue
    try:
        dist = int(str(distribution)) if distribution is not None else None
    except ValueError:
        dist = None
    group = sharing_group if dist == 4 and sharing_group else None
    if not levels and dist in MISP_DISTRIBUTION_TLP:
        levels.append(MISP_DISTRIBUTION_TLP[dist])
    return _combine(levels, group, set(), set())
