"""`bersama review` on a fresh node (each store): list, confirm, reject, export."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bersama.cli import context
from bersama.cli.review import app
from bersama.detection.detector import load_detector
from bersama.store import review
from bersama.store.identities import add_agency

NOW = datetime(2026, 11, 1, tzinfo=UTC)
SCAM = "URGENT: your Maybank account is suspended. Verify at http://maybank2u-secure.xyz/login"


@pytest.fixture
def node(cli_node: Path) -> list[int]:
    eng = context.engine()
    result = load_detector().messages([SCAM, SCAM + "!"])[0].as_dict()
    with eng.begin() as c:
        add_agency(c, code="MY-PDRM", name="PDRM", country="MY", type="police", now=NOW)
        ids = [review.enqueue(c, agency="MY-PDRM", text=t, result=result, source="test", now=NOW)
               for t in (SCAM, SCAM + "!")]
    return [i for i in ids if i is not None]


def test_review_cli(node: list[int], tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["list", "--json"])
    assert res.exit_code == 0, res.output
    assert [i["id"] for i in json.loads(res.output)] == node
    res = runner.invoke(app, ["confirm", str(node[0])])
    assert res.exit_code == 0, res.output
    assert "report" in res.output
    res = runner.invoke(app, ["reject", str(node[1])])
    assert res.exit_code == 0, res.output
    again = runner.invoke(app, ["reject", str(node[1])])
    assert again.exit_code != 0
    out = tmp_path / "decisions.csv"
    res = runner.invoke(app, ["export", "--format", "csv", "--out", str(out)])
    assert res.exit_code == 0, res.output
    lines = out.read_text("utf-8").splitlines()
    assert lines[0].startswith("id,text,label")
    assert len(lines) == 3
    assert lines[1].endswith("+00:00")  # decided_at keeps its offset, also on SQLite


def test_detect_queue_from_a_file(node: list[int], tmp_path: Path) -> None:
    """`bersama detect message --file F --queue AGENCY`: likely/review lines are queued,
    with phone numbers normalised by the agency's country (MY)."""
    from bersama.cli.detect import app as detect_app

    f = tmp_path / "forwarded.txt"
    f.write_text("see you at lunch tomorrow\n"
                 "URGENT: your Maybank account is suspended, call 012-345 6789 or verify at "
                 "http://mbb-login.xyz/a\n\n", "utf-8")
    runner = CliRunner()
    res = runner.invoke(detect_app, ["message", "--file", str(f), "--json", "--queue",
                                     "MY-PDRM", "--source", "hotline"])
    assert res.exit_code == 0, res.output
    out = [json.loads(x) for x in res.stdout.splitlines()]
    assert len(out) == 3
    assert out[0]["review_id"] is None
    assert "error" in out[2]
    new_id = out[1]["review_id"]
    assert new_id is not None
    assert new_id not in node
    listed = json.loads(runner.invoke(app, ["list", "--json"]).output)
    item = next(i for i in listed if i["id"] == new_id)
    assert item["source"] == "hotline"
    assert {"kind": "phone", "key": "+60123456789",
            "display": "+60 12-345 6789"} in item["entities"]
    res = runner.invoke(detect_app, ["message", "--file", str(f), "--queue", "XX-NONE"])
    assert res.exit_code != 0
    assert "not registered" in str(res.exception)
