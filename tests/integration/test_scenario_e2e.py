"""A generated scenario through every ingest path, scored against its answer key.

Every file the generator writes (STIX, MISP, CSV, text) goes through the real
adapters and pipeline; then each campaign must be exactly one cluster and no
cluster may mix campaigns or unrelated reports, on SQLite and PostgreSQL, and
a rebuild must reproduce the incremental clusters exactly.  The scenario ends with a
partner's feed naming a phone number of 60 campaigns: read as a campaign, it would
merge them all (docs/correlation.md, list reports); and the first campaign's takedown
names 60 of its identifiers and says they are one campaign: read as a list, it would
split from its campaign.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path

import orjson
from sqlalchemy import Engine, select

from bersama.config import Settings
from bersama.store import correlate
from bersama.store.tables.core import clusters, reports
from bersama.synth import generate, write
from bersama.synth.load import load


def _clusters(engine: Engine) -> dict[str, int]:
    with engine.connect() as c:
        return dict(
            c.execute(
                select(reports.c.stix_id, reports.c.cluster_id).where(reports.c.revoked.is_(False))
            ).all()
        )


def test_campaigns_become_clusters(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    root = tmp_path / "scenario"
    manifest = write(generate(11, 1500, as_of=date(2026, 11, 1)), root)
    loaded = load(engine, settings, root)
    assert loaded.files == len([f for f in manifest["files"] if "/" in f])
    assert loaded.rejected >= manifest["invalid_values"] > 0  # invalid values are reported
    key = [orjson.loads(line) for line in (root / "answer_key.jsonl").read_bytes().splitlines()]
    campaign_of = {k["source_id"]: k["campaign"] for k in key if k["type"] == "report"}
    stored = _clusters(engine)
    assert set(stored) == set(campaign_of)

    members: dict[int, set[str | None]] = defaultdict(set)
    spread: dict[str, set[int]] = defaultdict(set)
    for sid, campaign in campaign_of.items():
        members[stored[sid]].add(campaign)
        if campaign is not None:
            spread[campaign].add(stored[sid])
    assert all(len(m) == 1 for m in members.values()), "a cluster mixes campaigns or noise"
    assert all(len(c) == 1 for c in spread.values()), "a campaign is split across clusters"
    cross = [k for k in key if k["type"] == "campaign" and len(k["countries"]) > 1]
    with engine.connect() as c:
        flagged = c.execute(select(clusters.c.id).where(clusters.c.cross_border.is_(True))).all()
    assert len(flagged) == len(cross) > 0

    with engine.begin() as c:
        correlate.rebuild(c, settings.hub_threshold, settings.list_threshold)
    assert _clusters(engine) == stored
