"""Adding an agency: the core node's `bersama agency add CODE --country CC --name NAME`,
with the trust layer's optional `--type`; the same over REST for admins."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.conftest import Node
from typer.testing import CliRunner

from bersama.cli.main import app
from bersama.errors import Conflict, InvalidInput, NotFound


def test_an_agency_is_added_with_code_country_and_name_alone(cli_node: Path) -> None:
    # `--type` was required: the core node's documented command failed with
    # "Missing option '--type'", and so did every script written against it.
    runner = CliRunner()
    add = runner.invoke(app, ["agency", "add", "MY-PDRM", "--country", "MY", "--name", "PDRM",
                              "--json"])
    assert add.exit_code == 0, add.output
    assert json.loads(add.stdout)["type"] is None
    listed = json.loads(runner.invoke(app, ["agency", "list", "--json"]).stdout)
    assert [(a["code"], a["country"], a["type"]) for a in listed] == [("MY-PDRM", "MY", None)]
    text = cli_node / "advisory.txt"
    text.write_text("Call 012-345 6789 about the parcel.\n", "utf-8")
    assert runner.invoke(app, ["ingest", str(text), "--agency", "MY-PDRM"]).exit_code == 0


def test_a_stated_type_is_checked_and_kept(cli_node: Path) -> None:
    runner = CliRunner()
    bad = runner.invoke(app, ["agency", "add", "TH-TCSD", "--country", "TH", "--name", "TCSD",
                              "--type", "navy"])
    assert isinstance(bad.exception, InvalidInput)  # `bersama` exits 2 naming the field
    assert bad.exception.field == "type"
    ok = runner.invoke(app, ["agency", "add", "TH-TCSD", "--country", "TH", "--name", "TCSD",
                             "--type", "Scam Center", "--json"])
    assert json.loads(ok.stdout)["type"] == "scam-centre"


def test_an_admin_adds_an_agency_over_rest_with_or_without_a_type(node: Node) -> None:
    base = {"country": "SG", "name": "Anti-Scam Centre"}
    plain = node.client.post("/api/v1/admin/agencies", json={"code": "SG-ASC", **base},
                             headers=node.auth("adm@my"))
    assert plain.status_code == 201, plain.text
    assert plain.json()["type"] is None
    typed = node.client.post("/api/v1/admin/agencies",
                             json={"code": "SG-SPF", **base, "type": "police"},
                             headers=node.auth("adm@my"))
    assert typed.json()["type"] == "police"
    bad = node.client.post("/api/v1/admin/agencies", json={"code": "SG-X", **base, "type": "navy"},
                           headers=node.auth("adm@my"))
    assert (bad.status_code, bad.json()["field"]) == (422, "type")


def test_a_code_differing_only_in_letter_case_is_refused_and_suggested(cli_node: Path) -> None:
    # "my-pdrm" was a second agency beside "MY-PDRM"; ingest under "my-pdrm" said only that
    # it was not registered.
    runner = CliRunner()
    first = ["agency", "add", "MY-PDRM", "--country", "MY", "--name", "PDRM"]
    assert runner.invoke(app, first).exit_code == 0
    twin = runner.invoke(app, ["agency", "add", "my-pdrm", "--country", "MY", "--name", "x"])
    assert isinstance(twin.exception, Conflict)
    assert "'MY-PDRM'" in twin.exception.detail
    text = cli_node / "advisory.txt"
    text.write_text("Call 012-345 6789 about the parcel.\n", "utf-8")
    wrong = runner.invoke(app, ["ingest", str(text), "--agency", "my-pdrm"])
    assert isinstance(wrong.exception, NotFound)
    assert "did you mean 'MY-PDRM'" in wrong.exception.detail
