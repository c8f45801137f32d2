"""`bersama review` on a fresh SQLite node: list, confirm, reject, export."""

from __future__ import annotations

import json
from collections.abc import Iterator
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
def node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    monkeypatch.setenv("BERSAMA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BERSAMA_ENVIRONMENT", "test")
    context.settings.cache_clear()
    context.engine.cache_clear()
    eng = context.engine()
    result = load_detector().messages([SCAM, SCAM + "!"])[0].as_dict()
    with eng.begin() as c:
        add_agency(c, code="MY-PDRM", name="PDRM", country="MY", type="police", now=NOW)
        ids = [review.enqueue(c, agency="MY-PDRM", text=t, result=result, source="test", now=NOW)
               for t in (SCAM, SCAM + "!")]
    yield [i for i in ids if i is not None]
    eng.dispose()
    context.settings.cache_clear()
    context.engine.cache_clear()


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
