"""The README's `bersama check` examples answer on `make demo`'s data as the README says.

`make demo` is `bersama demo`: the scenario of its default seed and size, which is the
same identifiers on any day (docs/synth.md, Determinism).  The README's examples were
once values the demo never held ("not reported"); this runs the demo's load and every
`bersama check` line of the README, so that they cannot drift apart again."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from typer.testing import CliRunner

from bersama.cli.main import app

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_checks() -> list[list[str]]:
    """The arguments of every `bersama check` line of the README, comments left out."""
    lines = re.findall(r"^bersama check .*$", README.read_text("utf-8"), re.MULTILINE)
    return [shlex.split(line, comments=True)[1:] for line in lines]


def test_the_readme_checks_find_a_cross_border_campaign_in_the_demo_data(
        cli_node: Path) -> None:
    runner = CliRunner()
    loaded = runner.invoke(app, ["demo", "--no-serve"])
    assert loaded.exit_code == 0, (loaded.output, loaded.exception)
    examples = readme_checks()
    assert len(examples) >= 2, examples
    for args in examples:
        res = runner.invoke(app, [*args, "--json"])
        assert res.exit_code == 0, (args, res.output, res.exception)
        out = json.loads(res.stdout)
        assert out["reports"] > 0, (args, out)
        assert out["cluster"] is not None, (args, out)
        assert out["cluster"]["cross_border"], (args, out)
