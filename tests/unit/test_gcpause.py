"""gcpause.collection_paused: the cyclic collector is off during batches and restored after."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from bersama.gcpause import SERVING_THRESHOLDS, collection_paused, tune_for_serving


@pytest.fixture(autouse=True)
def _collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def _failing_batch() -> None:
    with collection_paused():
        assert not gc.isenabled()
        raise RuntimeError("batch failed")


def test_paused_inside_and_restored_after_even_on_error() -> None:
    with pytest.raises(RuntimeError):
        _failing_batch()
    assert gc.isenabled()


def test_nested_batches_restore_only_when_the_last_one_ends() -> None:
    with collection_paused():
        with collection_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with collection_paused():
        pass
    assert not gc.isenabled()


def test_serving_freezes_what_exists_and_collects_the_young_less_often() -> None:
    before = gc.get_threshold()
    try:
        tune_for_serving()
        assert gc.get_threshold() == SERVING_THRESHOLDS
        assert gc.get_freeze_count() > 1000  # this process's modules, at least
        assert gc.isenabled()
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
