"""`bersama clusters`: the listing's options are checked like the API's query."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bersama.cli import context
from bersama.cli.main import app
from bersama.store.tables.core import reports


@pytest.mark.parametrize("limit", ["0", "-3"])
def test_a_limit_below_one_is_refused_with_exit_code_2(cli_node: Path, limit: str) -> None:
    # It was accepted, and listed one cluster whatever the value; the API refuses it (422).
    res = CliRunner().invoke(app, ["clusters", "--json", "--limit", limit])
    assert res.exit_code == 2
    assert "--limit" in res.output


def test_a_positive_limit_is_accepted(cli_node: Path) -> None:
    res = CliRunner().invoke(app, ["clusters", "--json", "--limit", "1"])
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("{")


def test_reports_and_identifiers_print_as_written_not_as_markup(cli_node: Path) -> None:
    # Rich read "[/b]" in a report's title as a closing tag (and crashed), "[red]" as a style.
    runner = CliRunner()
    add = ["agency", "add", "MY-PDRM", "--country", "MY", "--name", "PDRM", "--type", "police"]
    assert runner.invoke(app, add).exit_code == 0
    text = cli_node / "advisory.txt"
    text.write_text("[/b] Scam [red]alert\nCall 012-345 6789 or 012-345 6790.\n", "utf-8")
    assert runner.invoke(app, ["ingest", str(text), "--agency", "MY-PDRM"]).exit_code == 0
    with context.engine().connect() as conn:
        report_id = conn.execute(select(reports.c.stix_id)).scalar_one()
    report = runner.invoke(app, ["report", report_id])
    assert report.exit_code == 0, report.output
    assert "title: [/b] Scam [red]alert" in report.stdout
    shown = runner.invoke(app, ["check", "+60123456789"])
    assert shown.exit_code == 0, shown.output
    assert "+60 12-345 6790" in shown.stdout
