"""Normalisations per second per observable kind, and extraction throughput.

Run: PYTHONPATH=src .venv/bin/python benchmarks/bench_observables.py [N]

"cold" is the first call on N distinct values (every normaliser keeps an LRU
cache, 16,384 entries, 32,768 for phones, so this is the real parsing cost);
"warm" repeats the same values (cache hits: what ingest pays for values seen again, e.g. one mule
number in many reports).
"""

from __future__ import annotations

import hashlib
import random
import sys
import time
from collections.abc import Callable

import base58

from bersama.observables import (
    bank_account,
    crypto,
    domain,
    email,
    ewallet,
    extract_entities,
    file_hash,
    guess,
    handle,
    ip,
    is_warninglisted,
    phone,
    url,
)

N = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
rng = random.Random(42)


def phones() -> list[tuple[str, str]]:
    """N distinct valid national-format mobile numbers across six countries."""
    import phonenumbers

    forms = [("MY", "01{}-{} {}", 1, 3, 4), ("TH", "08{} {} {}", 1, 3, 4),
             ("PH", "091{} {} {}", 1, 3, 4), ("ID", "0812-{}-{}", 4, 4, 0),
             ("VN", "091 {} {}", 3, 4, 0), ("SG", "8{} {}", 3, 4, 0)]
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    i = 0
    while len(out) < N:
        cc, fmt, *widths = forms[i % len(forms)]
        i += 1
        parts = [str(rng.randrange(10 ** w)).zfill(w) for w in widths if w]
        value = fmt.format(*parts)
        if value not in seen and phonenumbers.is_valid_number(phonenumbers.parse(value, cc)):
            seen.add(value)
            out.append((value, cc))
    return out


def btc(i: int) -> str:
    return base58.b58encode_check(b"\x00" + hashlib.sha256(str(i).encode()).digest()[:20]).decode()


CASES: dict[str, tuple[Callable[..., object], list[tuple[object, ...]]]] = {
    "phone": (phone, phones()),  # type: ignore[dict-item]
    "url": (url, [(f"hxxps://shop{i}.example[.]com:443/a/../login?id={i}#x",) for i in range(N)]),
    "domain": (domain, [(f"WWW.Scam{i}.co.th",) for i in range(N)]),
    "email": (email, [(f"User.{i}@Mail{i % 97}.com",) for i in range(N)]),
    "ip": (ip, [(f"{i % 223 + 1}.{i // 223 % 256}.{i % 256}.{i % 7}",) for i in range(N)]),
    "crypto-eth": (crypto, [("0x" + hashlib.sha256(str(i).encode()).hexdigest()[:40],)
                            for i in range(N)]),
    "crypto-btc": (crypto, [(btc(i),) for i in range(N)]),
    "hash": (file_hash, [(hashlib.sha256(str(i).encode()).hexdigest().upper(),) for i in range(N)]),
    "bank-account": (bank_account, [("MY", "Maybank", f"5123 {i:08d}") for i in range(N)]),
    "ewallet": (ewallet, [("GCash", f"0917 {i % 1000:03d} {i // 1000 % 10000:04d}")
                          for i in range(N)]),
    "handle": (handle, [("telegram", f"@Scam_Boss{i}") for i in range(N)]),
}


def rate(fn: Callable[..., object], args: list[tuple[object, ...]]) -> float:
    t = time.perf_counter()
    for a in args:
        fn(*a)
    return len(args) / (time.perf_counter() - t)


def main() -> None:
    domain("warm-up.example.org")  # one-time: import tldextract and load its suffix list
    print(f"observables benchmark, N={N:,} distinct values per kind")
    print(f"{'kind':<14}{'cold /s':>12}{'warm /s':>12}")
    for name, (fn, args) in CASES.items():
        clear = getattr(fn, "cache_clear", None)
        if clear:
            clear()
        cold = rate(fn, args)
        warm = rate(fn, args)
        print(f"{name:<14}{cold:>12,.0f}{warm:>12,.0f}")

    values = [str(a[0]) for name, (_, args) in CASES.items()
              if name not in ("bank-account", "ewallet", "handle", "phone") for a in args[:2000]]
    values += [str(phone(p, cc).key) for p, cc in phones()[:2000]]
    t = time.perf_counter()
    for v in values:
        guess(v, country="MY")
    print(f"{'guess':<14}{len(values) / (time.perf_counter() - t):>12,.0f}  (mixed kinds)")

    obs = [guess(v, country="MY") for v in values]
    t = time.perf_counter()
    for o in obs:
        is_warninglisted(o)
    print(f"{'warninglisted':<14}{len(obs) / (time.perf_counter() - t):>12,.0f}")

    text = (
        "SCAM ALERT: call 012-345 {a} or WhatsApp +60 11-2345 {b}. Transfer RM5,000 to Maybank "
        "5123 4567 {a}. Site hxxps://maybank-secure{a}[.]com/login, email help{a}@mayb4nk.com, "
        "Telegram @Scam_Boss, TNG 012-987 {b}. Lorem ipsum dolor sit amet " * 2
    )
    texts = [text.format(a=f"{i:04d}", b=f"{(i * 7) % 10000:04d}") for i in range(500)]
    t = time.perf_counter()
    chars = 0
    for tx in texts:
        extract_entities(tx, country="MY")
        chars += len(tx)
    dt = time.perf_counter() - t
    print(f"{'extract':<14}{len(texts) / dt:>12,.0f}  texts/s ({chars / dt / 1e6:.2f} MB/s, "
          f"~{len(texts[0])} chars each)")


if __name__ == "__main__":
    main()
