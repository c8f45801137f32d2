"""Property: whatever bytes arrive, an adapter answers with drafts, rejections or InvalidInput.

Each adapter (and format detection) is fed mutated fixtures (tests/unit/ingest/mutations.py:
dropped or mistyped properties, NaN, huge numbers, deep nesting, wrong spec_version, odd
timestamps, unknown types, bytes that are not UTF-8, BOMs, truncation, repeated keys, very
long lines).  Failure is any exception that is not a `BersamaError`: the API would answer
500 and the CLI print a traceback instead of naming the problem.  Derandomized and bounded
so the suite stays deterministic and quick; longer runs of the same mutators with other
seeds found the bugs these examples now guard (see the regression tests beside them).
"""

from __future__ import annotations

import io
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bersama.errors import BersamaError
from bersama.ingest.detect_format import sniff
from bersama.ingest.model import Rejection, ReportDraft
from bersama.ingest.sources import parser_for

from .mutations import mutator

FUZZ = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _read(fmt: str, data: bytes) -> None:
    sniff(data)  # never raises: it only guesses
    try:
        items: list[object] = list(parser_for(fmt)(io.BytesIO(data), agency_country="MY"))
    except BersamaError as exc:
        items, detail = [], exc.detail
    else:
        detail = "answered"
    assert detail  # an error names the problem
    for item in items:
        assert isinstance(item, ReportDraft | Rejection)
        if isinstance(item, Rejection):
            assert item.reason


@pytest.mark.parametrize("fmt", ["stix", "misp", "csv", "text"])
@FUZZ
@given(rng=st.randoms(use_true_random=False))
def test_adapter_answers_mutated_input_with_drafts_rejections_or_invalid_input(
    fmt: str, rng: random.Random,
) -> None:
    _read(fmt, mutator(fmt)(rng))


@FUZZ
@given(data=st.binary(max_size=2048), fmt=st.sampled_from(["stix", "misp", "csv", "text"]))
def test_adapter_answers_arbitrary_bytes(data: bytes, fmt: str) -> None:
    _read(fmt, data)
