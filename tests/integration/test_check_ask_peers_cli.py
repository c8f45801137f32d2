"""`bersama check VALUE --ask-peers` without --json: what the peers answered is printed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bersama.cli.main import app
from bersama.psi import client


def _answer(held_by: list[str], errors: dict[str, str]) -> Any:
    def ask(values: list[str], **_: Any) -> list[dict[str, Any]]:
        return [{"value": v, "ref": "phone:+60133334444", "error": None, "held_by": held_by,
                 "peers_asked": ["th-node", "jp-node"], "peer_errors": errors} for v in values]
    return ask


@pytest.mark.parametrize(("held_by", "errors", "shown"), [
    (["th-node"], {}, "peers: held by th-node (asked th-node, jp-node)"),
    ([], {}, "peers: held by none of th-node, jp-node"),
    ([], {"jp-node": "timed out"}, "peer jp-node failed: timed out"),
])
def test_the_peers_answer_is_printed(cli_node: Path, monkeypatch: pytest.MonkeyPatch,
                                     held_by: list[str], errors: dict[str, str],
                                     shown: str) -> None:
    # It was computed and never printed: only --json showed which peers hold the value.
    monkeypatch.setattr(client, "ask_peers_cli", _answer(held_by, errors))
    res = CliRunner().invoke(app, ["check", "+60 13-333 4444", "--ask-peers"])
    assert res.exit_code == 0, (res.output, res.exception)
    assert shown in " ".join(res.stdout.split())


def test_peers_are_asked_for_the_agency_of_the_user_the_check_reads_as(
        cli_node: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `--as-user ana@th --ask-peers` read the node as TH-TCSD's analyst but asked the
    # peers for the node's own agency: what TH-TCSD may know of theirs was never asked.
    runner = CliRunner()
    for args in (["agency", "add", "TH-TCSD", "--country", "TH", "--name", "TCSD"],
                 ["user", "add", "ana@th", "--agency", "TH-TCSD", "--role", "analyst"]):
        assert runner.invoke(app, args).exit_code == 0
    asked_as: list[str | None] = []

    def ask(values: list[str], *, country: str | None, as_agency: str | None) -> Any:
        asked_as.append(as_agency)
        return _answer([], {})(values)

    monkeypatch.setattr(client, "ask_peers_cli", ask)
    for who in (["--as-user", "ana@th"], ["--as-agency", "TH-TCSD"]):
        res = runner.invoke(app, ["check", "+66 81 234 5678", "--ask-peers", *who])
        assert res.exit_code == 0, (res.output, res.exception)
    assert asked_as == ["TH-TCSD", "TH-TCSD"]
