"""Figures for private cross-border checks (issue 5) and for why hashing is not enough.

Run:  PYTHONPATH=src:. .venv/bin/python benchmarks/bench_psi.py [--held 100000,1000000]
          [--asked 1,100,10000] [--brute-prefix 7] [--http] [--no-protocol]

Prints, per held-set size: server set-up time and cached setup size; per query size:
client blinding, server processing and client intersection time and the bytes on
the wire each way (protocol level, in-process).  With --http,
end to end over HTTP loopback between two real `bersama serve` processes: the
holder's database filled in bulk, its answer set built with `bersama psi warm`,
then `POST /api/v1/ask-peers` on the asking node, timed, cold and warm.
Then a brute force of a salted SHA-256 list of Malaysian mobile numbers: the real,
complete search of one 7-digit block (+6012-xxx xxxx, 10^7 numbers) and the
extrapolation to every Malaysian mobile number, from the measured rate.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import secrets
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import insert

from bersama.config import Settings
from bersama.markings import Reader, Role
from bersama.markings.model import COMMUNITY
from bersama.psi import protocol, service
from bersama.store.db import make_engine, open_engine
from bersama.store.tables.core import observables, report_audience, report_observables, reports

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.integration.nodes import NodeProc, connect


def _held(n: int) -> list[str]:
    return [f"phone:+6011{i:08d}" for i in range(n)]


def bench_protocol(held_sizes: list[int], asked_sizes: list[int]) -> None:
    rng = random.Random(5)
    for n in held_sizes:
        held = _held(n)
        server = protocol.PsiServer()
        t0 = time.perf_counter()
        setup = server.setup(held)
        t_setup = time.perf_counter() - t0
        print(f"held={n:>9,}  setup {t_setup:8.2f} s  cached setup {len(setup)/1e6:7.2f} MB "
              f"({8*len(setup)/max(n,1):.1f} bits/item)")
        for m in asked_sizes:
            # half of the asked values are held, half are not
            hits = [held[rng.randrange(n)] for _ in range(m // 2)]
            asked = hits + [f"phone:+6019{rng.randrange(10**8):08d}" for _ in range(m - len(hits))]
            t0 = time.perf_counter()
            batch = protocol.client_batch(asked)
            t1 = time.perf_counter()
            response = server.process(batch.request)
            t2 = time.perf_counter()
            found = batch.intersect([setup], response)
            t3 = time.perf_counter()
            if not {asked[i] for i in found} >= set(hits):
                raise SystemExit("PSI missed a held value: false negative")
            total = t3 - t0
            print(f"  asked={m:>6,}  blind {t1-t0:6.3f} s  answer {t2-t1:6.3f} s  "
                  f"intersect {t3-t2:6.3f} s  total {total:6.3f} s  "
                  f"up {len(batch.request)/1e3:9.1f} kB  down {len(response)/1e3:9.1f} kB "
                  f"(+ setup {len(setup)/1e6:.2f} MB once per policy version)  "
                  f"matches {len(found)}")


def _my_mobile_space() -> int:
    # 010, 012-019 + 7 digits, and 011 + 8 digits (MCMC numbering plan)
    return 9 * 10**7 + 10**8


def bench_bruteforce(prefix_digits: int) -> None:
    salt = secrets.token_bytes(16)
    base = hashlib.sha256(salt)
    block = 10**prefix_digits
    rng = random.Random(7)
    # the "shared list": 1,000 salted hashes of numbers in +6012-xxxxxxx
    secret_numbers = {f"+6012{rng.randrange(block):0{prefix_digits}d}" for _ in range(1000)}
    targets = set()
    for num in secret_numbers:
        h = base.copy()
        h.update(num.encode())
        targets.add(h.digest())
    recovered = []
    t0 = time.perf_counter()
    for i in range(block):
        num = f"+6012{i:0{prefix_digits}d}"
        h = base.copy()
        h.update(num.encode())
        if h.digest() in targets:
            recovered.append(num)
    elapsed = time.perf_counter() - t0
    rate = block / elapsed
    space = _my_mobile_space()
    print("brute force of a salted SHA-256 list (1,000 entries), one Python process:")
    print(f"  full search of +6012 + {prefix_digits} digits ({block:,} numbers): {elapsed:.1f} s, "
          f"{rate/1e6:.2f} M hashes/s, recovered {len(recovered)}/{len(secret_numbers)}")
    print(f"  every Malaysian mobile number ({space:,}): {space/rate/60:.1f} min on one core "
          f"(extrapolated from the measured rate; {space/rate/60/2:.1f} min on this 2-core box)")


# ---------------------------------------------------------------- end to end over HTTP


class _Counting(httpx.BaseTransport):
    """Counts request and response body bytes (what crosses the loopback, minus headers)."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.up = 0
        self.down = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.up += len(request.content)
        resp = self.inner.handle_request(request)
        resp.read()
        self.down += len(resp.content)
        return resp


def _fill_holder(node: NodeProc, n: int) -> float:
    """n GREEN phone observables, 100 per report, bulk-inserted into the holder's database."""
    t0 = time.perf_counter()
    eng = make_engine(f"sqlite:///{node.root / 'bersama.db'}")
    now = datetime.now(UTC)
    per, chunk = 100, 100_000
    with eng.begin() as conn:
        for r in range(0, n, chunk):
            rids = range(r // per, min(n, r + chunk) // per)
            conn.execute(insert(reports), [{
                "id": i + 1, "stix_id": f"report--{uuid.UUID(int=i + 1)}", "agency": node.agency,
                "country": "MY", "title": "bench", "crime_type": "scam", "modified": now,
                "ingested_at": now, "tlp": "green", "recipient_agencies": [],
                "recipient_users": [], "labels": [], "source_format": "stix",
                "content_hash": "x"} for i in rids])
            conn.execute(insert(report_audience),
                         [{"report_id": i + 1, "token": COMMUNITY} for i in rids])
            conn.execute(insert(observables), [{
                "id": i + 1, "ref": f"phone:+6012{i:07d}", "kind": "phone", "display": "",
                "attrs": {}} for i in range(r, min(n, r + chunk))])
            conn.execute(insert(report_observables), [
                {"report_id": i // per + 1, "observable_id": i + 1}
                for i in range(r, min(n, r + chunk))])
    eng.dispose()
    return time.perf_counter() - t0


_LIMITS = {"BERSAMA_ASK_LIMIT_PER_PEER_PER_DAY": "100000000",
           "BERSAMA_ASK_LIMIT_PER_AGENCY_PER_DAY": "100000000",
           "BERSAMA_BULK_CHECK_MAX": "100000"}


def _wire(th: NodeProc, values: list[str]) -> tuple[int, int, int, int]:
    """Bytes up/down of the same question asked from this process: first with the setup
    download, then with the setup cached."""
    service._SETUP_CACHE.clear()
    settings = Settings(environment="test", data_dir=th.root, ask_limit_per_peer_per_day=10**8,
                        ask_limit_per_agency_per_day=10**8)
    eng = open_engine(settings)
    counting = _Counting()
    asker = Reader(agency=th.agency, role=Role.ANALYST)
    service.ask_peers(settings, eng, values, country="MY", transport=counting,
                      asking_reader=asker)
    first = (counting.up, counting.down)
    service.ask_peers(settings, eng, values, country="MY", transport=counting,
                      asking_reader=asker)
    eng.dispose()
    return first[0], first[1], counting.up - first[0], counting.down - first[1]


def _ask_http(th: NodeProc, token: str, values: list[str], hits: list[str]) -> tuple[float, int]:
    t0 = time.perf_counter()
    resp = httpx.post(f"{th.url}/api/v1/ask-peers", timeout=900,
                      headers={"authorization": f"Bearer {token}"},
                      json={"values": values, "country": "MY"})
    elapsed = time.perf_counter() - t0
    if resp.status_code != 200:
        raise SystemExit(f"ask-peers failed: {resp.status_code} {resp.text[:500]}")
    doc = resp.json()
    if doc["peer_errors"]:
        raise SystemExit(f"peer errors: {doc['peer_errors']}")
    found = {r["value"] for r in doc["results"] if r["held_by"]}
    if not found >= set(hits):
        raise SystemExit("false negative over HTTP")
    return elapsed, len(found)


def _http_one(root: Path, n: int, asked_sizes: list[int], rng: random.Random) -> None:
    my = NodeProc("my-node", "MY-PDRM", "MY", root / "my",
                  extra_env={**_LIMITS, "BERSAMA_PSI_WARM_INTERVAL_SECONDS": "0"})
    th = NodeProc("th-node", "TH-CCIB", "TH", root / "th", extra_env=_LIMITS)
    try:
        for node in (my, th):
            node.root.mkdir(parents=True)
            node.add_agency(node.agency, node.country)
        my.add_agency(th.agency, th.country, peer=True)
        t_fill = _fill_holder(my, n)
        t0 = time.perf_counter()
        w = my.cli_json("psi", "warm")[0]
        t_warm = time.perf_counter() - t0
        db_mb = sum(p.stat().st_size for p in my.root.glob("bersama.db*")) / 1e6
        print(f"held={n:>9,}  bulk load {t_fill:.1f} s; `bersama psi warm` {t_warm:.1f} s "
              f"(build {w['seconds']:.1f} s, {Settings().psi_workers} worker(s)); cached "
              f"setup {w['setup_bytes'] / 1e6:.2f} MB for {w['items']:,} items; "
              f"holder database {db_mb:.0f} MB")
        my.start()
        th.start()
        connect(my, th)
        token = th.user_token("bench@th")
        first = True
        for m in asked_sizes:
            hits = [f"+6012{rng.randrange(n):07d}" for _ in range(m // 2)]
            values = hits + [f"+6019{rng.randrange(10**7):07d}" for _ in range(m - len(hits))]
            t1, found = _ask_http(th, token, values, hits)
            t2, _ = _ask_http(th, token, values, hits)
            up1, down1, up2, down2 = _wire(th, values)
            note = " (incl. setup download)" if first else ""
            first = False
            print(f"  asked={m:>6,}  end to end {t1:6.2f} s{note}, again {t2:6.2f} s;  "
                  f"wire with setup {up1 / 1e3:.1f} kB up / {down1 / 1e6:.2f} MB down, "
                  f"setup cached {up2 / 1e3:.1f} kB up / {down2 / 1e3:.1f} kB down; "
                  f"matches {found}")
    finally:
        my.stop()
        th.stop()


def bench_http(held_sizes: list[int], asked_sizes: list[int]) -> None:
    print("end to end over HTTP loopback: POST /api/v1/ask-peers on the asking node, which "
          "asks the holder; two `bersama serve` processes, SQLite each:")
    rng = random.Random(6)
    for n in held_sizes:
        with tempfile.TemporaryDirectory(prefix="bench-psi-") as tmp:
            _http_one(Path(tmp), n, asked_sizes, rng)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--held", default="100000,1000000")
    ap.add_argument("--asked", default="1,100,10000")
    ap.add_argument("--brute-prefix", type=int, default=7)
    ap.add_argument("--http", action="store_true", help="end to end between two node processes")
    ap.add_argument("--no-protocol", action="store_true", help="skip the in-process figures")
    args = ap.parse_args()
    held = [int(x) for x in args.held.split(",")]
    asked = [int(x) for x in args.asked.split(",")]
    bench_bruteforce(args.brute_prefix)
    if not args.no_protocol:
        bench_protocol(held, asked)
    if args.http:
        bench_http(held, asked)


if __name__ == "__main__":
    main()
