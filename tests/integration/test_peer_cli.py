"""`bersama peer add`: what it tells an operator to do works as told."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from bersama.cli.main import app
from bersama.errors import NotFound


def test_the_hint_for_an_unregistered_agency_is_a_command_that_runs(cli_node: Path) -> None:
    # The hint lacked --type, which `agency add` requires: following it failed.
    runner = CliRunner()
    key = runner.invoke(app, ["node", "key"]).stdout.strip()
    res = runner.invoke(app, ["peer", "add", "TH-AOC", "http://127.0.0.1:9/taxii2/",
                              "--collection", "reports", "--key", key])
    assert isinstance(res.exception, NotFound), res.output
    hint = re.search(r"`bersama (agency add [^`]+)`", res.exception.detail)
    assert hint is not None, res.exception.detail
    args = (hint.group(1).replace("CC", "TH").replace("NAME", "AOC")
            .replace("TYPE", "scam-centre").split())
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
