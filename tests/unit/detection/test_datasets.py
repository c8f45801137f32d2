"""Readers of ../shared/data: deduplicated before splitting, splits by time."""

from __future__ import annotations

from pathlib import Path

import pytest

from bersama.detection.datasets import load_messages, load_urls
from bersama.errors import InvalidInput

pytestmark = pytest.mark.data


def test_messages(shared_data: Path) -> None:
    rows = load_messages(shared_data)
    langs = {r.lang for r in rows}
    assert langs == {"en", "th", "tl", "my"}
    keys = [(" ".join(r.text.split()).lower(), r.lang) for r in rows]
    assert len(keys) == len(set(keys))
    assert not any(r.text == "<REDACTED>" for r in rows)
    en = [r for r in rows if r.lang == "en"]
    assert 5000 < len(en) < 5574  # 403 duplicates removed
    assert {r.split for r in rows} == {"train", "test"}


def test_urls(shared_data: Path) -> None:
    rows = load_urls(shared_data)
    assert len(rows) > 15_000
    assert 0 < sum(r.label for r in rows) < len(rows)


def test_missing_dir(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="not found"):
        load_messages(tmp_path)
