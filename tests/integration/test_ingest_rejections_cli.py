"""`bersama ingest --rejections FILE`: every rejected record, not only the first 1,000."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bersama.cli.main import app


def test_cli_writes_every_rejection_as_json_lines(cli_node: Path) -> None:
    runner = CliRunner()
    add = ["agency", "add", "MY-PDRM", "--country", "MY", "--name", "PDRM", "--type", "police"]
    assert runner.invoke(app, add).exit_code == 0
    hotline = cli_node / "hotline.csv"
    hotline.write_text("Case No,Date Reported,Phone Number\n" + "".join(
        f"C{i},2026-03-01,{'12' if i % 4 else f'012-345 {i:04d}'}\n" for i in range(1, 1601)
    ), "utf-8")
    out = cli_node / "rejected.jsonl"
    res = runner.invoke(app, ["ingest", str(hotline), "--agency", "MY-PDRM",
                              "--rejections", str(out)])
    assert res.exit_code == 0, res.output
    assert f"1200 rejected records written to {out}" in res.stdout.replace("\n", "")
    lines = [json.loads(x) for x in out.read_text("utf-8").splitlines()]
    assert len(lines) == 1200
    assert lines[0] == {"reason": lines[0]["reason"], "line": 2, "field": "Phone Number",
                        "value": "12", "record": "line 2"}
    assert lines[-1]["line"] == 1600
    res = runner.invoke(app, ["ingest", str(hotline), "--agency", "MY-PDRM", "--json",
                              "--rejections", str(out)])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["rejected"] == 1200
    assert len(out.read_text("utf-8").splitlines()) == 1200
