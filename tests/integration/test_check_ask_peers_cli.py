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
