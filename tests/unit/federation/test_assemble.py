"""What a refused report carried (federation/assemble.py, step 5): found by its refs alone."""

from __future__ import annotations

from typing import Any

from bersama.federation.assemble import carried

SCO = "x-bersama-phone-number--6a1b5f6e-35c8-5d8f-9b8e-0d3c4b5a6f71"
OTHER = "x-bersama-phone-number--7b2c6a7f-46d9-5e9a-8c9f-1e4d5c6b7a82"
URL = "url--1c2d3e4f-5a6b-5c7d-8e9f-0a1b2c3d4e5f"
GROUP = "marking-definition--2d3e4f5a-6b7c-4d8e-9fa0-1b2c3d4e5f6a"
IDENTITY = "identity--3e4f5a6b-7c8d-4e9f-a0b1-2c3d4e5f6a7b"


def _objects() -> list[dict[str, Any]]:
    return [
        {"type": "report", "id": "report--1", "object_refs": [SCO, "observed-data--1", IDENTITY],
         "object_marking_refs": [GROUP]},
        {"type": "observed-data", "id": "observed-data--1", "object_refs": [URL]},
        {"type": "report", "id": "report--2", "object_refs": [OTHER]},
        {"type": "x-bersama-phone-number", "id": SCO},
        {"type": "x-bersama-phone-number", "id": OTHER},
        {"type": "url", "id": URL},
        {"type": "marking-definition", "id": GROUP},
        {"type": "identity", "id": IDENTITY},
    ]


def test_the_observables_and_marking_definitions_a_refused_report_names() -> None:
    got = {o["id"] for o in carried(_objects(), {"report--1"})}
    assert got == {SCO, URL, GROUP}  # through its observed-data; never its identity


def test_nothing_for_records_that_are_no_container_of_the_batch() -> None:
    assert carried(_objects(), {SCO, "bundle--x", "report--9"}) == []


def test_what_is_ingested_held_or_known_already_is_left_out() -> None:
    got = {o["id"] for o in carried(_objects(), {"report--1"}, besides={SCO, GROUP})}
    assert got == {URL}
