"""Figures for private cross-border checks (issue 5) and for why hashing is not enough.

Run:  PYTHONPATH=src .venv/bin/python benchmarks/bench_psi.py [--held 100000,1000000]
          [--asked 1,100,10000] [--brute-prefix 7] [--http]

Prints, per held-set size: server set-up time and cached setup size; per query size:
client blinding, server processing and client intersection time and the bytes on
the wire each way (protocol level, in-process).  With --http, the same over HTTP
loopback between two real `bersama serve` processes -- NOT YET IMPLEMENTED.
Then a brute force of a salted SHA-256 list of Malaysian mobile numbers: the real,
complete search of one 7-digit block (+6012-xxx xxxx, 10^7 numbers) and the
extrapolation to every Malaysian mobile number, from the measured rate.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import secrets
import time

from bersama.psi import protocol


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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--held", default="100000,1000000")
    ap.add_argument("--asked", default="1,100,10000")
    ap.add_argument("--brute-prefix", type=int, default=7)
    ap.add_argument("--http", action="store_true")
    args = ap.parse_args()
    bench_bruteforce(args.brute_prefix)
    bench_protocol([int(x) for x in args.held.split(",")], [int(x) for x in args.asked.split(",")])
    if args.http:
        raise SystemExit("--http: not implemented yet (needs two `bersama serve` nodes)")


if __name__ == "__main__":
    main()
