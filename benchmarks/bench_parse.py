"""Parse rate of the STIX adapter alone (no store) against `stix2.parse` on the same bundle.

Builds a realistic bundle with `draft_to_stix` (reports with phone, bank account,
URL, domain and e-mail SCOs, plus one indicator per report), all values unique
so no normaliser cache helps, then times:
  - `parse_stix` (streaming, hand validation, normalisation of every value);
  - `stix2.parse(..., allow_custom=True)` on the same bundle (a sample when large);
  - `draft_to_stix` export.
Prints objects/s, observables/s, the ratio, and the peak RSS growth while parsing.

    .venv/bin/python benchmarks/bench_parse.py [--reports 5000] [--stix2-sample 3000]
"""

from __future__ import annotations

import argparse
import io
import random
import resource
import time
from datetime import UTC, datetime, timedelta

import ijson
import orjson
import stix2

from bersama import observables as ob
from bersama.ingest.model import ReportDraft
from bersama.ingest.stix import parse_stix
from bersama.observables.model import Kind
from bersama.stix.export import bundle, draft_to_stix, timestamp


def make_drafts(n: int, rng: random.Random) -> list[ReportDraft]:
    base = datetime(2026, 1, 1, tzinfo=UTC)
    drafts = []
    for i in range(n):
        obs = (
            ob.phone(f"+6012{rng.randrange(10**7):07d}", "MY"),
            ob.bank_account("MY", "Maybank", f"5{rng.randrange(10**11):011d}"),
            ob.normalise(Kind.URL, f"https://scam-{i}.com/login/{rng.randrange(10**6)}"),
            ob.normalise(Kind.DOMAIN, f"scam-{i}.com"),
            ob.normalise(Kind.EMAIL, f"agent{i}@scam-{i}.com"),
        )
        drafts.append(ReportDraft(
            source_id=f"report--00000000-0000-4000-8000-{i:012d}",
            modified=base + timedelta(minutes=i), observables=obs, title=f"Report {i}",
            narrative="Victim was contacted on Telegram and asked to invest." * 3,
        ))
    return drafts


def make_bundle(drafts: list[ReportDraft]) -> dict:
    objects = []
    for i, d in enumerate(drafts):
        objs = draft_to_stix(d, agency="MY-NSRC", agency_country="MY",
                             identity_id="identity--00000000-0000-4000-8000-000000000001")
        ts = timestamp(d.modified)
        indicator = {
            "type": "indicator", "spec_version": "2.1",
            "id": f"indicator--00000000-0000-4000-9000-{i:012d}", "created": ts, "modified": ts,
            "pattern": f"[domain-name:value = 'ind-{i}.net' OR url:value = 'http://ind-{i}.net/x']",
            "pattern_type": "stix", "valid_from": ts,
        }
        objs[0]["object_refs"].append(indicator["id"])
        objects.extend(objs)
        objects.append(indicator)
    return bundle(objects, bundle_id="bundle--00000000-0000-4000-8000-000000000000")


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=5000)
    ap.add_argument("--stix2-sample", type=int, default=3000,
                    help="objects given to stix2.parse (it is slow); 0 = all")
    args = ap.parse_args()
    rng = random.Random(7)
    drafts = make_drafts(args.reports, rng)

    t0 = time.perf_counter()
    doc = make_bundle(drafts)
    t_export = time.perf_counter() - t0
    data = orjson.dumps(doc)
    n_objects = len(doc["objects"])
    print(f"bundle: {n_objects} objects, {len(data) / 1e6:.1f} MB; export (draft_to_stix + "
          f"bundle): {n_objects / t_export:,.0f} objects/s")

    rss0 = rss_mb()
    t0 = time.perf_counter()
    c0 = time.process_time()
    n_obs = n_drafts = n_rej = 0
    for item in parse_stix(io.BytesIO(data), agency_country="MY"):
        if isinstance(item, ReportDraft):
            n_drafts += 1
            n_obs += len(item.observables)
        else:
            n_rej += 1
    t_ours = time.perf_counter() - t0
    c_ours = time.process_time() - c0
    ours_rate = n_objects / t_ours
    print(f"parse_stix: {t_ours:.2f} s wall, {c_ours:.2f} s CPU "
          f"({n_objects / c_ours:,.0f} objects per CPU-second), {ours_rate:,.0f} objects/s, "
          f"{n_obs / t_ours:,.0f} observables/s ({n_drafts} drafts, {n_obs} observables, "
          f"{n_rej} rejections); peak RSS growth {rss_mb() - rss0:.0f} MB")

    # the same parse with normalisation stubbed out: the adapter's own cost (JSON, checks,
    # grouping) apart from the observables package's
    import bersama.ingest.stix as adapter

    saved = adapter.sco_to_observables, adapter.pattern_observable
    adapter.sco_to_observables = lambda obj, country: []  # type: ignore[assignment]
    adapter.pattern_observable = lambda *a, **k: None  # type: ignore[assignment]
    try:
        t0 = time.perf_counter()
        for _ in parse_stix(io.BytesIO(data), agency_country="MY"):
            pass
        t_bare = time.perf_counter() - t0
    finally:
        adapter.sco_to_observables, adapter.pattern_observable = saved
    print(f"parse_stix without normalisation: {n_objects / t_bare:,.0f} objects/s "
          f"(normalisation is {100 * (1 - t_bare / t_ours):.0f}% of the parse time)")
    t0 = time.perf_counter()
    n_ijson = sum(1 for _ in ijson.items(io.BytesIO(data), "objects.item"))
    print(f"ijson alone: {n_ijson / (time.perf_counter() - t0):,.0f} objects/s")

    # phone numbers are cached per (value, country): the bundle's numbers were normalised
    # when the drafts were made, so the parse above hits the cache; this is the cold cost
    phones = [(o.key, "MY") for d in drafts for o in d.observables if o.kind is Kind.PHONE]
    ob.phone.cache_clear()
    c0 = time.process_time()
    for value, country in phones:
        ob.phone(value, country)
    print(f"phone normalisation, cold cache: "
          f"{(time.process_time() - c0) / len(phones) * 1e6:.0f} µs CPU per new number")

    sample = doc["objects"] if not args.stix2_sample else doc["objects"][: args.stix2_sample]
    sdata = orjson.dumps({**doc, "objects": sample}).decode()
    t0 = time.perf_counter()
    stix2.parse(sdata, allow_custom=True)
    t_ref = time.perf_counter() - t0
    ref_rate = len(sample) / t_ref
    print(f"stix2.parse (allow_custom, {len(sample)} objects of the same bundle): "
          f"{ref_rate:,.0f} objects/s")
    print(f"ratio parse_stix / stix2.parse: {ours_rate / ref_rate:.1f}x")


if __name__ == "__main__":
    main()
