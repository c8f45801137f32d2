"""`bersama clusters`: the listing's options are checked like the API's query."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bersama.cli.main import app


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
