"""The JSON shapes docs/cli.md documents are the ones the commands and routes emit.

Each documented block (docs/cli.md, "Shapes checked against the code") is compared
key by key with real output: a key the code emits and the page does not name, or one
the page names and the code no longer emits, fails.  The peer the node asks is one
that cannot be reached, so that every failure map holds something to compare too.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert
from tests.integration.conftest import Node
from tests.integration.reports import add_report
from typer.testing import CliRunner

from bersama.cli import context
from bersama.cli.main import app
from bersama.federation.receive import count_failure
from bersama.markings import TLP
from bersama.observables import phone
from bersama.store import psi as store_psi
from bersama.store.tables.federation import peers

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
NOW = datetime(2026, 11, 30, 8, tzinfo=UTC)
UNREACHABLE = "http://127.0.0.1:9/taxii2/"
"""The discard port, closed on a test host: every request to it fails at once."""
REPORT = {"type": "report", "spec_version": "2.1", "id": "report--0b7e7c56-5d0c-4a3b-9a56-"
          "6c0f3f0e8a11", "name": "Investment scam", "object_refs": []}


def documented(heading: str) -> Any:
    """The first JSON block of the docs/cli.md section whose heading starts `heading`."""
    sections = [s for s in re.split(r"^## ", DOC.read_text("utf-8"), flags=re.MULTILINE)
                if s.startswith(heading)]
    assert len(sections) == 1, (heading, len(sections))
    block = re.search(r"```json\n(.*?)```", sections[0], re.DOTALL)
    assert block is not None, heading
    return json.loads(block.group(1))


def _placeholder(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("<") and value.endswith(">")


def assert_shape(doc: Any, out: Any, where: str = "$") -> None:
    """`out` has exactly the keys `doc` shows, at every level (docs/cli.md says how a
    block is read: one item for a list, `"<...>"` for data keys and foreign values)."""
    if _placeholder(doc):
        return
    if isinstance(doc, dict):
        if out is None:
            return
        assert isinstance(out, dict), (where, out)
        if len(doc) == 1 and _placeholder(next(iter(doc))):
            for key, value in out.items():
                assert_shape(next(iter(doc.values())), value, f"{where}.{key}")
            return
        assert sorted(out) == sorted(doc), (where, sorted(set(out) ^ set(doc)))
        for key, value in doc.items():
            assert_shape(value, out[key], f"{where}.{key}")
    elif isinstance(doc, list):
        assert isinstance(out, list), (where, out)
        for i, item in enumerate(out):
            assert_shape(doc[0], item, f"{where}[{i}]")
    else:
        assert not isinstance(out, dict | list), (where, out)


def _unreachable_peer(engine: Engine, agency: str) -> None:
    with engine.begin() as conn:
        conn.execute(insert(peers).values(
            name="th-aoc", url=UNREACHABLE, api_root=UNREACHABLE + "api/",
            collection_id="shared", token="bsm_for_us", public_key="ed25519:" + "A" * 43 + "=",
            agency=agency, push_collection="shared", created_at=NOW))
        count_failure(conn, "th-aoc", "signature", detail="report--x: bad signature", now=NOW)


def _disclosures(engine: Engine, agency: str) -> None:
    """One request of `agency` answered with a report, one pending (its poll will fail)."""
    with engine.begin() as conn:
        for status, remote in (("answered", None), ("pending", "17")):
            store_psi.add_disclosure(
                conn, direction="out", peer="th-aoc", remote_id=remote, agency=agency,
                value_ref="phone:+60133334444", reason="case MY-2026-0042", status=status,
                requested_by=None, created_at=NOW,
                answered_at=NOW if status == "answered" else None,
                result=json.dumps({"objects": [REPORT] if remote is None else [],
                                   "withheld": 0}))


def _json(args: list[str], code: int = 0) -> Any:
    res = CliRunner().invoke(app, args)
    assert res.exit_code == code, (args, res.output, res.exception)
    return json.loads(res.stdout)


def test_the_peer_and_private_check_commands_emit_the_documented_keys(cli_node: Path) -> None:
    runner = CliRunner()
    for add in (["agency", "add", context.settings().node_agency, "--country", "MY",
                 "--name", "Node"],
                ["agency", "add", "TH-AOC", "--country", "TH", "--name", "AOC", "--peer"]):
        assert runner.invoke(app, add).exit_code == 0
    _unreachable_peer(context.engine(), "TH-AOC")
    _disclosures(context.engine(), context.settings().node_agency)

    listed = _json(["peer", "list", "--json"])
    assert listed[0]["failures"] == {"signature": 1}
    assert_shape(documented("`bersama peer list --json`"), listed)

    leads = cli_node / "leads.txt"
    leads.write_text("012-345 6789\n# a comment\n12\n", "utf-8")
    asked = _json(["ask-peers", str(leads), "--json"], code=6)  # its one peer failed
    assert [r["line"] for r in asked["results"]] == [1, 3]
    assert list(asked["peer_errors"]) == ["th-aoc"]
    assert_shape(documented("`bersama ask-peers FILE --json`"), asked)

    checked = _json(["check", "+60 13-333 4444", "--ask-peers", "--json"])
    assert list(checked["peers"]["peer_errors"]) == ["th-aoc"]
    assert_shape(documented("The peers' answer"), checked["peers"])

    disclosures = _json(["disclosure", "list", "--json"])
    assert len(disclosures["disclosures"]) == 2
    assert list(disclosures["refresh_errors"]) == [str(disclosures["disclosures"][0]["id"])]
    assert_shape(documented("`bersama disclosure list --json`"), disclosures)


def test_the_private_check_routes_answer_the_documented_keys(node: Node) -> None:
    _unreachable_peer(node.engine, "TH-TCSD")
    _disclosures(node.engine, "MY-PDRM")
    asked = node.client.post("/api/v1/ask-peers", headers=node.auth("ana@my"),
                             json={"values": ["+60 13-333 4444", "12"]})
    assert asked.status_code == 200, asked.text
    assert list(asked.json()["peer_errors"]) == ["th-aoc"]
    assert_shape(documented("`POST /api/v1/ask-peers`"), asked.json())
    listed = node.client.get("/api/v1/disclosures", params={"refresh": "true"},
                             headers=node.auth("ana@my"))
    assert listed.status_code == 200, listed.text
    assert len(listed.json()["disclosures"]) == 2
    assert listed.json()["refresh_errors"]
    assert_shape(documented("`bersama disclosure list --json`"), listed.json())


def test_a_cluster_with_its_reports_has_the_documented_keys(node: Node) -> None:
    number = phone("+60123456789")
    for agency in ("MY-PDRM", "TH-TCSD"):
        add_report(node.engine, node.settings, agency, [number], TLP.GREEN)
    h = node.auth("ana@jp")
    cid = node.client.get("/api/v1/clusters", headers=h).json()["clusters"][0]["id"]
    shown = node.client.get(f"/api/v1/clusters/{cid}", headers=h)
    assert shown.status_code == 200, shown.text
    assert len(shown.json()["reports"]) == 2
    assert_shape(documented("`bersama cluster ID --json`"), shown.json())
