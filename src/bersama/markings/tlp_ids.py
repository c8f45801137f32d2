"""The OASIS TLP 2.0 STIX marking definitions, by TLP level.

STIX 2.1 itself only defines TLP 1.0 markings; the OASIS CTI TC published
fixed marking-definition objects for TLP 2.0 (an extension-based definition
with a `tlp_2_0` property).  Peers and tools recognise TLP 2.0 by these exact
ids, so we never mint our own.  Pure data: the STIX mapping (`bersama.stix`)
builds the full objects around them.
"""

from __future__ import annotations

from types import MappingProxyType

from bersama.errors import InvalidInput
from bersama.markings.model import TLP

TLP2_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
"""The OASIS extension definition that TLP 2.0 marking definitions use."""

TLP2_MARKING_IDS: MappingProxyType[TLP, str] = MappingProxyType(
    {
        TLP.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
        TLP.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
        TLP.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
        TLP.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
        TLP.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
    }
)

# TLP 1.0 ids from the STIX 2.1 specification, still sent by many tools; WHITE reads as CLEAR.
TLP1_MARKING_IDS: MappingProxyType[str, TLP] = MappingProxyType(
    {
        "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": TLP.CLEAR,
        "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": TLP.GREEN,
        "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": TLP.AMBER,
        "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": TLP.RED,
    }
)

_BY_ID: dict[str, TLP] = {v: k for k, v in TLP2_MARKING_IDS.items()} | dict(TLP1_MARKING_IDS)


def marking_id(tlp: TLP) -> str:
    """The TLP 2.0 marking-definition id to put in `object_marking_refs`."""
    return TLP2_MARKING_IDS[tlp]


def tlp_from_marking_id(marking_ref: str) -> TLP | None:
    """The TLP level of a marking-definition id, or None if it is not a TLP marking."""
    return _BY_ID.get(marking_ref)


def tlp_from_marking_refs(refs: list[str] | tuple[str, ...], *, field: str) -> TLP | None:
    """The one TLP level among `object_marking_refs`; two different levels is an error."""
    found = {t for t in (tlp_from_marking_id(r) for r in refs) if t is not None}
    if len(found) > 1:
        raise InvalidInput(
            "object carries more than one TLP level: "
            + ", ".join(sorted(t.value for t in found)),
            field=field,
            value=",".join(refs),
        )
    return found.pop() if found else None
