"""Triage at ingest (`--review`, `?review=true`): reports are stored as always, and the
ones whose text scores likely or review are queued, linked to their stored report."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select
from tests.integration.conftest import Node

from bersama.store.tables.core import reports
from bersama.store.tables.detection import review_items

SCAM = (
    "URGENT: your Maybank account is suspended. Verify now at "
    "http://maybank2u-secure.xyz/login or call 012-345 6789"
)
BENIGN = "Minutes of the coordination meeting with the bank liaison, held on 2026-10-02."
TEXT = f"{SCAM}\n---\n{BENIGN}\n"


def _ingest(node: Node, body: str, fmt: str = "text", review: bool = True) -> dict[str, object]:
    r = node.client.post(
        "/api/v1/ingest",
        params={"format": fmt, "review": str(review).lower()},
        headers=node.auth("ana@my"),
        content=body.encode(),
    )
    assert r.status_code == 200, r.text
    out: dict[str, object] = r.json()
    return out


def test_ingest_queues_the_likely_reports_and_stores_every_one(node: Node) -> None:
    out = _ingest(node, TEXT)
    assert out["accepted"] == 2
    assert out["queued_for_review"] == 1
    with node.engine.connect() as c:
        (item,) = c.execute(select(review_items)).mappings().all()
        stored = c.execute(select(reports.c.id, reports.c.narrative)).all()
    assert len(stored) == 2
    assert item["report_id"] in {rid for rid, _ in stored}
    assert item["text"].startswith("URGENT")
    assert item["source"] == "ingest:api:text"
    # the same input again changes nothing and queues nothing new
    again = _ingest(node, TEXT)
    assert again["accepted"] == 0
    assert again["queued_for_review"] == 0
    with node.engine.connect() as c:
        assert c.execute(select(func.count()).select_from(review_items)).scalar_one() == 1


def _decide(node: Node, decision: str) -> tuple[dict[str, object], int, str]:
    """Ingest TEXT with review, decide its one queued item; (answer, report id, STIX id)."""
    _ingest(node, TEXT)
    with node.engine.connect() as c:
        item_id, report_id = c.execute(select(review_items.c.id, review_items.c.report_id)).one()
        stix_id = c.execute(select(reports.c.stix_id).where(reports.c.id == report_id)).scalar()
    r = node.client.post(f"/api/v1/review/{item_id}/{decision}", headers=node.auth("ana@my"))
    assert r.status_code == 200, r.text
    return r.json(), report_id, stix_id


def test_confirming_an_ingested_item_creates_no_second_report(node: Node) -> None:
    answer, report_id, stix_id = _decide(node, "confirm")
    assert answer["report"] == stix_id
    assert answer["report_id"] == report_id
    with node.engine.connect() as c:
        assert c.execute(select(func.count()).select_from(reports)).scalar_one() == 2


def test_a_marking_given_to_confirm_an_ingested_item_is_refused_not_ignored(
        node: Node) -> None:
    # The report keeps the marking it was ingested with; a --tlp/--group given here was
    # dropped without a word, so the analyst believed the report re-marked.
    _ingest(node, TEXT)
    with node.engine.connect() as c:
        item_id = c.execute(select(review_items.c.id)).scalar_one()
    r = node.client.post(f"/api/v1/review/{item_id}/confirm", headers=node.auth("ana@my"),
                         json={"tlp": "red"})
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "tlp"
    with node.engine.connect() as c:
        assert c.execute(select(review_items.c.status)).scalar_one() == "queued"


def test_rejecting_keeps_the_link_to_the_report(node: Node) -> None:
    answer, report_id, _ = _decide(node, "reject")
    assert answer["status"] == "rejected"
    assert answer["report_id"] == report_id


def test_without_review_nothing_is_scored(node: Node) -> None:
    out = _ingest(node, TEXT, review=False)
    assert "queued_for_review" not in out
    with node.engine.connect() as c:
        assert c.execute(select(func.count()).select_from(review_items)).scalar_one() == 0


def test_review_of_a_format_without_messages_names_the_field(node: Node) -> None:
    r = node.client.post(
        "/api/v1/ingest",
        params={"format": "stix", "review": "true"},
        headers=node.auth("ana@my"),
        content=b'{"type": "bundle", "id": "bundle--1", "objects": []}',
    )
    assert r.status_code == 422, r.text
    assert "review" in r.text
    with node.engine.connect() as c:
        assert c.execute(select(func.count()).select_from(reports)).scalar_one() == 0


def test_cli_ingest_review(cli_node: Path) -> None:
    from typer.testing import CliRunner

    from bersama.cli.main import app

    runner = CliRunner()
    add = ["agency", "add", "MY-PDRM", "--country", "MY", "--name", "PDRM", "--type", "police"]
    res = runner.invoke(app, add)
    assert res.exit_code == 0, res.output
    f = cli_node / "narratives.txt"
    f.write_text(TEXT, "utf-8")
    res = runner.invoke(app, ["ingest", str(f), "--agency", "MY-PDRM", "--review", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["queued_for_review"] == 1
    res = runner.invoke(app, ["review", "list", "--json"])
    assert res.exit_code == 0, res.output
    assert len(json.loads(res.stdout)) == 1
