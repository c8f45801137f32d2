"""`bersama clusters` and `bersama cluster ID`: options checked like the API's query, the
reports of a cluster listed through the markings policy, a page at a time."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy import Engine, select
from tests.integration.conftest import Node
from typer.testing import CliRunner

from bersama.cli import context, core
from bersama.cli.main import app
from bersama.config import Settings
from bersama.errors import NotFound
from bersama.markings import TLP, Marking, Reader, Role
from bersama.observables import bank_account, phone
from bersama.store.tables.core import reports
from bersama.taxonomy import ScamType

NOW = datetime(2026, 11, 1, tzinfo=UTC)


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


def _campaign(engine: Engine, settings: Settings, group: str) -> dict[str, str]:
    """One phone number in four reports: MY's, two of TH's for everyone (one also with a
    bank account), and one of TH's for `group` only; their STIX ids by name."""
    from bersama.ingest.model import ReportDraft
    from bersama.ingest.pipeline import ingest

    number, account = phone("+60123456789"), bank_account("MY", "Maybank", "512345678901")
    made = {}
    for name, agency, marking, obs in (
        ("my", "MY-PDRM", Marking(TLP.GREEN), (number,)),
        ("th", "TH-TCSD", Marking(TLP.GREEN), (number,)),
        ("th2", "TH-TCSD", Marking(TLP.CLEAR), (number, account)),
        ("hidden", "TH-TCSD", Marking(TLP.AMBER, group=group), (number,)),
    ):
        made[name] = f"report--{uuid.uuid4()}"
        with engine.begin() as c:
            ingest(c, settings, agency=agency, items=[ReportDraft(
                source_id=made[name], modified=NOW, observables=obs, marking=marking,
                scam_types=(ScamType.INVESTMENT,),
                loss_amount=Decimal("500.00"), loss_currency="MYR")],
                source_format="test", source="test",
                actor=Reader(agency=agency, role=Role.ANALYST))
    return made


@pytest.fixture
def campaign(cli_node: Path) -> dict[str, str]:
    runner = CliRunner()
    for args in (["agency", "add", "MY-PDRM", "--country", "MY", "--name", "PDRM"],
                 ["agency", "add", "TH-TCSD", "--country", "TH", "--name", "TCSD"],
                 ["group", "add", "TH-ONLY", "--agencies", "TH-TCSD"]):
        assert runner.invoke(app, args).exit_code == 0
    return _campaign(context.engine(), context.settings(), "TH-ONLY")


def _cluster(*args: str) -> Any:
    res = CliRunner().invoke(app, ["cluster", *args, "--json"])
    assert res.exit_code == 0, (res.output, res.exception)
    return json.loads(res.stdout)


def test_a_cluster_lists_the_reports_the_reader_may_read_a_page_at_a_time(
        campaign: dict[str, str]) -> None:
    # No command listed a cluster's reports: `clusters` and `check` show only figures.
    shown = CliRunner().invoke(app, ["clusters", "--json"])
    cid = str(json.loads(shown.stdout)["clusters"][0]["id"])
    everything = _cluster(cid)
    assert {r["id"] for r in everything["reports"]} == set(campaign.values())
    assert everything["next_offset"] is None
    mine = _cluster(cid, "--as-agency", "MY-PDRM")
    assert mine["size"] == 3
    assert sorted(r["id"] for r in mine["reports"]) == sorted(
        campaign[n] for n in ("my", "th", "th2"))
    assert campaign["hidden"] not in json.dumps(mine)
    first = _cluster(cid, "--as-agency", "MY-PDRM", "--limit", "2")
    assert [r["id"] for r in first["reports"]] == [r["id"] for r in mine["reports"]][:2]
    assert first["next_offset"] == 2
    rest = _cluster(cid, "--as-agency", "MY-PDRM", "--limit", "2", "--offset", "2")
    assert [r["id"] for r in rest["reports"]] == [r["id"] for r in mine["reports"]][2:]
    assert rest["next_offset"] is None
    report = mine["reports"][0]
    assert {"agency", "country", "occurred_at", "scam_types", "loss", "tlp"} <= set(report)


def test_a_cluster_prints_a_page_of_its_reports_and_the_next_pages_command(
        campaign: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(core, "console", Console(width=250))  # a row on one line
    cid = json.loads(CliRunner().invoke(app, ["clusters", "--json"]).stdout)["clusters"][0]["id"]
    res = CliRunner().invoke(app, ["cluster", str(cid), "--as-agency", "MY-PDRM", "--limit",
                                   "2"])
    assert res.exit_code == 0, (res.output, res.exception)
    text = " ".join(res.stdout.split())
    assert f"cluster {cid}: 3 reports, MY, TH CROSS-BORDER" in text
    assert all(campaign[n] in text for n in ("my", "th"))
    assert "500.00 MYR" in text
    assert campaign["hidden"] not in text
    assert f"next page: bersama cluster {cid} --offset 2 --limit 2" in text


@pytest.mark.parametrize("limit", ["0", "501"])
def test_a_cluster_page_outside_1_to_500_is_refused(campaign: dict[str, str],
                                                   limit: str) -> None:
    res = CliRunner().invoke(app, ["cluster", "1", "--limit", limit])
    assert res.exit_code == 2
    assert "--limit" in res.output


def test_a_cluster_the_reader_may_not_see_is_not_found(campaign: dict[str, str]) -> None:
    with context.engine().connect() as conn:
        hidden = conn.execute(select(reports.c.id).where(
            reports.c.stix_id == campaign["hidden"])).scalar_one()
    # the hidden report is its own visible cluster to TH only: MY is told there is none
    for cid in (str(hidden), "999999"):
        res = CliRunner().invoke(app, ["cluster", cid, "--as-agency", "MY-PDRM"])
        assert isinstance(res.exception, NotFound), (cid, res.output)
        assert res.exception.field == "id"


def test_the_command_and_the_api_list_a_clusters_reports_alike(node: Node,
                                                               cli_node: Path) -> None:
    # Both read the same store: JP's analyst may not read the report for group MY-TH.
    made = _campaign(node.engine, node.settings, "MY-TH")
    h = node.auth("ana@jp")
    cid = node.client.get("/api/v1/clusters", headers=h).json()["clusters"][0]["id"]
    for query in ({}, {"limit": 2}, {"limit": 2, "offset": 2}):
        api = node.client.get(f"/api/v1/clusters/{cid}", params=query, headers=h)
        assert api.status_code == 200, api.text
        flags = [a for k, v in query.items() for a in (f"--{k}", str(v))]
        assert _cluster(str(cid), "--as-user", "ana@jp", *flags) == api.json()
        assert made["hidden"] not in api.text
    pages = [node.client.get(f"/api/v1/clusters/{cid}", params={"limit": 2, "offset": o},
                             headers=h).json() for o in (0, 2)]
    assert [p["next_offset"] for p in pages] == [2, None]
    assert sorted(r["id"] for p in pages for r in p["reports"]) == sorted(
        made[n] for n in ("my", "th", "th2"))
    for bad in ({"limit": 0}, {"limit": 501}, {"offset": -1}):
        r = node.client.get(f"/api/v1/clusters/{cid}", params=bad, headers=h)
        assert r.status_code == 422, r.text
        assert r.json()["field"] == next(iter(bad))
