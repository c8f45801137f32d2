"""Load a written scenario into a node: register its agencies, groups and warninglists,
then ingest every file through the real adapters and pipeline.

Used by `bersama demo`, the end-to-end tests that score correlation against the
answer key, and the benchmarks, so all three exercise every ingest path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import orjson
from sqlalchemy import Engine, select

from bersama.config import Settings
from bersama.ingest.detect_format import sniff
from bersama.ingest.pipeline import IngestResult
from bersama.ingest.sources import ingest_stream
from bersama.markings import Reader, Role
from bersama.observables import guess
from bersama.store import warninglists
from bersama.store.identities import add_agency, add_group
from bersama.store.tables.core import agencies
from bersama.store.tables.trust import sharing_groups


@dataclass
class Loaded:
    files: int = 0
    results: list[IngestResult] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return sum(r.accepted for r in self.results)

    @property
    def rejected(self) -> int:
        return sum(r.rejected for r in self.results)


def register(engine: Engine, doc: dict[str, object]) -> None:
    """Register the scenario's agencies, sharing groups and warninglists (idempotent)."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        known = set(conn.execute(select(agencies.c.code)).scalars())
        for a in doc["agencies"]:  # type: ignore[attr-defined]
            if a["code"] not in known:
                add_agency(
                    conn,
                    code=a["code"],
                    name=a["name"],
                    country=a["country"],
                    type=a["type"],
                    now=now,
                    default_tlp=a.get("default_tlp", "amber"),
                )
        groups = set(conn.execute(select(sharing_groups.c.name)).scalars())
        for name, members in doc.get("sharing_groups", {}).items():  # type: ignore[attr-defined]
            if name not in groups:
                add_group(conn, name=name, agencies_=members, now=now)
        for w in doc.get("warninglist", []):  # type: ignore[attr-defined]
            country = conn.execute(
                select(agencies.c.country).where(agencies.c.code == w["agency"])
            ).scalar()
            warninglists.add(
                conn,
                agency=w["agency"],
                obs=guess(w["ref"], country=country),
                note=w.get("note", ""),
            )


def file_agencies(root: Path) -> dict[str, str]:
    """Which agency filed each written file (from the answer key)."""
    out: dict[str, str] = {}
    with (root / "answer_key.jsonl").open("rb") as fh:
        for line in fh:
            rec = orjson.loads(line)
            if rec.get("type") == "report":
                out.setdefault(rec["file"], rec["agency"])
    return out


def load(
    engine: Engine,
    settings: Settings,
    root: Path,
    on_file: Callable[[str, IngestResult], None] | None = None,
) -> Loaded:
    register(engine, orjson.loads((root / "agencies.json").read_bytes()))
    loaded = Loaded()
    for rel, agency in sorted(file_agencies(root).items()):
        path = root / rel
        with path.open("rb") as fh:
            result = ingest_stream(
                engine,
                settings,
                fh,
                fmt=sniff(path),
                agency=agency,
                actor=Reader(agency=agency, user=None, role=Role.ANALYST),
                source=rel,
            )
        loaded.files += 1
        loaded.results.append(result)
        if on_file is not None:
            on_file(rel, result)
    return loaded
