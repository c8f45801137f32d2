"""`bersama detect` through typer's runner: single items, files, JSON lines in order."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bersama.cli.detect import app

runner = CliRunner()


def test_message_human() -> None:
    res = runner.invoke(app, ["message", "WIN a FREE prize! Call 09061701461 now to claim"])
    assert res.exit_code == 0, res.output
    assert "scam" in res.output


def test_file_json_one_line_per_item_in_order(tmp_path: Path) -> None:
    f = tmp_path / "msgs.txt"
    f.write_text("hello mum see you later\n\nWIN cash now call 09061701461\n", "utf-8")
    res = runner.invoke(app, ["message", "--file", str(f), "--json"])
    assert res.exit_code == 0, res.output
    lines = [json.loads(x) for x in res.output.splitlines()]
    assert len(lines) == 3
    assert lines[1]["error"]["line"] == 2  # the empty line, reported in place
    assert lines[2]["label"] == "scam"


def test_url_csv(tmp_path: Path) -> None:
    f = tmp_path / "urls.csv"
    f.write_text("id,url\n1,https://www.maybank2u.com.my/\n2,http://rnaybank2u.xyz/login\n",
                 "utf-8")
    res = runner.invoke(app, ["url", "--file", str(f), "--json"])
    assert res.exit_code == 0, res.output
    out = [json.loads(x) for x in res.output.splitlines()]
    assert [o["kind"] for o in out] == ["url", "url"]
    assert out[0]["probability"] < out[1]["probability"]


def test_csv_without_column(tmp_path: Path) -> None:
    f = tmp_path / "x.csv"
    f.write_text("a,b\n1,2\n", "utf-8")
    res = runner.invoke(app, ["url", "--file", str(f)])
    assert res.exit_code != 0
    assert "url" in str(res.exception)


def test_invalid_utf8_file(tmp_path: Path) -> None:
    f = tmp_path / "x.txt"
    f.write_bytes(b"\xff\xfe\x00bad")
    res = runner.invoke(app, ["message", "--file", str(f)])
    assert res.exit_code != 0
    assert "UTF-8" in str(res.exception)
