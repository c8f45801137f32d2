"""TLP marking-definition ids (TLP 2.0 and 1.0) and our sharing-group marking.

STIX carries TLP as references to fixed, well-known `marking-definition` objects:
TLP 2.0 through the OASIS TLP 2.0 extension
(extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d), TLP 1.0 through the
four objects the STIX 2.1 specification itself defines (§7.2.1.4).  Partners still
send 1.0 ids, so both are read; we always write 2.0 ids.  A Bersama sharing group
and named recipients travel in a separate marking-definition carrying our
`MARKING_EXTENSION` property-extension, whose id is derived from its content so the
same group always has the same id (see docs/stix.md).
"""

from __future__ import annotations

import uuid
from functools import lru_cache
from typing import Any

from bersama.errors import InvalidInput
from bersama.markings.model import TLP, Marking
from bersama.stix.extensions import MARKING_EXTENSION, PUBLISHER_IDENTITY

TLP2_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_IDENTITY = "identity--b3bca3c2-1f3d-4b54-b44f-dac42c3a8f01"
"""The OASIS CTI TC identity that created the TLP 2.0 marking definitions."""

TLP2_IDS: dict[TLP, str] = {
    TLP.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    TLP.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    TLP.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    TLP.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    TLP.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
TLP1_IDS: dict[str, TLP] = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": TLP.CLEAR,  # TLP:WHITE
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": TLP.GREEN,
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": TLP.AMBER,
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": TLP.RED,
}
ID_TO_TLP: dict[str, TLP] = {**{v: k for k, v in TLP2_IDS.items()}, **TLP1_IDS}

RESTRICTIVENESS: dict[TLP, int] = {
    TLP.CLEAR: 0, TLP.GREEN: 1, TLP.AMBER: 2, TLP.AMBER_STRICT: 3, TLP.RED: 4,
}
_GROUP_NS = uuid.UUID("3b1a6d2e-5c0f-4f43-9a8e-1f6f0e2a0011")


def tlp_id(tlp: TLP) -> str:
    """The TLP 2.0 marking-definition id for a level."""
    return TLP2_IDS[tlp]


def tlp_from_id(marking_id: str) -> TLP | None:
    """The level of a TLP 2.0 or 1.0 marking-definition id; None for any other id."""
    return ID_TO_TLP.get(marking_id)


def most_restrictive(levels: list[TLP]) -> TLP | None:
    """Several TLP refs on one object: the most restrictive wins (documented in docs/stix.md)."""
    return max(levels, key=RESTRICTIVENESS.__getitem__) if levels else None


def tlp_marking_definition(tlp: TLP) -> dict[str, Any]:
    """The OASIS TLP 2.0 marking-definition object itself, for bundles that carry it."""
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP2_IDS[tlp],
        "created_by_ref": TLP2_IDENTITY,
        "created": "2022-10-01T00:00:00.000Z",
        "name": f"TLP:{tlp.value.upper()}",
        "extensions": {
            TLP2_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": tlp.value},
        },
    }


def tlp_from_marking_object(obj: dict[str, Any]) -> TLP | None:
    """The TLP level a marking-definition object states by content (TLP 2.0 extension or
    the 1.0 `definition_type: tlp` form), for partners that mint their own ids."""
    ext = obj.get("extensions")
    if isinstance(ext, dict):
        tlp2 = ext.get(TLP2_EXTENSION)
        if isinstance(tlp2, dict) and isinstance(tlp2.get("tlp_2_0"), str):
            return _parse_level(tlp2["tlp_2_0"])
    if obj.get("definition_type") == "tlp":
        definition = obj.get("definition")
        if isinstance(definition, dict) and isinstance(definition.get("tlp"), str):
            return _parse_level(definition["tlp"])
    return None


def _parse_level(value: str) -> TLP | None:
    try:
        return TLP.parse(value)
    except InvalidInput:
        return None


@lru_cache(maxsize=1024)
def group_marking_id(marking: Marking) -> str:
    """Deterministic id of the marking-definition carrying a group and recipients."""
    name = "|".join((
        marking.group or "",
        ",".join(sorted(marking.recipient_agencies)),
        ",".join(sorted(marking.recipient_users)),
    ))
    return f"marking-definition--{uuid.uuid5(_GROUP_NS, name)}"


def needs_group_marking(marking: Marking) -> bool:
    return bool(marking.group or marking.recipient_agencies or marking.recipient_users)


def group_marking_definition(marking: Marking, created: str) -> dict[str, Any]:
    """The marking-definition object carrying our sharing-group extension."""
    ext: dict[str, Any] = {"extension_type": "property-extension"}
    if marking.group:
        ext["sharing_group"] = marking.group
    if marking.recipient_agencies:
        ext["recipient_agencies"] = sorted(marking.recipient_agencies)
    if marking.recipient_users:
        ext["recipient_users"] = sorted(marking.recipient_users)
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": group_marking_id(marking),
        "created_by_ref": PUBLISHER_IDENTITY,
        "created": created,
        "name": f"Bersama sharing group {marking.group}" if marking.group
        else "Bersama named recipients",
        "extensions": {MARKING_EXTENSION: ext},
    }


def group_from_marking_object(obj: dict[str, Any]) -> tuple[str | None, frozenset[str],
                                                             frozenset[str]] | None:
    """(group, recipient agencies, recipient users) from our marking extension, if present."""
    ext = obj.get("extensions")
    if not isinstance(ext, dict):
        return None
    data = ext.get(MARKING_EXTENSION)
    if not isinstance(data, dict):
        return None
    group = data.get("sharing_group")
    agencies = data.get("recipient_agencies") or []
    users = data.get("recipient_users") or []
    if not isinstance(agencies, list) or not isinstance(users, list):
        return None
    return (
        group if isinstance(group, str) and group else None,
        frozenset(str(a) for a in agencies),
        frozenset(str(u) for u in users),
    )


def marking_refs(marking: Marking) -> list[str]:
    """object_marking_refs for a marking: the TLP 2.0 id, then our group marking if any."""
    refs = [TLP2_IDS[marking.tlp]]
    if needs_group_marking(marking):
        refs.append(group_marking_id(marking))
    return refs
