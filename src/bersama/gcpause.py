"""Pausing the cyclic garbage collector while a batch runs; tuning it for a server.

Batch work (an ingest, a batch of detection results) allocates hundreds of
thousands of short-lived containers but makes almost no reference cycles, so
the collector's passes over the growing generations are pure overhead: 10-15%
of the CPU time of an ingest, ~7% of a detection batch (benchmarks/RESULTS.md).
Reference counting still frees everything a batch drops except its few cycles,
which the next collection after the batch takes.

A module of its own, with no imports from the rest of the package, so that the
detector can use it without loading the store (as importing `ingest.pipeline`
would), and one process-wide count, since the collector is process-wide:
concurrent batches in several threads keep it paused until the last one ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_pause_lock = threading.Lock()
_pauses = 0
_was_enabled = False


@contextmanager
def collection_paused() -> Iterator[None]:
    """Pause automatic cyclic garbage collection while a batch runs; the collector is on
    again once the last concurrent batch ends, if it was on before the first began.
    Memory stays bounded: reference counting frees everything a batch drops except
    the few cycles it makes, and those per batch, not per item."""
    global _pauses, _was_enabled  # noqa: PLW0603 - one process-wide collector
    with _pause_lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()


SERVING_THRESHOLDS = (50_000, 20, 10)
"""Collector thresholds of an API process (CPython's defaults: 700, 10, 10)."""


def tune_for_serving() -> None:
    """Tune the collector of a long-running API process, once its app is built.

    Everything alive at that point (modules, the app, settings, compiled schemas: ~190,000
    containers) is frozen out of the collector's generations (`gc.freeze`), so no later
    full collection walks it again; and the youngest generation is collected after 50,000
    net allocations instead of 700, so a request's short-lived containers (freed by
    reference counting) meet fewer collections.  Measured on a 100k store, 3,000 single
    checks over HTTP, 3-5 runs each (benchmarks/RESULTS.md, session 14): the collector's
    time per run ~0.75 s -> ~0.5 s, the slowest request 158-238 ms -> 31-145 ms, p99
    unchanged within the noise.  Reference cycles are still collected, later."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*SERVING_THRESHOLDS)
