"""Written scenarios: byte-identical by seed, and every file ingests as the answer key says."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import orjson
import pytest

from bersama.errors import InvalidInput, InvalidObservable
from bersama.ingest.csv import parse_csv
from bersama.ingest.misp import parse_misp
from bersama.ingest.model import Rejection, ReportDraft
from bersama.ingest.stix import parse_stix
from bersama.ingest.text import parse_text
from bersama.observables.model import Kind
from bersama.observables.phone import phone
from bersama.synth import generate, write

AS_OF = date(2026, 11, 1)
PARSERS = {"stix": parse_stix, "misp": parse_misp, "csv": parse_csv, "text": parse_text}


def _tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("synth") / "out"
    write(generate(5, 2500, as_of=AS_OF), root)
    return root


def test_same_seed_gives_byte_identical_files(written: Path, tmp_path: Path) -> None:
    write(generate(5, 2500, as_of=AS_OF), tmp_path / "again")
    assert _tree(written) == _tree(tmp_path / "again")
    write(generate(6, 2500, as_of=AS_OF), tmp_path / "other")
    assert _tree(written) != _tree(tmp_path / "other")


def test_manifest_lists_every_file_and_counts(written: Path) -> None:
    manifest = orjson.loads((written / "manifest.json").read_bytes())
    files = set(_tree(written)) - {"manifest.json"}
    assert set(manifest["files"]) == files
    assert 2500 <= manifest["observables"] <= 2503
    assert sum(manifest["formats"].values()) == manifest["reports"]
    lines = (written / "answer_key.jsonl").read_bytes().splitlines()
    kinds = [orjson.loads(x)["type"] for x in lines]
    assert kinds.count("report") == manifest["reports"]
    assert kinds.count("campaign") == manifest["campaigns"]
    agencies = orjson.loads((written / "agencies.json").read_bytes())
    assert len(agencies["agencies"]) == manifest["agencies"] == 8
    assert "MY-TH-bilateral" in agencies["sharing_groups"]
    assert any(w["agency"] == "KH-NP-ACD" for w in agencies["warninglist"])


def test_refuses_a_non_empty_directory(written: Path) -> None:
    with pytest.raises(InvalidInput) as exc:
        write(generate(5, 100, as_of=AS_OF), written)
    assert exc.value.field == "out"


def test_every_file_ingests_as_the_answer_key_says(written: Path) -> None:
    manifest = orjson.loads((written / "manifest.json").read_bytes())
    agency_country = {a["code"]: a["country"] for a in
                      orjson.loads((written / "agencies.json").read_bytes())["agencies"]}
    key: dict[str, dict[str, object]] = {}
    campaign_refs: dict[str, set[str]] = {}
    for line in (written / "answer_key.jsonl").read_bytes().splitlines():
        rec = orjson.loads(line)
        if rec["type"] == "report":
            key[rec["source_id"]] = rec
        else:
            campaign_refs[rec["id"]] = set(rec["refs"])
    truth = {d.source_id: d for _, d, _ in
             generate(5, 2500, as_of=AS_OF).reports()}
    got: dict[str, ReportDraft] = {}
    rejected: set[tuple[str, str]] = set()
    for rel in manifest["files"]:
        if "/" not in rel:
            continue
        fmt, agency = rel.split("/")[:2]
        with (written / rel).open("rb") as f:
            for item in PARSERS[fmt](f, agency_country=agency_country[agency]):
                if isinstance(item, Rejection):
                    rejected.add((rel, str(item.value)))
                else:
                    assert key[item.source_id]["file"] == rel
                    got[item.source_id] = item
    assert set(got) == set(key) == set(truth)
    expected = {(str(r["file"]), v) for r in key.values()
                for v in r["rejects"]}  # type: ignore[attr-defined]
    assert rejected == expected
    assert len(expected) == manifest["invalid_values"] > 0
    for sid, draft in got.items():
        want = {o.ref for o in truth[sid].observables}
        have = {o.ref for o in draft.observables}
        if key[sid]["format"] == "text":
            # free-text extraction also reads an e-wallet's phone number as a phone, and a
            # bank account number that is a mobile number of its country (Vietnamese banks
            # hand out phone numbers as account numbers)
            wallets = {o.key.split(":", 1)[1] for o in truth[sid].observables
                       if o.kind is Kind.EWALLET}
            wallets |= {_as_mobile(o.key.rsplit(":", 1)[1], str(o.attr("country")))
                        for o in truth[sid].observables if o.kind is Kind.BANK_ACCOUNT}
            have = {r for r in have if not (r.startswith("phone:") and r[6:] in wallets)}
        assert have == want, (key[sid]["format"], sid)
        campaign = key[sid]["campaign"]
        if isinstance(campaign, str):
            assert {o.ref for o in truth[sid].observables} - campaign_refs[campaign] <= {
                o.ref for o in truth[sid].observables if o.kind in (Kind.PHONE, Kind.URL)}


def _as_mobile(digits: str, country: str) -> str:
    """The E.164 key of `digits` when they are a mobile number of `country`, else ""."""
    try:
        obs = phone(digits, country)
    except InvalidObservable:
        return ""
    return obs.key if obs.attr("type") in ("mobile", "fixed_line_or_mobile") else ""
