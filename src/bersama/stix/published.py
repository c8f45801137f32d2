"""The STIX objects the project publishes: our extension definitions and identity.

They live as JSON files in `definitions/` (shipped as package data) so the node
can serve them byte for byte to partners, and so they are reviewed as data
rather than generated at run time.  See docs/stix.md for what each defines.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from bersama.stix.extensions import (
    EXTENSION_IDS,
    MARKING_EXTENSION,
    PUBLISHER_IDENTITY,
    REPORT_CONTEXT_EXTENSION,
)

_FILES = (*EXTENSION_IDS, "x-bersama-report-context", "x-bersama-marking")


def _load(name: str) -> dict[str, Any]:
    text = resources.files("bersama.stix").joinpath("definitions", f"{name}.json").read_text(
        encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def extension_definitions() -> tuple[dict[str, Any], ...]:
    """Every extension-definition object we publish (5 new-sco, 2 property-extension)."""
    defs = tuple(_load(name) for name in _FILES)
    expected = {*EXTENSION_IDS.values(), REPORT_CONTEXT_EXTENSION, MARKING_EXTENSION}
    if {d["id"] for d in defs} != expected:  # a hand edit changed an id: refuse loudly
        raise RuntimeError("stix/definitions/*.json ids do not match stix/extensions.py")
    return defs


@cache
def publisher_identity() -> dict[str, Any]:
    ident = _load("identity")
    assert ident["id"] == PUBLISHER_IDENTITY  # noqa: S101 - packaged data invariant
    return ident


def property_schema(definition_id: str) -> dict[str, Any]:
    """The JSON Schema (parsed) of one of our extension definitions."""
    for d in extension_definitions():
        if d["id"] == definition_id:
            schema: dict[str, Any] = json.loads(d["schema"])
            return schema
    raise KeyError(definition_id)
