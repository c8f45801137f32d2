"""TAXII throughput: pagination from a node, node-to-node sync, and medallion for comparison.

    .venv/bin/python benchmarks/bench_taxii.py --reports 34000 --medallion-objects 5000

Builds node A (SQLite in a temp dir) with GREEN reports (3 STIX objects each:
identity version, report, phone SCO), serves it with uvicorn in a subprocess,
then measures in this process:
  1. TAXII pagination: every page of A's `shared` collection (limit 1000) read
     by a peer token, objects/s (signatures computed by A at serve time);
  2. end to end: node B syncs from A (verify every signature, ingest, correlate),
     objects/s, B's peak RSS;
  3. medallion's memory backend serving the first N of the same objects,
     paged with its maximum page size, objects/s.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from bersama.config import Settings  # noqa: E402
from bersama.federation.client import ClientLimits, TaxiiClient  # noqa: E402
from bersama.federation.signing import NodeKey, load_or_create_node_key, verify  # noqa: E402
from bersama.federation.sync import add_peer, get_peers, sync_peer  # noqa: E402
from bersama.ingest.model import ReportDraft  # noqa: E402
from bersama.ingest.pipeline import ingest  # noqa: E402
from bersama.markings import TLP, Marking, Reader, Role  # noqa: E402
from bersama.observables import phone  # noqa: E402
from bersama.store import identities  # noqa: E402
from bersama.store.db import open_engine  # noqa: E402

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


def build_node_a(data: Path, reports: int) -> tuple[str, str]:
    settings = Settings(data_dir=data, environment="test")
    engine = open_engine(settings)
    with engine.begin() as conn:
        identities.add_agency(conn, code="MY-PDRM", name="PDRM", country="MY", type="police",
                              now=NOW)
        identities.add_agency(conn, code="TH-AOC", name="AOC", country="TH", type="police",
                              now=NOW, is_peer=True)
        token = identities.create_token(conn, peer_agency="TH-AOC", now=NOW)[1]
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


def bench_end_to_end(base: str, token: str, key: str, data: Path) -> None:
    settings = Settings(data_dir=data, environment="test")
    engine = open_engine(settings)
    with engine.begin() as conn:
        identities.add_agency(conn, code="MY-PDRM", name="PDRM", country="MY", type="police",
                              now=NOW, is_peer=True)
    client = TaxiiClient(token, limits=ClientLimits(page_limit=1000))
    with engine.begin() as conn:
        add_peer(conn, name="a", url=base + "/taxii2/", collection="shared", token=token,
                 key=key, agency="MY-PDRM", push_collection=None, client=client, now=NOW)
    with engine.connect() as conn:
        peer = get_peers(conn, "a")[0]
    t0 = time.perf_counter()
    r = sync_peer(engine, settings, peer, client=client)
    dt = time.perf_counter() - t0
    print(f"2. end to end A->B: {r.received} objects ({r.accepted} reports new, "
          f"{r.refused_signature} refused, error={r.error}) in {dt:.1f}s = "
          f"{r.received / dt:,.0f} obj/s; B peak RSS {peak_rss_mb():.0f} MB")
    client.close()
    engine.dispose()


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
    ap.add_argument("--medallion-objects", type=int, default=5_000)
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
            bench_end_to_end(base, token, key, tmp / "b")
            print(f"   node A (server) peak RSS {peak_rss_mb(proc.pid):.0f} MB")
            bench_medallion(base, token, args.medallion_objects, tmp)
        finally:
            proc.terminate()
            proc.wait()
    print(f"load average at end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
