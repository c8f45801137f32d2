"""Policy beyond the read decision: defaults, correlation hints, forwarding.

All three are derived from the audience model in `bersama.markings.model`
rather than written as separate rule tables, so that "may a peer receive this"
can never disagree with "may that peer's agency read this here":

- `default_marking`: an object without a marking gets its agency's default,
  never CLEAR by accident;
- `hint_for`: how much a check may reveal about reports the reader cannot
  read (the owner agency opts in, for AMBER only);
- `may_forward`: whether this node may pass an object to a peer agency.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from bersama.errors import InvalidInput
from bersama.markings.model import TLP, Marking, Reader, audience, may_read

Hint = Literal["none", "count", "agency"]
HINT_SETTINGS: tuple[Hint, ...] = ("none", "count", "agency")


def parse_hint(value: str) -> Hint:
    """Validate an agency's AMBER hint setting."""
    norm = value.strip().lower()
    for allowed in HINT_SETTINGS:
        if norm == allowed:
            return allowed
    raise InvalidInput(
        f"unknown hint setting {value!r}; expected one of {', '.join(HINT_SETTINGS)}",
        field="hint",
        value=value,
    )


def hint_for(tlp: TLP, owner_hint_setting: str) -> Hint:
    """What a check may reveal about an unreadable report of this TLP.

    Only AMBER reports may be hinted, and only as far as their owner agency
    allows ("count": that there are N more reports; "agency": also which
    agencies hold them).  AMBER+STRICT and RED are never hinted at; CLEAR and
    GREEN are readable by every agency, so there is nothing to hint.
    """
    setting = parse_hint(owner_hint_setting)
    if tlp is TLP.AMBER:
        return setting
    return "none"


def default_marking(agency_row: Mapping[str, Any]) -> Marking:
    """The marking an agency's objects get when none is given.

    `agency_row` is a row of the `agencies` table (or any mapping with
    `default_tlp` and `default_group`).  A missing default is AMBER, the
    column's server default, never CLEAR.
    """
    raw = agency_row.get("default_tlp") or TLP.AMBER.value
    tlp = TLP.parse(str(raw))
    group = agency_row.get("default_group")
    if tlp is TLP.AMBER and group:
        return Marking(tlp=tlp, group=str(group))
    return Marking(tlp=tlp)


def validate_marking(marking: Marking) -> Marking:
    """Reject markings whose extra fields contradict their TLP level."""
    if marking.group and marking.tlp is not TLP.AMBER:
        raise InvalidInput(
            f"a sharing group applies to TLP:AMBER only, not TLP:{marking.tlp.value.upper()}",
            field="group",
            value=marking.group,
        )
    if marking.recipient_agencies and marking.tlp is not TLP.AMBER_STRICT:
        raise InvalidInput(
            "recipient agencies apply to TLP:AMBER+STRICT only",
            field="recipients",
            value=",".join(sorted(marking.recipient_agencies)),
        )
    if marking.recipient_users and marking.tlp is not TLP.RED:
        raise InvalidInput(
            "recipient users apply to TLP:RED only",
            field="recipients",
            value=",".join(sorted(marking.recipient_users)),
        )
    return marking


def may_forward(
    marking: Marking,
    origin_is_peer: bool,
    receiving_agency: str,
    groups: Iterable[str],
    *,
    owner_agency: str | None = None,
) -> bool:
    """May this node send an object with `marking` to `receiving_agency` on a peer?

    `groups` are the sharing groups the receiving agency belongs to, as this
    node knows them.  The answer is exactly "could that agency read it here,
    through a peer token", with one further rule: what this node received from
    elsewhere at AMBER+STRICT or RED is never passed on.  RED is never sent at
    all, because its audience is named users of this node.
    """
    if origin_is_peer and marking.tlp in (TLP.AMBER_STRICT, TLP.RED):
        return False
    peer = Reader(agency=receiving_agency, groups=frozenset(groups), is_peer=True)
    # The owner is only relevant as a member of the audience; a placeholder that
    # no real agency code can equal keeps "owner" from matching by accident.
    owner = owner_agency if owner_agency is not None else "\x00no-owner"
    return may_read(peer, audience(marking, owner, None))
