"""Peak memory of ingesting one very large report: a MISP event, a STIX report.

A file of many events streams event by event; one event (or one STIX report) is one
report and used to be held whole, 3-5 kB an attribute (benchmarks/RESULTS.md, session
17).  Real MISP feeds carry events of 100k-1M attributes.  For each size this writes one
MISP event (ip-dst, domain, url, md5, phone-number, email attributes in turn, a third
with `to_ids`, tags after the attributes) and one STIX bundle whose single report names
that many SCOs, ingests each with `bersama ingest` into a fresh SQLite node in a child
process, and prints the child's peak RSS, its CPU time and the bytes per attribute
above the peak of ingesting a one-attribute event (the interpreter, imports, caches).

    .venv/bin/python benchmarks/bench_memory.py [--sizes 10000,100000,300000] [--stix]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import orjson

from bersama import observables as ob
from bersama.observables.model import Kind, Observable
from bersama.stix.scos import observable_to_sco

TYPES = ("ip-dst", "domain", "url", "md5", "phone-number", "email")
AGENCY = "MY-PDRM"


def value(atype: str, i: int, rng: random.Random) -> str:
    if atype == "ip-dst":
        return f"{10 + i % 200}.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
    if atype == "domain":
        return f"scam-{i}.example-shop.com"
    if atype == "url":
        return f"https://login-{i}.bank-verify.net/account/{rng.randrange(10**6)}"
    if atype == "md5":
        return f"{rng.getrandbits(128):032x}"
    if atype == "phone-number":
        return f"+60 12-{i % 1000:03d} {i // 1000 % 10000:04d}"
    return f"agent{i}@scam-{i}.com"


def misp_event(n: int) -> bytes:
    rng = random.Random(n)
    attrs = []
    for i in range(n):
        atype = TYPES[i % len(TYPES)]
        attrs.append({
            "id": str(i), "type": atype, "category": "Network activity",
            "to_ids": i % 3 == 0, "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "event_id": "1", "distribution": "5", "timestamp": "1700000000", "comment": "",
            "sharing_group_id": "0", "deleted": False, "disable_correlation": False,
            "object_id": "0", "object_relation": None, "first_seen": None, "last_seen": None,
            "value": value(atype, i, rng),
        })
    event = {"uuid": str(uuid.UUID(int=n, version=4)), "Attribute": attrs, "Object": [],
             "info": f"feed of {n}", "date": "2026-10-01", "timestamp": "1700000000",
             "distribution": "1", "analysis": "2", "threat_level_id": "3",
             "Orgc": {"name": "CIRCL"},
             "Tag": [{"name": "tlp:green"}, {"name": 'bersama:scam-type="phishing"'}]}
    return orjson.dumps({"Event": event})


def _observable(i: int, rng: random.Random) -> Observable:
    atype = TYPES[i % len(TYPES)]
    text = value(atype, i, rng)
    if atype == "ip-dst":
        return ob.ip(text)
    kind = {"domain": Kind.DOMAIN, "url": Kind.URL, "md5": Kind.MD5,
            "phone-number": Kind.PHONE, "email": Kind.EMAIL}[atype]
    return ob.normalise(kind, text, country="MY")


def stix_bundle(n: int) -> bytes:
    rng = random.Random(n)
    scos = [observable_to_sco(_observable(i, rng)) for i in range(n)]
    report = {
        "type": "report", "spec_version": "2.1", "id": f"report--{uuid.UUID(int=n, version=4)}",
        "created": "2026-10-01T00:00:00.000Z", "modified": "2026-10-01T00:00:00.000Z",
        "name": f"list of {n}", "published": "2026-10-01T00:00:00.000Z",
        "report_types": ["threat-report"], "object_refs": [s["id"] for s in scos],
        "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"],
    }
    return orjson.dumps({"type": "bundle", "id": f"bundle--{uuid.UUID(int=n, version=4)}",
                         "objects": [report, *scos]})


def run(path: Path, fmt: str, workdir: Path) -> tuple[float, float]:
    """(peak RSS in MB, user+system CPU seconds) of `bersama ingest path` on a fresh node."""
    node = Path(tempfile.mkdtemp(dir=workdir))
    env = {**os.environ, "BERSAMA_DATA_DIR": str(node)}
    env.pop("BERSAMA_DATABASE_URL", None)
    cli = [sys.executable, "-m", "bersama"]
    subprocess.run([*cli, "agency", "add", AGENCY, "--country", "MY", "--name", "Bench"],
                   env=env, check=True, capture_output=True)
    proc = subprocess.Popen([*cli, "ingest", str(path), "--agency", AGENCY, "--format", fmt,
                             "--json"], env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"ingest of {path} failed ({status})")
    return usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


WRITERS = {"misp": misp_event, "stix": stix_bundle}


def write(fmt: str, n: int, path: Path) -> None:
    """Write the input in a child process: a child's peak RSS on Linux includes its
    parent's at the fork, so the parent must never hold a large input itself."""
    subprocess.run([sys.executable, __file__, "--write", fmt, str(n), str(path)], check=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000,300000")
    ap.add_argument("--stix", action="store_true", help="also one STIX report of each size")
    ap.add_argument("--write", nargs=3, metavar=("FORMAT", "N", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.write:
        fmt, n, path = args.write
        Path(path).write_bytes(WRITERS[fmt](int(n)))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    formats = ["misp"] + (["stix"] if args.stix else [])
    with tempfile.TemporaryDirectory(prefix="bersama-bench-memory-") as tmp:
        workdir = Path(tmp)
        print(f"{'format':6} {'attributes':>10} {'peak RSS MB':>12} {'CPU s':>7} "
              f"{'B/attribute':>12}")
        for fmt in formats:
            base_path = workdir / f"{fmt}_1.json"
            write(fmt, 1, base_path)
            base, _ = run(base_path, fmt, workdir)
            print(f"{fmt:6} {1:>10} {base:>12.0f}")
            for n in sizes:
                path = workdir / f"{fmt}_{n}.json"
                write(fmt, n, path)
                peak, cpu = run(path, fmt, workdir)
                path.unlink()
                per = (peak - base) * 1024 * 1024 / n
                print(f"{fmt:6} {n:>10} {peak:>12.0f} {cpu:>7.1f} {per:>12.0f}", flush=True)


if __name__ == "__main__":
    main()
