"""Format sniffing by content, then extension."""

from __future__ import annotations

from pathlib import Path

import pytest

from bersama.ingest.detect_format import sniff

from .conftest import FIXTURES


@pytest.mark.parametrize(("name", "expected"), [
    ("bundle_scam.json", "stix"), ("bundle_stix20.json", "stix"), ("misp_event.json", "misp"),
    ("misp_response.json", "misp"), ("hotline.csv", "csv"), ("advisory_en.txt", "text"),
    ("advisory_ms.txt", "text"),
])
def test_fixtures(name: str, expected: str) -> None:
    assert sniff(FIXTURES / name) == expected


def test_content_beats_extension(tmp_path: Path) -> None:
    p = tmp_path / "export.txt"
    p.write_bytes((FIXTURES / "misp_event.json").read_bytes())
    assert sniff(p) == "misp"
    assert sniff(b"case,date,phone,loss\n1,2026-01-01,0123456789,10\n2,2026-01-02,0129,5\n") \
        == "csv"
    assert sniff(b"Just a paragraph about a scam.\nAnother line.") == "text"
    assert sniff(b'{"foo": 1}', name="x.json") == "stix"
