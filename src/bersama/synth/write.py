"""Writing a scenario to a directory: per-agency files, agencies, answer key, manifest.

Why streaming writers with rotation: a ten-million-observable scenario is
millions of reports, so every output is appended as reports arrive and
rotated at a fixed size (STIX bundles of `STIX_OBJECTS_PER_FILE` objects,
MISP REST-search files of `MISP_EVENTS_PER_FILE` events, CSV files of
`CSV_ROWS_PER_FILE` rows, advisory files of `TEXT_SECTIONS_PER_FILE`
sections), and no writer keeps more than one open file's worth of state.
Output is byte-identical for the same scenario: no wall-clock time, no
random ids, no set iteration order leaks into it.

Layout (docs/synth.md):

    agencies.json  answer_key.jsonl  manifest.json
    stix/<AGENCY>/bundle-0001.json   misp/<AGENCY>/events-0001.json
    csv/<AGENCY>/hotline-0001.csv    text/<AGENCY>/advisories-0001.txt
"""

from __future__ import annotations

import csv
import gc
import io
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

import orjson

from bersama.errors import InvalidInput
from bersama.observables.model import Kind, Observable
from bersama.stix.export import agency_identity_id, draft_to_stix
from bersama.stix.scos import observable_to_sco
from bersama.synth import formats as _fmt
from bersama.synth.catalog import BANK_HOTLINES, SHARING_GROUPS
from bersama.synth.events import CampaignSummary, GeneratedReport
from bersama.synth.scenario import Scenario

STIX_OBJECTS_PER_FILE = 50_000
MISP_EVENTS_PER_FILE = 1_000
CSV_ROWS_PER_FILE = 100_000
TEXT_SECTIONS_PER_FILE = 2_000
_NS = uuid.UUID("3b1a6d2e-5c0f-4f43-9a8e-1f6f0e2a0600")


class _Rotating:
    """One agency's files of one format: opened lazily, rotated after `limit` items."""

    def __init__(self, directory: Path, stem: str, suffix: str, *, limit: int,
                 header: Callable[[IO[bytes], int], object],
                 footer: Callable[[IO[bytes]], object]) -> None:
        self.directory, self.stem, self.suffix, self.limit = directory, stem, suffix, limit
        self.header, self.footer = header, footer
        self.file: IO[bytes] | None = None
        self.index = 0
        self.count = 0
        self.paths: list[Path] = []
        self.rel = ""
        """The open file's path relative to the output root."""

    def target(self) -> tuple[IO[bytes], bool]:
        """The open file and whether this item is its first."""
        if self.file is not None and self.count >= self.limit:
            self.close()
        first = self.file is None
        if self.file is None:
            self.index += 1
            self.directory.mkdir(parents=True, exist_ok=True)
            name = f"{self.stem}-{self.index:04d}.{self.suffix}"
            path = self.directory / name
            self.paths.append(path)
            self.rel = f"{self.directory.parent.name}/{self.directory.name}/{name}"
            self.file = path.open("wb")
            self.count = 0
            self.header(self.file, self.index)
        self.count += 1
        return self.file, first

    def close(self) -> None:
        if self.file is not None:
            self.footer(self.file)
            self.file.close()
            self.file = None


class _StixWriter:
    """A streaming STIX bundle: objects deduplicated by id within each file."""

    def __init__(self, root: Path, seed: int, agency: str) -> None:
        self.seen: set[str] = set()
        self.agency = agency
        self.files = _Rotating(root / "stix" / agency, "bundle", "json",
                               limit=STIX_OBJECTS_PER_FILE, header=self._header,
                               footer=lambda f: f.write(b"\n]}\n"))
        self.seed = seed

    def _header(self, f: IO[bytes], index: int) -> None:
        self.seen = set()
        bid = uuid.uuid5(_NS, f"{self.seed}|{self.agency}|{index}")
        f.write(b'{"type": "bundle", "id": "bundle--' + str(bid).encode() + b'", "objects": [\n')

    def add(self, rep: GeneratedReport) -> None:
        new_file = self.files.file is None or self.files.count >= self.files.limit
        identity = None if new_file else agency_identity_id(rep.agency.code)
        objects = draft_to_stix(rep.draft, agency=rep.agency.code,
                                agency_country=rep.agency.country, identity_id=identity)
        bad = [observable_to_sco(Observable(i.kind, w, w, (("country", rep.agency.country),)))
               for i, w in rep.written if not i.valid]
        if bad:  # invalid values travel as SCOs too, for ingest to reject
            report = next(o for o in objects if o["type"] == "report")
            report["object_refs"] = [*report["object_refs"], *(b["id"] for b in bad)]
            objects += bad
        f, first = self.files.target()
        self.files.count += len(objects) - 1
        for obj in objects:
            oid = obj["id"]
            if oid in self.seen and obj["type"] != "report":
                continue
            self.seen.add(oid)
            if not first:
                f.write(b",\n")
            first = False
            f.write(orjson.dumps(obj))


def _misp_header(f: IO[bytes], _index: int) -> None:
    f.write(b'{"response": [\n')


def _text_footer(_f: IO[bytes]) -> None:
    return None


class _Writers:
    def __init__(self, sc: Scenario, root: Path) -> None:
        self.sc, self.root = sc, root
        self.stix: dict[str, _StixWriter] = {}
        self.misp: dict[str, _Rotating] = {}
        self.csv: dict[str, _Rotating] = {}
        self.text: dict[str, _Rotating] = {}
        self.counts: Counter[str] = Counter()

    def write(self, rep: GeneratedReport) -> str:
        code = rep.agency.code
        fmt = rep.format
        self.counts[fmt] += 1
        if fmt == "stix":
            w = self.stix.get(code) or self.stix.setdefault(
                code, _StixWriter(self.root, self.sc.seed, code))
            w.add(rep)
            return w.files.rel
        if fmt == "misp":
            r = self.misp.get(code) or self.misp.setdefault(code, _Rotating(
                self.root / "misp" / code, "events", "json", limit=MISP_EVENTS_PER_FILE,
                header=_misp_header, footer=lambda f: f.write(b"\n]}\n")))
            f, first = r.target()
            uid = uuid.UUID(rep.draft.source_id.removeprefix("report--"))
            f.write((b"" if first else b",\n") + orjson.dumps(_fmt.misp_event(rep, uid)))
            return r.rel
        if fmt == "csv":
            r = self.csv.get(code) or self.csv.setdefault(code, _Rotating(
                self.root / "csv" / code, "hotline", "csv", limit=CSV_ROWS_PER_FILE,
                header=lambda f, _i: f.write(_csv_line(_fmt.CSV_COLUMNS)),
                footer=_text_footer))
            f, _ = r.target()
            f.write(_csv_line(_fmt.csv_row(rep, rep.ref)))
            return r.rel
        r = self.text.get(code) or self.text.setdefault(code, _Rotating(
            self.root / "text" / code, "advisories", "txt", limit=TEXT_SECTIONS_PER_FILE,
            header=lambda f, _i: None, footer=_text_footer))
        f, first = r.target()
        f.write((b"" if first else b"\n\n---\n\n") + rep.text.encode("utf-8"))
        return r.rel

    def close(self) -> list[Path]:
        paths: list[Path] = []
        for group in (self.misp, self.csv, self.text):
            for r in group.values():
                r.close()
                paths += r.paths
        for w in self.stix.values():
            w.files.close()
            paths += w.files.paths
        return paths


def _csv_line(cells: Sequence[str]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(cells)
    return buf.getvalue().encode("utf-8")


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def agencies_document(sc: Scenario) -> dict[str, Any]:
    """What to register on a node: agencies, sharing groups, per-agency warninglists."""
    agencies = []
    for a in sc.agencies:
        groups = sorted(g for g, members in SHARING_GROUPS.items() if a.country in members)
        agencies.append({"code": a.code, "name": a.name, "country": a.country, "type": a.type,
                         "default_tlp": "amber", "groups": groups,
                         "reports": a.type != "counter-terrorism"})
    groups_doc = {g: sorted(a.code for a in sc.agencies if a.country in members)
                  for g, members in sorted(SHARING_GROUPS.items())}
    warn: list[dict[str, str]] = []
    for ident in sc.warninglist():
        bundled = ident.kind is Kind.URL or ident.country in BANK_HOTLINES
        owners = [] if bundled else [a.code for a in sc.agencies if a.country == ident.country]
        for owner in owners:
            warn.append({"agency": owner, "kind": ident.kind.value, "value": ident.parts[0],
                         "ref": ident.ref, "note": "bank customer hotline (synthetic)"})
    return {"agencies": agencies, "sharing_groups": {g: m for g, m in groups_doc.items() if m},
            "warninglist": warn,
            "well_known": [{"ref": i.ref, "bundled": i.kind is Kind.URL
                            or i.country in BANK_HOTLINES} for i in sc.warninglist()]}


def write(sc: Scenario, out_dir: str | Path, formats: Sequence[str] | None = None, *,
          progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Write the scenario under `out_dir` (created; must be empty) and return the manifest.

    `progress` is called with the number of distinct observables written so far,
    every few thousand reports.
    """
    root = Path(out_dir)
    try:
        root.mkdir(parents=True, exist_ok=True)
        if any(root.iterdir()):
            raise InvalidInput(f"output directory {root} is not empty", field="out",
                               value=str(root))
    except OSError as exc:
        raise InvalidInput(f"cannot write to {root}: {exc.strerror or exc}", field="out",
                           value=str(root)) from None
    if formats is not None:
        sc = sc.with_formats(formats)
    writers = _Writers(sc, root)
    stats: Counter[str] = Counter()
    observables = 0
    # Millions of short-lived objects make the cyclic collector a quarter of the run;
    # nothing here forms cycles, so collections are rarer for the duration.
    threshold = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        with (root / "answer_key.jsonl").open("wb") as key:
            for ev in sc.events():
                if isinstance(ev, CampaignSummary):
                    stats["campaigns"] += 1
                    stats["cross_border_campaigns"] += ev.cross_border
                    observables += len(ev.refs)
                    key.write(orjson.dumps(_campaign_line(ev)) + b"\n")
                    continue
                path = writers.write(ev)
                stats["reports"] += 1
                stats["observable_mentions"] += len(ev.draft.observables)
                stats["invalid_values"] += len(ev.rejects)
                stats["warninglisted_mentions"] += sum(i.warninglisted for i, _ in ev.written)
                stats["one_campaign_reports"] += ev.draft.one_campaign
                if ev.is_list:
                    stats["list_reports"] += 1  # names other reports' identifiers only
                elif ev.campaign is None:
                    stats["noise_reports"] += 1
                    observables += sum(1 for i, _ in ev.written
                                       if i.valid and not i.warninglisted)
                key.write(orjson.dumps({
                    "type": "report", "source_id": ev.draft.source_id, "campaign": ev.campaign,
                    "agency": ev.agency.code, "country": ev.agency.country,
                    "format": ev.format, "file": path, "ref": ev.ref,
                    "rejects": list(ev.rejects), "list": ev.is_list,
                    "one_campaign": ev.draft.one_campaign}) + b"\n")
                if progress is not None and stats["reports"] % 5000 == 0:
                    progress(observables)
        paths = writers.close()
    finally:
        gc.set_threshold(*threshold)
    (root / "agencies.json").write_bytes(
        orjson.dumps(agencies_document(sc), option=orjson.OPT_INDENT_2) + b"\n")
    manifest: dict[str, Any] = {
        "seed": sc.seed, "as_of": sc.as_of.isoformat(), "countries": list(sc.countries),
        "observables_requested": sc.observables, "observables": observables,
        **{k: stats[k] for k in ("reports", "campaigns", "cross_border_campaigns",
                                 "noise_reports", "list_reports", "one_campaign_reports",
                                 "observable_mentions",
                                 "invalid_values",
                                 "warninglisted_mentions")},
        "formats": {f: writers.counts[f] for f in sc.formats},
        "agencies": len(sc.agencies),
        "files": [*sorted(_rel(p, root) for p in paths), "agencies.json", "answer_key.jsonl"],
    }
    (root / "manifest.json").write_bytes(
        orjson.dumps(manifest, option=orjson.OPT_INDENT_2) + b"\n")
    if progress is not None:
        progress(observables)
    return manifest


def _campaign_line(c: CampaignSummary) -> dict[str, Any]:
    return {"type": "campaign", "id": c.id, "scam_type": c.scam_type.value, "home": c.home,
            "countries": list(c.countries), "agencies": list(c.agencies),
            "cross_border": c.cross_border, "reports": c.reports, "loss_usd": c.loss_usd,
            "refs": list(c.refs)}
