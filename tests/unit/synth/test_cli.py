"""`bersama synth` options, output and errors (the sub-app, as the main app mounts it)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import typer
from typer.testing import CliRunner

from bersama.cli.synth import app
from bersama.errors import InvalidInput


@pytest.fixture
def cli() -> typer.Typer:
    root = typer.Typer()
    root.add_typer(app, name="synth")
    return root


def test_synth_writes_a_scenario(cli: typer.Typer, tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(cli, ["synth", "--seed", "3", "--observables", "800", "--out",
                                      str(out), "--formats", "csv,stix", "--countries",
                                      "MY,TH,SG", "--as-of", "2026-11-01", "--json"])
    assert result.exit_code == 0, result.output
    manifest = orjson.loads(result.stdout)
    assert set(manifest["formats"]) == {"csv", "stix"}
    assert manifest["countries"] == ["MY", "TH", "SG"]
    assert (out / "answer_key.jsonl").exists()
    assert not (out / "misp").exists()


def test_synth_names_a_bad_option(cli: typer.Typer, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["synth", "--out", str(tmp_path / "x"), "--as-of",
                                      "yesterday"])
    assert isinstance(result.exception, InvalidInput)
    assert result.exception.field == "as_of"
