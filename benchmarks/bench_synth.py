"""Scenario generation rate: observables/s generating in memory and writing all formats.

Usage: .venv/bin/python benchmarks/bench_synth.py [SIZES...]   (default: 100000 1000000)

For each size: generation alone (iterating `Scenario.events()`, what tests and
in-process benchmarks use), then `write()` of all four formats into a temporary
directory; prints wall and CPU seconds, the rate and the peak RSS.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from bersama.synth import CampaignSummary, generate, write


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [100_000, 1_000_000]
    as_of = date(2026, 11, 1)
    for n in sizes:
        sc = generate(42, n, as_of=as_of)
        t0, c0 = time.perf_counter(), time.process_time()
        reports = campaigns = 0
        for ev in sc.events():
            if isinstance(ev, CampaignSummary):
                campaigns += 1
            else:
                reports += 1
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        print(f"generate {n:>10,} observables: {reports:,} reports, {campaigns:,} campaigns, "
              f"{wall:.1f} s wall ({cpu:.1f} s CPU) = {n / wall:,.0f} observables/s "
              f"({reports / wall:,.0f} reports/s)")
        with tempfile.TemporaryDirectory() as tmp:
            t0, c0 = time.perf_counter(), time.process_time()
            manifest = write(sc, Path(tmp) / "out")
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            size = sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file())
        print(f"write    {n:>10,} observables: {len(manifest['files']):,} files, "
              f"{size / 2**20:,.0f} MiB, {wall:.1f} s wall ({cpu:.1f} s CPU) = "
              f"{n / wall:,.0f} observables/s; formats {manifest['formats']}")
        print(f"peak RSS so far: {_rss_mb():,.0f} MiB")


if __name__ == "__main__":
    main()
