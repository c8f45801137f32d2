"""TAXII throughput: pagination from a node, node-to-node sync, and medallion for comparison.

    .venv/bin/python benchmarks/bench_taxii.py --reports 34000 --medallion-objects 5000
    .venv/bin/python benchmarks/bench_taxii.py --reports 10000 --medallion-objects 0 \
        --profile /tmp/sync.prof --tracemalloc     # profile B, find what holds its memory

Builds node A (SQLite in a temp dir) with GREEN reports (3 STIX objects each:
identity version, report, phone SCO), serves it with uvicorn in a subprocess,
then measures in this process:
  1. TAXII pagination: every page of A's `shared` collection (limit 1000) read
     by a peer token, objects/s (signatures computed by A at serve time);
  2. end to end: node B syncs from A (verify every signature, ingest, correlate),
     objects/s, wall and CPU time of both processes, B's peak RSS *during the sync*
     (the kernel's high-water mark is reset after node A is built in this process);
  3. medallion's memory backend serving the first N of the same objects,
     paged with its maximum page size, objects/s.
  4. (`--plain-ingest`) the same objects through the ingest pipeline alone, to
     separate what federation adds from what ingest costs.
Prints figures; asserts nothing.  `--medallion-objects 0` skips step 3.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import event, func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from bersama.config import Settings  # noqa: E402
from bersama.federation.client import ClientLimits, TaxiiClient  # noqa: E402
from bersama.federation.receive import ingest_objects  # noqa: E402
from bersama.federation.signing import NodeKey, load_or_create_node_key, verify  # noqa: E402
from bersama.federation.sync import add_peer, get_peers, sync_peer  # noqa: E402
from bersama.ingest.model import ReportDraft  # noqa: E402
from bersama.ingest.pipeline import ingest  # noqa: E402
from bersama.markings import TLP, Marking, Reader, Role  # noqa: E402
from bersama.observables import phone  # noqa: E402
from bersama.store import apitokens, identities  # noqa: E402
from bersama.store.db import open_engine  # noqa: E402
from bersama.store.tables.core import ingest_batches  # noqa: E402

NOW = datetime(2026, 3, 1, tzinfo=UTC)
SERVE = """
import sys, uvicorn
from bersama.config import Settings
from bersama.api.app import create_app
uvicorn.run(create_app(Settings()), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(url: str) -> None:
    for _ in range(300):
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(url)


def peak_rss_mb(pid: int | None = None) -> float:
    if pid is None:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def rss_mb(pid: int | None = None) -> float:
    for line in Path(f"/proc/{pid or 'self'}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def reset_peak_rss() -> bool:
    """Reset this process's VmHWM (Linux >= 4.0: write 5 to clear_refs)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def cpu_seconds(pid: int) -> float:
    """user + system CPU time of another process, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb_now() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def build_node_a(data: Path, reports: int) -> tuple[str, str]:
    settings = Settings(data_dir=data, environment="test")
    engine = open_engine(settings)
    with engine.begin() as conn:
        identities.add_agency(conn, code="MY-PDRM", name="PDRM", country="MY", type="police",
                              now=NOW)
        identities.add_agency(conn, code="TH-AOC", name="AOC", country="TH", type="police",
                              now=NOW, is_peer=True)
        token = apitokens.create_token(conn, peer_agency="TH-AOC", now=NOW)[1]
    actor = Reader(agency="MY-PDRM", role=Role.ANALYST)
    t0 = time.perf_counter()
    batch = 2000
    for start in range(0, reports, batch):
        drafts = [ReportDraft(source_id=f"report--{uuid.UUID(int=i + 1)}",
                              modified=NOW + timedelta(seconds=i),
                              observables=(phone(f"+6012{1000000 + i:07d}"),), title=f"r{i}",
                              marking=Marking(TLP.GREEN))
                  for i in range(start, min(reports, start + batch))]
        with engine.begin() as conn:
            ingest(conn, settings, agency="MY-PDRM", items=drafts, source_format="stix",
                   source="bench", actor=actor)
    print(f"setup: ingested {reports} reports into node A in {time.perf_counter() - t0:.1f}s")
    engine.dispose()
    return token, load_or_create_node_key(data).kid


def bench_pagination(base: str, token: str) -> int:
    client = TaxiiClient(token, limits=ClientLimits(page_limit=1000))
    t0 = time.perf_counter()
    n = pages = 0
    for page in client.iter_pages(base + "/taxii2/api/", "shared"):
        n += len(page.objects)
        pages += 1
    dt = time.perf_counter() - t0
    client.close()
    print(f"1. TAXII pagination: {n} objects in {pages} pages, {dt:.1f}s = {n / dt:,.0f} obj/s")
    return n


def bench_signing(n: int = 10_000) -> None:
    """The per-object cost federation adds on each side, without HTTP or the pipeline."""
    key = NodeKey.generate()
    objs = [{"type": "report", "spec_version": "2.1", "id": f"report--{uuid.UUID(int=i)}",
             "created": "2026-03-01T00:00:00.000Z", "modified": "2026-03-01T00:00:00.000Z",
             "name": f"report {i}", "object_refs": [f"x-bersama-phone-number--{uuid.UUID(int=i)}"],
             "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]}
            for i in range(n)]
    t0 = time.perf_counter()
    sigs = [key.sign(o) for o in objs]
    t1 = time.perf_counter()
    ok = sum(verify(o, s, key.public) for o, s in zip(objs, sigs, strict=True))
    t2 = time.perf_counter()
    print(f"0. signing: sign {n / (t1 - t0):,.0f} obj/s, verify {ok / (t2 - t1):,.0f} obj/s "
          "(RFC 8785 + Ed25519, one core)")


def bench_end_to_end(base: str, token: str, key: str, data: Path, *, server_pid: int,
                     profile: str | None, trace: bool, batch_objects: int | None,
                     sqlite_cache_kib: int | None = None) -> None:
    settings = Settings(data_dir=data, environment="test")
    engine = open_engine(settings)
    if sqlite_cache_kib is not None:  # after store.db's own pragmas (listeners run in order)
        event.listen(engine, "connect", lambda dbapi, _rec: dbapi.execute(
            f"PRAGMA cache_size=-{int(sqlite_cache_kib)}"))
    with engine.begin() as conn:
        identities.add_agency(conn, code="MY-PDRM", name="PDRM", country="MY", type="police",
                              now=NOW, is_peer=True)
    client = TaxiiClient(token, limits=ClientLimits(page_limit=1000))
    with engine.begin() as conn:
        add_peer(conn, name="a", url=base + "/taxii2/", collection="shared", token=token,
                 key=key, agency="MY-PDRM", push_collection=None, client=client, now=NOW)
    with engine.connect() as conn:
        peer = get_peers(conn, "a")[0]
    before_rss = rss_mb()
    reset = reset_peak_rss()
    if trace:
        tracemalloc.start(25)
    prof = cProfile.Profile() if profile else None
    a_cpu0 = cpu_seconds(server_pid)
    kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    c0, t0 = time.process_time(), time.perf_counter()
    if prof:
        prof.enable()
    extra = {"batch_objects": batch_objects} if batch_objects else {}
    r = sync_peer(engine, settings, peer, client=client, **extra)
    if prof:
        prof.disable()
        prof.dump_stats(profile)
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    a_cpu = cpu_seconds(server_pid) - a_cpu0
    kids1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    helper = (kids1.ru_utime + kids1.ru_stime) - (kids0.ru_utime + kids0.ru_stime)
    print(f"2. end to end A->B: {r.received} objects in {r.pages} pages ({r.accepted} reports "
          f"new, {r.refused_signature} refused, error={r.error}) in {dt:.1f}s wall = "
          f"{r.received / dt:,.0f} obj/s; CPU B {cpu:.1f}s ({r.received / cpu:,.0f} obj/CPU-s),"
          f" B's helper processes {helper:.1f}s, A {a_cpu:.1f}s; "
          f"load {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with engine.connect() as conn:
        batches = conn.execute(select(func.count()).select_from(ingest_batches)).scalar()
    print(f"   {batches} pipeline batches (transactions) for {r.pages} pages")
    print(f"   B RSS before sync {before_rss:.0f} MB, peak during sync "
          f"{peak_rss_mb_now() if reset else float('nan'):.0f} MB, after {rss_mb():.0f} MB; "
          f"B process lifetime peak (incl. building A) {peak_rss_mb():.0f} MB")
    if trace:
        cur, peak = tracemalloc.get_traced_memory()
        snap = tracemalloc.take_snapshot()
        tracemalloc.stop()
        print(f"   tracemalloc: Python heap during sync peak {peak / 2**20:.0f} MB, "
              f"held after {cur / 2**20:.0f} MB; largest holders after the sync:")
        for stat in snap.statistics("traceback")[:8]:
            frames = [f"{f.filename.rsplit('/', 2)[-1]}:{f.lineno}" for f in stat.traceback
                      if "bersama" in f.filename or "sqlalchemy" in f.filename][-3:]
            print(f"     {stat.size / 2**20:7.1f} MB {stat.count:8d} blocks  {' <- '.join(frames)}")
    client.close()
    engine.dispose()


def bench_plain_ingest(base: str, token: str, data: Path, batch_objects: int) -> None:
    """The same objects through the plain ingest pipeline (`receive.ingest_objects`, what
    a sync calls after verification), into a fresh node, in batches of the sync's size,
    timing only the ingest: the sync's main-process CPU minus this is what federation adds
    (fetch and JSON parse, provenance, reassembly, cursor)."""
    settings = Settings(data_dir=data, environment="test")
    engine = open_engine(settings)
    with engine.begin() as conn:
        identities.add_agency(conn, code="MY-PDRM", name="PDRM", country="MY", type="police",
                              now=NOW, is_peer=True)
    client = TaxiiClient(token, limits=ClientLimits(page_limit=1000))
    actor = Reader(agency="MY-PDRM", is_peer=True)
    cpu = wall = 0.0
    n = 0
    pending: list[dict[str, object]] = []

    def flush() -> None:
        nonlocal cpu, wall, n
        c0, t0 = time.process_time(), time.perf_counter()
        with engine.begin() as conn:
            ingest_objects(conn, settings, agency="MY-PDRM", actor=actor, objects=pending,
                           source="bench", origin_peer=None)
        cpu += time.process_time() - c0
        wall += time.perf_counter() - t0
        n += len(pending)
        pending.clear()

    for page in client.iter_pages(base + "/taxii2/api/", "shared"):
        if pending and len(pending) + len(page.objects) > batch_objects:
            flush()
        pending.extend(page.objects)
    if pending:
        flush()
    client.close()
    engine.dispose()
    print(f"4. plain ingest of the same {n} objects (ingest_objects, batches of "
          f"{batch_objects}, no fetch/verify/provenance): CPU {cpu:.1f}s = "
          f"{cpu / n * 1e6:.0f} us/object, wall {wall:.1f}s; load "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def bench_medallion(base: str, token: str, n: int, tmp: Path) -> None:
    with httpx.Client(headers={"Authorization": f"Bearer {token}",
                               "Accept": "application/taxii+json;version=2.1"}) as http:
        objs = http.get(base + "/taxii2/api/collections/shared/objects/",
                        params={"limit": "1000"}).json()["objects"]
        nxt = None
        while len(objs) < n:
            more = http.get(base + "/taxii2/api/collections/shared/objects/",
                            params={"limit": "1000", **({"next": nxt} if nxt else {})}).json()
            objs += more.get("objects", [])
            nxt = more.get("next")
            if not more.get("more"):
                break
    objs = objs[:n]
    stamp = "2026-03-01T00:00:00.000000Z"
    for o in objs:  # medallion's memory backend keeps the version of SCOs in `_date_added`
        if "modified" not in o and "created" not in o:
            o["_date_added"] = stamp
    manifest = [{"id": o["id"], "date_added": stamp,
                 "version": o.get("modified") or o.get("created") or stamp,
                 "media_type": "application/stix+json;version=2.1"} for o in objs]
    data = {
        "/discovery": {"title": "m", "description": "b", "default": "/api1/",
                       "api_roots": ["/api1/"]},
        "api1": {"information": {"title": "a", "description": "b",
                                 "versions": ["application/taxii+json;version=2.1"],
                                 "max_content_length": 10**9},
                 "status": [],
                 "collections": [{"id": "c", "title": "c", "can_read": True,
                                  "can_write": False,
                                  "media_types": ["application/stix+json;version=2.1"],
                                  "objects": objs, "manifest": manifest}]}}
    (tmp / "m.json").write_text(json.dumps(data))
    (tmp / "mc.json").write_text(json.dumps({
        "backend": {"module": "medallion.backends.memory_backend",
                    "module_class": "MemoryBackend", "filename": str(tmp / "m.json")},
        "users": {"u": "p"}, "taxii": {"max_page_size": 1000}}))
    port = free_port()
    proc = subprocess.Popen([str(Path(sys.executable).parent / "medallion"),
                             "--port",
                             str(port), str(tmp / "mc.json")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_up(f"http://127.0.0.1:{port}/taxii2/")
        client = TaxiiClient("u:p", limits=ClientLimits(page_limit=1000, timeout_seconds=600))
        t0 = time.perf_counter()
        got = sum(len(p.objects) for p in client.iter_pages(
            f"http://127.0.0.1:{port}/api1/", "c"))
        dt = time.perf_counter() - t0
        print(f"3. medallion memory backend: {got} objects in {dt:.1f}s = {got / dt:,.0f} obj/s"
              f"; medallion peak RSS {peak_rss_mb(proc.pid):.0f} MB")
    finally:
        proc.terminate()
        proc.wait()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=50_000,
                    help="2 STIX objects each (report, SCO) plus one identity")
    ap.add_argument("--medallion-objects", type=int, default=5_000, help="0: skip step 3")
    ap.add_argument("--syncs", type=int, default=1,
                    help="repeat step 2 this many times, each into a fresh node B")
    ap.add_argument("--batch-objects", type=int, default=None,
                    help="objects per sync transaction (sync_peer's batch_objects)")
    ap.add_argument("--sqlite-cache-kib", type=int, default=None,
                    help="node B's SQLite page cache per connection (store.db sets 200,000)")
    ap.add_argument("--plain-ingest", action="store_true",
                    help="step 4: the same objects through the ingest pipeline alone")
    ap.add_argument("--profile", metavar="FILE", help="cProfile the sync (B) into FILE")
    ap.add_argument("--tracemalloc", action="store_true",
                    help="trace B's Python allocations during the sync (slows it down)")
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} CPUs; load average at start "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        bench_signing()
        token, key = build_node_a(tmp / "a", args.reports)
        port = free_port()
        env = {**os.environ, "BERSAMA_DATA_DIR": str(tmp / "a"),
               "BERSAMA_ENVIRONMENT": "test", "PYTHONPATH": str(ROOT / "src")}
        proc = subprocess.Popen([sys.executable, "-c", SERVE, str(port)], env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_up(base + "/taxii2/")
            bench_pagination(base, token)
            print(f"   load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            for i in range(args.syncs):
                bench_end_to_end(base, token, key, tmp / f"b{i}", server_pid=proc.pid,
                                 profile=args.profile, trace=args.tracemalloc,
                                 batch_objects=args.batch_objects,
                                 sqlite_cache_kib=args.sqlite_cache_kib)
            print(f"   node A (server) peak RSS {peak_rss_mb(proc.pid):.0f} MB")
            if args.plain_ingest:
                bench_plain_ingest(base, token, tmp / "c", args.batch_objects or 5000)
            if args.medallion_objects:
                bench_medallion(base, token, args.medallion_objects, tmp)
        finally:
            proc.terminate()
            proc.wait()
    print(f"load average at end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
