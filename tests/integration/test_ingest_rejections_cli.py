"""`bersama ingest`: every rejected record (`--rejections FILE`), not only the first 1,000;
and what a batch that cannot get the store in time is told."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from tests.integration.conftest import writes_held
from typer.testing import CliRunner

from bersama.cli import context
from bersama.cli.main import app, main


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


def test_an_ingest_kept_waiting_by_another_write_exits_9_saying_retry(
        cli_node: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    runner = CliRunner()
    for code, cc in (("MY-PDRM", "MY"), ("TH-TCSD", "TH")):
        add = ["agency", "add", code, "--country", cc, "--name", code, "--type", "police"]
        assert runner.invoke(app, add).exit_code == 0
    hotline = cli_node / "hotline.csv"
    hotline.write_text("Case No,Date Reported,Phone Number\nC1,2026-03-01,081-234 5678\n", "utf-8")
    with writes_held(context.engine(), "MY-PDRM", monkeypatch):
        monkeypatch.setattr(sys, "argv", ["bersama", "ingest", str(hotline), "--agency", "TH-TCSD"])
        with pytest.raises(SystemExit) as exited:
            main()
    assert exited.value.code == 9
    assert "retry later" in capsys.readouterr().err


def test_a_legacy_encoded_advisory_is_ingested_with_encoding(cli_node: Path) -> None:
    runner = CliRunner()
    add = ["agency", "add", "TH-TCSD", "--country", "TH", "--name", "TCSD", "--type", "police"]
    assert runner.invoke(app, add).exit_code == 0
    advisory = cli_node / "advisory.txt"
    advisory.write_bytes("มิจฉาชีพโทรจาก 081-234-5678\n".encode("cp874"))
    res = runner.invoke(app, ["ingest", str(advisory), "--agency", "TH-TCSD",
                              "--encoding", "cp874", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["accepted"] == 1
    stix = cli_node / "bundle.json"
    stix.write_text('{"type": "bundle", "id": "bundle--1", "objects": []}', "utf-8")
    refused = runner.invoke(app, ["ingest", str(stix), "--agency", "TH-TCSD",
                                  "--encoding", "cp874"])
    assert refused.exception is not None
    assert getattr(refused.exception, "field", None) == "encoding"


def test_cli_prints_a_rejected_value_as_it_is(cli_node: Path) -> None:
    """A value is data, not rich markup: `[/b]` used to stop the command with a MarkupError,
    `[b]` to vanish from what it printed."""
    runner = CliRunner()
    add = ["agency", "add", "MY-PDRM", "--country", "MY", "--name", "PDRM", "--type", "police"]
    assert runner.invoke(app, add).exit_code == 0
    hotline = cli_node / "hotline.csv"
    hotline.write_text("Case No,Date Reported,Phone Number\nC1,2026-03-01,[/b]\n"
                       "C2,2026-03-01,[b]\n", "utf-8")
    res = runner.invoke(app, ["ingest", str(hotline), "--agency", "MY-PDRM"])
    assert res.exit_code == 0, res.output
    printed = res.stdout.replace("\n", "")
    assert "field Phone Number, value [/b]" in printed
    assert "field Phone Number, value [b]" in printed


def test_cli_stores_the_other_rows_of_a_csv_with_a_cell_over_the_field_limit(
        cli_node: Path) -> None:
    """A cell over Python csv's 131,072 characters refused the whole file; now its row."""
    runner = CliRunner()
    add = ["agency", "add", "MY-PDRM", "--country", "MY", "--name", "PDRM", "--type", "police"]
    assert runner.invoke(app, add).exit_code == 0
    hotline = cli_node / "hotline.csv"
    hotline.write_text(
        "Case No,Date Reported,Phone Number,Details\n"
        "C1,2026-03-01,012-345 6789,first\n"
        f'C2,2026-03-02,011-2345 6789,"{"x" * 200_000}\nover two lines"\n'
        "C3,2026-03-03,012-345 6789,third\n", "utf-8")
    res = runner.invoke(app, ["ingest", str(hotline), "--agency", "MY-PDRM", "--json"])
    assert res.exit_code == 0, res.output
    result = json.loads(res.stdout)
    assert (result["accepted"], result["rejected"]) == (2, 1)
    assert result["rejections"] == [{
        "reason": "column 4 (Details) is longer than 131,072 characters: row skipped",
        "line": 3, "field": "Details", "record": "line 3"}]
    stored = runner.invoke(app, ["check", "012-345 6789", "--country", "MY", "--json"])
    assert json.loads(stored.stdout)["reports"] == 2, stored.output
    missing = runner.invoke(app, ["check", "011-2345 6789", "--country", "MY", "--json"])
    assert json.loads(missing.stdout)["reports"] == 0, missing.output
