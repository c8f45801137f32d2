"""TAXII collections as sharing scopes (pure).

Why collections are views rather than stored containers: what a client may
receive is decided by the markings policy for the client's agency, whatever
collection it asks; a collection only narrows that down.  Every reader sees:

- ``shared``: everything it may read (and where it may add objects);
- ``green``: only TLP:CLEAR and TLP:GREEN reports (safe to redistribute);
- ``amber-<group>``: TLP:AMBER reports of each sharing group it belongs to.

Ids are UUIDv5 of the alias, so they are stable across nodes and restarts,
and the alias is accepted in URLs wherever the id is.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from bersama.federation.protocol import STIX_21, TAXII_21
from bersama.markings.model import TLP, Reader

_NS = uuid.UUID("3b1a6d2e-5c0f-4f43-9a8e-1f6f0e2a0400")


@dataclass(frozen=True)
class Scope:
    alias: str
    title: str
    description: str
    tlps: frozenset[str] | None = None
    group: str | None = None
    can_write: bool = False

    @property
    def id(self) -> str:
        return str(uuid.uuid5(_NS, self.alias))

    def resource(self) -> dict[str, Any]:
        """The TAXII collection resource."""
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "alias": self.alias,
            "can_read": True,
            "can_write": self.can_write,
            "media_types": [STIX_21],
        }


SHARED = Scope(
    "shared", "Shared with you",
    "Every object this node's markings let your agency read.", can_write=True,
)
GREEN = Scope(
    "green", "TLP:CLEAR and TLP:GREEN",
    "Reports marked TLP:CLEAR or TLP:GREEN only.",
    tlps=frozenset({TLP.CLEAR.value, TLP.GREEN.value}),
)


def group_scope(group: str) -> Scope:
    return Scope(
        f"amber-{group}", f"TLP:AMBER for {group}",
        f"Reports marked TLP:AMBER for the sharing group {group}.",
        tlps=frozenset({TLP.AMBER.value}), group=group,
    )


def scopes_for(reader: Reader) -> list[Scope]:
    return [SHARED, GREEN, *(group_scope(g) for g in sorted(reader.groups))]


def find_scope(reader: Reader, id_or_alias: str) -> Scope | None:
    for scope in scopes_for(reader):
        if id_or_alias in (scope.id, scope.alias):
            return scope
    return None


def api_root_resource(title: str, max_content_length: int) -> dict[str, Any]:
    return {
        "title": title,
        "description": "Bersama node API root: STIX 2.1 over TAXII 2.1.",
        "versions": [TAXII_21],
        "max_content_length": max_content_length,
    }
