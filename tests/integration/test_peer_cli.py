"""`bersama peer add`: what it tells an operator to do works as told."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bersama.cli.main import app
from bersama.errors import InvalidInput, NotFound
from bersama.federation.client import TaxiiClient


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


@pytest.mark.parametrize("url", ["th-node.example/taxii2/", "ftp://th-node.example/taxii2/",
                                 "https:///taxii2/", "not a url"])
def test_a_peer_url_that_is_no_http_url_is_refused_naming_url_without_a_request(
        cli_node: Path, url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # It was retried five times as 'peer unreachable' (exit code 6, a peer error).
    runner = CliRunner()
    key = runner.invoke(app, ["node", "key"]).stdout.strip()
    add = ["agency", "add", "TH-AOC", "--country", "TH", "--name", "AOC", "--peer"]
    assert runner.invoke(app, add).exit_code == 0
    monkeypatch.setattr(TaxiiClient, "resolve", _no_request)
    res = runner.invoke(app, ["peer", "add", "TH-AOC", url, "--collection", "shared",
                              "--key", key, "--token", "bsm_x"])
    assert isinstance(res.exception, InvalidInput), (res.output, res.exception)
    assert res.exception.field == "url"


def _no_request(*_args: object) -> None:
    raise AssertionError("a URL that is no http(s) URL was requested")
