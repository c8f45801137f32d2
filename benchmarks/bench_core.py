"""Core node figures: ingest rate, check latency, bulk check rate, incremental cost, memory.

    .venv/bin/python benchmarks/bench_core.py --observables 100000 [--db sqlite|postgresql]
        [--pg-url URL] [--http] [--enforcement]

Generates a scenario (bersama.synth), writes it as STIX 2.1 bundles, measures
`stix2.parse` on a sample of the same objects as the reference, then ingests
the bundles through the real adapter and pipeline, and measures checks on the
resulting store.  Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson
import stix2
from sqlalchemy import Engine, bindparam, delete, func, select

from bersama.config import Settings
from bersama.ingest.model import ReportDraft
from bersama.ingest.sources import ingest_stream
from bersama.ingest.stix import parse_stix
from bersama.markings import Reader, Role, reader_tokens
from bersama.observables.model import Kind, Observable
from bersama.stix.export import bundle, draft_to_stix
from bersama.store.apitokens import create_token
from bersama.store.clusterviews import SNAPSHOTS
from bersama.store.db import make_engine, migrate
from bersama.store.identities import add_agency, add_user, groups_of
from bersama.store.queries import Reads
from bersama.store.summaries import SUMMARIES, summarise_all
from bersama.store.summary_writer import SummaryWriter
from bersama.store.tables.core import (
    cluster_summaries,
    clusters,
    observable_summaries,
    observables,
    report_observables,
    reports,
)
from bersama.synth.scenario import generate

NOW = datetime.now(UTC)


def write_bundles(
    seed: int, n_obs: int, out: Path, per_file: int = 50_000
) -> tuple[list[tuple[str, Path]], dict[str, tuple[str, str, str]], int]:
    """Write the scenario as STIX bundles per agency; return files, agencies, object count."""
    scen = generate(seed, n_obs, as_of=NOW.date())
    agencies = {a.code: (a.name, a.country, a.type) for a in scen.agencies}
    buffers: dict[str, list[dict[str, object]]] = {}
    files: list[tuple[str, Path]] = []
    total = 0

    def flush(code: str) -> None:
        # Counted as written: a bundle holds a shared SCO or marking once, however many
        # reports name it (counting the objects before that made the rate look 33% higher).
        nonlocal total
        objs = buffers.pop(code, [])
        if objs:
            path = out / f"{code}-{len(files):04d}.json"
            written = bundle(objs)
            path.write_bytes(orjson.dumps(written))
            files.append((code, path))
            total += len(written["objects"])

    for agency, draft, _campaign in scen.reports():
        objs = draft_to_stix(
            draft, agency=agency.code, agency_country=agency.country, identity_id=None
        )
        buffers.setdefault(agency.code, []).extend(objs)
        if len(buffers[agency.code]) >= per_file:
            flush(agency.code)
    for code in list(buffers):
        flush(code)
    return files, agencies, total


def ingest_direct(
    engine: Engine, settings: Settings, seed: int, n_obs: int, batch: int = 20_000
) -> tuple[dict[str, tuple[str, str, str]], float, int]:
    """Ingest the scenario's drafts through the pipeline without files (large stores).

    An interrupted build resumes where it stopped: batches are flushed per agency in
    the order the generator yields them, so each agency's stored reports are a prefix
    of its stream, and that many of its drafts are skipped.
    """
    from bersama.ingest.pipeline import ingest

    scen = generate(seed, n_obs, as_of=NOW.date())
    agencies = {a.code: (a.name, a.country, a.type) for a in scen.agencies}
    with engine.connect() as c:
        stored_per_agency = dict(
            c.execute(select(reports.c.agency, func.count()).group_by(reports.c.agency)).all()
        )
    if stored_per_agency:
        print(f"resuming: {sum(stored_per_agency.values()):,} reports already stored", flush=True)
    else:
        setup_agencies(engine, agencies)
    skip = {code: int(k) for code, k in stored_per_agency.items()}
    pending: dict[str, list[ReportDraft]] = {}
    t = time.perf_counter()
    n = 0

    def flush(code: str) -> None:
        drafts = pending.pop(code, [])
        t0 = time.perf_counter()
        cpu0 = time.process_time()
        with engine.begin() as c:
            ingest(
                c,
                settings,
                agency=code,
                items=drafts,
                source_format="bench",
                source="bench",
                actor=Reader(agency=code, user="bench@x", role=Role.ANALYST),
            )
        # The growth curve: what a batch of reports costs at each store size.
        secs = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
        with engine.connect() as c:
            stored = c.execute(select(func.max(observables.c.id))).scalar() or 0
        print(
            f"[grow] {n:,} reports generated, {stored:,} observables stored, "
            f"{time.perf_counter() - t:,.0f} s; this batch {len(drafts):,} reports in "
            f"{secs:.1f} s = {secs / len(drafts) * 10_000:.2f} s per 10k reports "
            f"({cpu / len(drafts) * 10_000:.2f} CPU-s)",
            flush=True,
        )

    for agency, draft, _campaign in scen.reports():
        n += 1
        if skip.get(agency.code, 0):
            skip[agency.code] -= 1
            continue
        pending.setdefault(agency.code, []).append(draft)
        if len(pending[agency.code]) >= batch:
            flush(agency.code)
    for code in list(pending):
        flush(code)
    return agencies, time.perf_counter() - t, n


def reference_stix2(path: Path, sample: int = 2000) -> float:
    objs = orjson.loads(path.read_bytes())["objects"][:sample]
    t = time.perf_counter()
    for o in objs:
        stix2.parse(o, allow_custom=True)
    return len(objs) / (time.perf_counter() - t)


def parse_only(files: list[tuple[str, Path]], countries: dict[str, str]) -> tuple[float, int]:
    t = time.perf_counter()
    n = 0
    for code, path in files:
        with path.open("rb") as fh:
            for _ in parse_stix(fh, agency_country=countries[code], source_name=str(path)):
                n += 1
    return time.perf_counter() - t, n


def setup_agencies(engine: Engine, agencies: dict[str, tuple[str, str, str]]) -> None:
    with engine.begin() as c:
        for code, (name, country, kind) in agencies.items():
            add_agency(
                c, code=code, name=name, country=country, type=kind, now=NOW, default_tlp="green"
            )


def ingest_all(engine: Engine, settings: Settings, files: list[tuple[str, Path]]) -> float:
    t = time.perf_counter()
    for code, path in files:
        with path.open("rb") as fh:
            ingest_stream(
                engine,
                settings,
                fh,
                fmt="stix",
                agency=code,
                actor=Reader(agency=code, user="bench@x", role=Role.ANALYST),
                source=str(path),
            )
    return time.perf_counter() - t


def sample_observables(engine: Engine, k: int, seed: int) -> list[Observable]:
    with engine.connect() as c:
        top = c.execute(select(func.max(observables.c.id))).scalar_one()
        rng = random.Random(seed)
        ids = rng.sample(range(1, top + 1), min(k, top))
        rows = c.execute(
            select(observables.c.kind, observables.c.ref).where(observables.c.id.in_(ids))
        ).all()
    return [Observable(Kind(kind), ref.split(":", 1)[1]) for kind, ref in rows]


def clusters_of(engine: Engine, sample: list[Observable]) -> list[tuple[int, int]]:
    """(cluster id, stamp) of the clusters the sample's values are in."""
    refs = [o.ref for o in sample]
    out: set[tuple[int, int]] = set()
    stmt = (
        select(clusters.c.id, clusters.c.stamp)
        .join(reports, reports.c.cluster_id == clusters.c.id)
        .join(report_observables, report_observables.c.report_id == reports.c.id)
        .join(observables, observables.c.id == report_observables.c.observable_id)
        .where(observables.c.ref.in_(bindparam("refs", expanding=True)))
        .distinct()
    )
    with engine.connect() as c:
        for i in range(0, len(refs), 2000):
            out.update((int(a), int(b)) for a, b in c.execute(stmt, {"refs": refs[i : i + 2000]}))
    return sorted(out)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))]


def paired_latency(
    engine: Engine,
    settings: Settings,
    readers: tuple[Reader, Reader],
    sample: list[Observable],
    *,
    cold: bool = True,
) -> list[tuple[float, float]]:
    """p50/p99 of single checks for two readers, each check in a fresh `Reads` (as one
    API request), interleaved value by value with the order alternating, so neither
    reader runs on a database page cache the other one warmed.

    `cold` empties the process-wide snapshot and summary caches before every check
    (the first touch of each cluster); warm first reads every value once for both
    readers (a long-running node's steady state).
    """
    lat: tuple[list[float], list[float]] = ([], [])
    with engine.connect() as c:
        for who in readers:
            for obs in sample[: 50 if cold else len(sample)]:  # statement and view caches
                Reads(c, who, settings).check(obs)
        for i, obs in enumerate(sample):
            for k in (0, 1) if i % 2 == 0 else (1, 0):
                if cold:
                    SNAPSHOTS.clear()
                    SUMMARIES.clear()
                reads = Reads(c, readers[k], settings)
                t = time.perf_counter()
                reads.check(obs)
                lat[k].append((time.perf_counter() - t) * 1000)
    return [(pct(x, 0.5), pct(x, 0.99)) for x in lat]


def bulk_rate(
    engine: Engine,
    settings: Settings,
    reader: Reader,
    sample: list[Observable],
    *,
    cold: bool = True,
) -> float:
    """Values/s of bulk checks of 10,000 values (cold: empty cluster snapshot cache)."""
    if cold:
        SNAPSHOTS.clear()
        SUMMARIES.clear()
    with engine.connect() as c:
        t = time.perf_counter()
        for i in range(0, len(sample), 10_000):
            Reads(c, reader, settings).check_many(sample[i : i + 10_000])
        return len(sample) / (time.perf_counter() - t)


def analyst(engine: Engine, agencies: dict[str, tuple[str, str, str]]) -> Reader:
    code = sorted(agencies)[0]
    with engine.connect() as c:
        return Reader(agency=code, user="bench@x", role=Role.ANALYST, groups=groups_of(c, code))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_figures(
    settings: Settings,
    engine: Engine,
    agencies: dict[str, tuple[str, str, str]],
    sample: list[Observable],
) -> dict[str, float]:
    code = sorted(agencies)[0]
    email = f"bench-http-{os.getpid()}@x"  # a store is measured more than once
    with engine.begin() as c:
        add_user(c, email=email, agency=code, role="analyst", now=NOW)
        token = create_token(c, now=NOW, user=email)[1]
    port = free_port()
    env = {
        **os.environ,
        "BERSAMA_DATABASE_URL": settings.effective_database_url,
        "BERSAMA_DATA_DIR": str(settings.data_dir),
        "BERSAMA_CHECK_RATE_PER_MINUTE": "100000000",
        "BERSAMA_ENVIRONMENT": "test",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "bersama.api.factory:app",
        ],
        env=env,
    )
    try:
        h = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=h, timeout=60) as cl:
            deadline = time.monotonic() + 600  # a large store on a busy machine starts slowly
            while True:
                try:
                    # Discovery, not /api/v1/status: that counts the whole store (minutes
                    # at 10M), and a probe retried on timeout piles those scans up.
                    cl.get("/taxii2/", headers={"Accept": "application/taxii+json;version=2.1"})
                    break
                except httpx.TransportError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        msg = f"the API process did not start (exit {proc.poll()})"
                        raise SystemExit(msg) from None
                    time.sleep(0.5)
            values = [f"{o.kind.value}:{o.key}" for o in sample]
            for v in values[:50]:
                cl.get("/api/v1/check", params={"value": v})
            lat = []
            cpu0 = _cpu_seconds(proc.pid)
            for v in values[:2000]:
                t = time.perf_counter()
                r = cl.get("/api/v1/check", params={"value": v})
                lat.append((time.perf_counter() - t) * 1000)
                r.raise_for_status()
            # Server CPU per request: the one figure a shared machine does not distort.
            server_cpu = (_cpu_seconds(proc.pid) - cpu0) / len(lat) * 1000
            # Twice: the first pass stores the summaries its checks compute (the server's
            # writer, behind the reads), the second is a node's steady state.  Then a
            # screening list, twice (the second pass normalises from the caches).
            bulk = []
            screen = [f"{o.kind.value}:{o.key}" for o in screening_list(sample)]
            for batch in (values, values, screen, screen):
                t = time.perf_counter()
                cpu0 = _cpu_seconds(proc.pid)
                for i in range(0, len(batch), 10_000):
                    part = batch[i : i + 10_000]
                    cl.post("/api/v1/check", json={"values": part}).raise_for_status()
                bulk.append(len(batch) / (time.perf_counter() - t))
                bulk.append(len(batch) / max(_cpu_seconds(proc.pid) - cpu0, 1e-9))
                time.sleep(2)  # the writer stores what the pass offered
        rss = _vm_hwm(proc.pid)
    finally:
        proc.terminate()
        proc.wait(10)
    return {
        "p50": pct(lat, 0.5),
        "p99": pct(lat, 0.99),
        "server_cpu_ms": server_cpu,
        "bulk": bulk[0],
        "bulk_cpu": bulk[1],
        "bulk_again": bulk[2],
        "bulk_again_cpu": bulk[3],
        "screen": bulk[6],
        "screen_cpu": bulk[7],
        "rss_mb": rss,
    }


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _vm_hwm(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--observables", type=int, default=100_000)
    ap.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--pg-url", default=os.environ.get("BERSAMA_TEST_PG_URL"))
    ap.add_argument("--http", action="store_true")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--sample", type=int, default=20_000, help="values checked (bulk)")
    ap.add_argument("--workdir", default=None)
    ap.add_argument(
        "--direct",
        action="store_true",
        help="ingest drafts through the pipeline without writing STIX files",
    )
    ap.add_argument(
        "--http-only",
        action="store_true",
        help="with --measure-only: only the checks over HTTP",
    )
    ap.add_argument(
        "--add-only",
        action="store_true",
        help="with --measure-only: only the cost of adding a fresh scenario's reports",
    )
    ap.add_argument(
        "--measure-only",
        action="store_true",
        help="measure checks on the store already in --workdir (no build)",
    )
    args = ap.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="bench-core-"))
    work.mkdir(parents=True, exist_ok=True)
    if args.measure_only:
        measure_existing(work, args)
        return
    if args.db == "sqlite":
        url = f"sqlite:///{work / 'bench.db'}"
    else:
        from sqlalchemy import create_engine, text

        name = f"bench_{os.getpid()}"
        admin = create_engine(
            args.pg_url.replace("postgresql://", "postgresql+psycopg://"),
            isolation_level="AUTOCOMMIT",
        )
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        url = args.pg_url.rsplit("/", 1)[0] + "/" + name
    settings = Settings(environment="test", data_dir=work / "data", database_url=url)
    engine = make_engine(url)
    migrate(engine)
    print(f"# bench_core: {args.observables:,} observables, {args.db}, seed {args.seed}")
    if args.direct:
        agencies, secs, n_rep = ingest_direct(engine, settings, args.seed, args.observables)
        with engine.connect() as c:
            n_obs = c.execute(select(func.count()).select_from(observables)).scalar_one()
        print(
            f"pipeline only (drafts, no parsing): {n_rep:,} reports, {n_obs:,} observables "
            f"in {secs:.0f} s ({n_obs / secs:,.0f} observables/s)"
        )
        measure_checks(engine, settings, agencies, args, work, n_obs)
        return
    t = time.perf_counter()
    files, agencies, n_objects = write_bundles(args.seed, args.observables, work)
    print(
        f"generated {n_objects:,} STIX objects in {len(files)} bundles "
        f"in {time.perf_counter() - t:.1f} s"
    )
    ref = reference_stix2(files[0][1])
    countries = {code: a[1] for code, a in agencies.items()}
    parse_s, _ = parse_only(files, countries)
    print(f"stix2.parse (reference, allow_custom): {ref:,.0f} objects/s")
    print(
        f"our STIX adapter, parse + validate + normalise: {n_objects / parse_s:,.0f} objects/s "
        f"({n_objects / parse_s / ref:.1f}x stix2.parse)"
    )
    setup_agencies(engine, agencies)
    cpu0 = time.process_time()
    ingest_s = ingest_all(engine, settings, files)
    ingest_cpu = time.process_time() - cpu0
    with engine.connect() as c:
        n_obs = c.execute(select(func.count()).select_from(observables)).scalar_one()
        n_rep = c.execute(select(func.count()).select_from(reports)).scalar_one()
    print(
        f"ingest ({args.db}): {n_objects / ingest_s:,.0f} STIX objects/s, "
        f"{n_obs / ingest_s:,.0f} observables/s ({n_rep:,} reports, {n_obs:,} observables, "
        f"{ingest_s:.1f} s)"
    )
    # On a shared machine wall time includes waiting for a core; CPU time of this process
    # (parse + pipeline + SQLite, which runs in-process) is the one-core figure.
    print(
        f"ingest CPU time: {ingest_cpu:.1f} s = {n_objects / ingest_cpu:,.0f} STIX objects "
        f"per CPU-second (load average {os.getloadavg()[0]:.1f})"
    )
    measure_checks(engine, settings, agencies, args, work, n_obs)


def measure_existing(work: Path, args: argparse.Namespace) -> None:
    """Checks on a store an earlier `--direct` run built (SQLite in `work`)."""
    from bersama.store.tables.core import agencies as agency_table

    url = f"sqlite:///{work / 'bench.db'}"
    settings = Settings(environment="test", data_dir=work / "data", database_url=url)
    engine = make_engine(url)
    migrate(engine)
    with engine.connect() as c:
        n_obs = c.execute(select(func.max(observables.c.id))).scalar_one()
        agencies = {
            code: (name, country, kind)
            for code, name, country, kind in c.execute(
                select(
                    agency_table.c.code,
                    agency_table.c.name,
                    agency_table.c.country,
                    agency_table.c.type,
                )
            )
        }
    print(f"# bench_core --measure-only: {n_obs:,} observables in {work / 'bench.db'}")
    if args.add_only:
        add_more(engine, settings, agencies, args, work, n_obs)
        return
    if args.http_only:
        report_http(
            http_figures(
                settings, engine, agencies, sample_observables(engine, args.sample, args.seed)
            )
        )
        return
    measure_checks(engine, settings, agencies, args, work, n_obs, add=False)


def measure_checks(
    engine: Engine,
    settings: Settings,
    agencies: dict[str, tuple[str, str, str]],
    args: argparse.Namespace,
    work: Path,
    n_obs: int,
    *,
    add: bool = True,
) -> None:
    sample = sample_observables(engine, args.sample, args.seed)
    reader = analyst(engine, agencies)
    with engine.begin() as c:  # "without" means without: a re-run starts from none
        c.execute(delete(cluster_summaries))
        c.execute(delete(observable_summaries))
    measure_reads(engine, settings, reader, sample, "without stored cluster views")
    # What `bersama serve` does behind reads: store the views of the clusters read whole.
    t = time.perf_counter()
    writer = SummaryWriter(engine, settings.cluster_top_observables)
    writer.offer(
        (cid, stamp, reader_tokens(who))
        for cid, stamp in clusters_of(engine, sample)
        for who in (reader, Reader.system())
    )
    stored = 0
    while written := writer.drain():
        stored += written
    print(
        f"summary writer: {stored:,} views of the sample's clusters (for both readers) "
        f"in {time.perf_counter() - t:.1f} s"
    )
    measure_reads(engine, settings, reader, sample, "with stored cluster views")
    # ... and the value summaries the checks of both readers computed (offered to a running
    # writer; a reader stores those of the values whose every report it may read).
    t = time.perf_counter()
    writer.start()
    try:
        with engine.connect() as c:
            for who in (reader, Reader.system()):
                for i in range(0, len(sample), 10_000):
                    Reads(c, who, settings).check_many(sample[i : i + 10_000])
    finally:
        writer.stop()
    while writer.drain():
        pass
    with engine.connect() as c:
        n = c.execute(select(func.count()).select_from(observable_summaries)).scalar_one()
    print(
        f"summary writer: {n:,} value summaries (checks by both readers) "
        f"in {time.perf_counter() - t:.1f} s"
    )
    measure_reads(
        engine, settings, reader, sample, "with stored cluster views and value summaries"
    )
    if n_obs <= 200_000:  # every cluster: minutes per million observables
        t = time.perf_counter()
        stored = sum(summarise_all(engine, settings.cluster_top_observables))
        print(
            f"bersama correlate --summaries (every other cluster): {stored:,} views "
            f"in {time.perf_counter() - t:.1f} s"
        )
    if add:
        add_more(engine, settings, agencies, args, work, n_obs)
    if args.http:
        report_http(http_figures(settings, engine, agencies, sample))
    print(
        f"benchmark process peak RSS: "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )


def report_http(f: dict[str, float]) -> None:
    print(
        f"check over HTTP: p50 {f['p50']:.2f} ms, p99 {f['p99']:.2f} ms "
        f"(server CPU {f['server_cpu_ms']:.2f} ms per request); "
        f"bulk over HTTP {f['bulk']:,.0f} values/s ({f['bulk_cpu']:,.0f} per server "
        f"CPU-second), again {f['bulk_again']:,.0f} values/s ({f['bulk_again_cpu']:,.0f}); "
        f"a screening list (10% stored), second pass {f['screen']:,.0f} values/s "
        f"({f['screen_cpu']:,.0f}); API process peak RSS {f['rss_mb']:.0f} MB"
    )


def measure_reads(
    engine: Engine, settings: Settings, reader: Reader, sample: list[Observable], label: str
) -> None:
    """Single and bulk checks, cold (empty process caches) then warm, policy and allow-all."""
    print(f"## checks {label}")
    system = Reader.system()
    for state in ("cold", "warm"):
        cold = state == "cold"
        (p50, p99), (s50, s99) = paired_latency(
            engine, settings, (reader, system), sample[:5000], cold=cold
        )
        print(f"check in-process with policy ({state}): p50 {p50:.3f} ms, p99 {p99:.3f} ms")
        print(
            f"check in-process allow-all ({state}):   p50 {s50:.3f} ms, p99 {s99:.3f} ms "
            f"(enforcement overhead p50 {100 * (p50 / s50 - 1):+.0f}%, "
            f"p99 {100 * (p99 / s99 - 1):+.0f}%)"
        )
    for state in ("cold", "warm"):
        cold = state == "cold"
        # A B B A: each reader once first, once after the other (page cache fairness).
        b1 = bulk_rate(engine, settings, reader, sample, cold=cold)
        bs = (
            bulk_rate(engine, settings, system, sample, cold=cold)
            + bulk_rate(engine, settings, system, sample, cold=cold)
        ) / 2
        b = (b1 + bulk_rate(engine, settings, reader, sample, cold=cold)) / 2
        print(
            f"bulk check in-process ({state}) with policy: {b:,.0f} values/s; "
            f"allow-all {bs:,.0f} values/s (overhead {100 * (bs / b - 1):+.0f}%)"
        )
    screen = screening_list(sample)
    b = bulk_rate(engine, settings, reader, screen, cold=False)
    bs = bulk_rate(engine, settings, system, screen, cold=False)
    print(
        f"bulk check in-process (warm) of a screening list ({len(screen):,} values, 10% of "
        f"them stored): with policy {b:,.0f} values/s; allow-all {bs:,.0f} values/s"
    )


def screening_list(sample: list[Observable], seed: int = 11) -> list[Observable]:
    """What a bank or platform screens: mostly identifiers the node has never seen.  A
    tenth of the list from the stored sample, the rest new phone numbers and domains,
    shuffled (deterministic by seed)."""
    rng = random.Random(seed)
    known = sample[: len(sample) // 10]
    new = [
        Observable(Kind.PHONE, f"+659{rng.randrange(10**7):07d}")
        if i % 2
        else Observable(Kind.DOMAIN, f"screen-{rng.randrange(10**9)}.com")
        for i in range(len(sample) - len(known))
    ]
    out = known + new
    rng.shuffle(out)
    return out


def add_more(
    engine: Engine,
    settings: Settings,
    agencies: dict[str, tuple[str, str, str]],
    args: argparse.Namespace,
    work: Path,
    n_obs: int,
) -> None:
    """The cost of adding a fresh scenario's reports (from STIX files) to this store."""
    (work / "more").mkdir(exist_ok=True)
    more, more_agencies, _ = write_bundles(args.seed + 1, 30_000, work / "more")
    for code, attrs in more_agencies.items():
        if code not in agencies:
            setup_agencies(engine, {code: attrs})
    with engine.connect() as c:
        before = c.execute(select(func.count()).select_from(reports)).scalar_one()
    t = time.perf_counter()
    cpu0 = time.process_time()
    ingest_all(engine, settings, more)
    add_s = time.perf_counter() - t
    add_cpu = time.process_time() - cpu0
    with engine.connect() as c:
        added = c.execute(select(func.count()).select_from(reports)).scalar_one() - before
    per = 10_000 / max(added, 1)
    print(
        f"adding {added:,} reports to a store of {n_obs:,} observables: {add_s:.2f} s "
        f"({add_s * per:.2f} s per 10k reports; CPU {add_cpu * per:.2f} s per 10k; "
        f"load {os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    main()
