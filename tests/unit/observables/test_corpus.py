"""Properties over the real URLs and SMS texts in ../shared/data (skipped without it).

Every URL either normalises or is refused with our error, and its key and display
normalise to the same key again; every message goes through free-text extraction
with the country of its language without an exception, and what it finds are
valid, idempotent keys.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bersama.detection.datasets import load_messages, load_urls
from bersama.errors import InvalidObservable
from bersama.observables import extract_entities, normalise, url

COUNTRY = {"th": "TH", "tl": "PH", "en": "GB", "my": "MM"}


def test_every_corpus_url_normalises_idempotently_or_is_refused(shared_data: Path) -> None:
    refused = 0
    for row in load_urls(shared_data):
        try:
            obs = url(row.url)
        except InvalidObservable:
            refused += 1
            continue
        assert url(obs.key) == obs, row.url
        assert url(obs.display).key == obs.key, row.url
    assert refused < 20  # 4 of 21,391 when written: white space inside, an empty label


@pytest.mark.parametrize("lang", sorted(COUNTRY))
def test_every_corpus_message_extracts_valid_keys(shared_data: Path, lang: str) -> None:
    country = COUNTRY[lang]
    for msg in load_messages(shared_data):
        if msg.lang != lang:
            continue
        for obs in extract_entities(msg.text, country=country):
            assert normalise(obs.kind, obs.key, country=country).key == obs.key, msg.text
