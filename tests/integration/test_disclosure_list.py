"""`GET /api/v1/disclosures` and `bersama disclosure list`: every request a reader may see,
a page at a time, whatever other agencies asked since."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, insert
from tests.integration.conftest import NOW, Node
from tests.integration.reports import add_report
from typer.testing import CliRunner

from bersama.cli import context
from bersama.cli.main import app
from bersama.markings import TLP
from bersama.observables import phone
from bersama.psi import disclosure
from bersama.store import psi as store_psi
from bersama.store.tables.federation import peers
from bersama.store.tables.psi import disclosure_requests


def _requests(engine: Engine, direction: str, agency: str, refs: list[str]) -> None:
    """One disclosure request of `agency` per ref, in this order (ids ascending), pending;
    an `out` one has the ref as its id on the peer."""
    with engine.begin() as conn:
        conn.execute(insert(disclosure_requests), [
            {"direction": direction, "peer": "th-aoc", "agency": agency, "value_ref": ref,
             "remote_id": ref if direction == "out" else None, "reason": "case 42",
             "status": "pending", "created_at": NOW,
             "result": json.dumps({"objects": [], "withheld": 1})}
            for ref in refs])


def _numbers(prefix: str, n: int) -> list[str]:
    return [f"phone:+6013{prefix}{i:06d}" for i in range(n)]


def _every_page(node: Node, who: str, limit: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    offset: int | None = 0
    while offset is not None:
        r = node.client.get("/api/v1/disclosures", headers=node.auth(who),
                            params={"limit": limit, "offset": offset})
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["disclosures"]) <= limit
        assert page["refresh_errors"] == {}
        rows += page["disclosures"]
        offset = page["next_offset"]
    return rows


def test_an_agency_sees_every_request_it_may_see_however_many_others_made_since(
        node: Node) -> None:
    # The node read its latest 200 requests and then kept the reader's: MY-PDRM's 250
    # requests, followed by 250 of TH-TCSD's, listed as none at all.
    for owner, tlp, n in (("MY-PDRM", TLP.AMBER, 1), ("JP-NPA", TLP.AMBER, 2),
                          ("MY-PDRM", TLP.GREEN, 3), ("MY-PDRM", TLP.AMBER_STRICT, 4)):
        add_report(node.engine, node.settings, owner, [phone(f"+6017123456{n}")], tlp)
    # TH-TCSD, a peer here, asked about each; MY-PDRM owns what is withheld of the first
    # only: JP-NPA owns the second, the third was sent at once, the fourth TH may not know.
    asked = [f"phone:+6017123456{i}" for i in (1, 2, 3, 4)]
    _requests(node.engine, "in", "TH-TCSD", asked)
    mine = _numbers("1", 250)
    _requests(node.engine, "out", "MY-PDRM", mine)
    _requests(node.engine, "out", "TH-TCSD", _numbers("2", 250))

    listed = _every_page(node, "ana@my", 100)
    assert [r["value_ref"] for r in listed] == [*reversed(mine), asked[0]]
    assert [r["direction"] for r in listed[-2:]] == ["out", "in"]
    ids = [r["id"] for r in listed]
    assert ids == sorted(set(ids), reverse=True)  # newest first, each once

    r = node.client.get("/api/v1/disclosures", headers=node.auth("ana@my"))
    assert r.status_code == 200, r.text
    assert (len(r.json()["disclosures"]), r.json()["next_offset"]) == (200, 200)

    assert [r["value_ref"] for r in _every_page(node, "ana@jp", 500)] == [asked[1]]
    assert len(_every_page(node, "ana@th", 500)) == 250


def test_a_page_out_of_bounds_is_a_422_naming_it(node: Node) -> None:
    for params, field in (({"limit": 0}, "limit"), ({"limit": 501}, "limit"),
                          ({"offset": -1}, "offset")):
        r = node.client.get("/api/v1/disclosures", headers=node.auth("ana@my"), params=params)
        assert r.status_code == 422, (params, r.text)
        assert r.json()["field"] == field, r.text


def test_disclosure_list_pages_the_agencys_requests(cli_node: Path) -> None:
    runner = CliRunner()
    node_agency = context.settings().node_agency
    for add in (["agency", "add", node_agency, "--country", "MY", "--name", "Node"],
                ["agency", "add", "TH-AOC", "--country", "TH", "--name", "AOC", "--peer"]):
        assert runner.invoke(app, add).exit_code == 0
    mine = _numbers("1", 250)
    _requests(context.engine(), "out", node_agency, mine)
    _requests(context.engine(), "out", "TH-AOC", _numbers("2", 250))

    def listed(*args: str) -> dict[str, Any]:
        res = runner.invoke(app, ["disclosure", "list", "--no-refresh", "--json", *args])
        assert res.exit_code == 0, (args, res.output)
        out: dict[str, Any] = json.loads(res.stdout)
        return out

    first = listed()
    assert [r["value_ref"] for r in first["disclosures"]] == mine[::-1][:200]
    assert first["next_offset"] == 200
    rest = listed("--offset", "200")
    assert [r["value_ref"] for r in rest["disclosures"]] == mine[::-1][200:]
    assert rest["next_offset"] is None
    page = listed("--agency", "TH-AOC", "--limit", "10", "--offset", "245")
    assert len(page["disclosures"]) == 5
    assert page["next_offset"] is None

    text = runner.invoke(app, ["disclosure", "list", "--no-refresh", "--limit", "3"])
    assert text.exit_code == 0, text.output
    assert "next page: bersama disclosure list --offset 3 --limit 3" in " ".join(
        text.output.split())
    bad = runner.invoke(app, ["disclosure", "list", "--no-refresh", "--limit", "0"])
    assert bad.exit_code == 2, bad.output


def test_a_peers_reason_is_listed_as_text_not_read_as_markup(cli_node: Path) -> None:
    # A peer's request giving the reason "[/case]" stopped `bersama disclosure list` with
    # rich's MarkupError traceback; "[bold]" was rendered, not shown.
    runner = CliRunner()
    node_agency = context.settings().node_agency
    assert runner.invoke(app, ["agency", "add", node_agency, "--country", "MY",
                               "--name", "Node"]).exit_code == 0
    with context.engine().begin() as conn:
        conn.execute(insert(disclosure_requests).values(
            direction="out", peer="th-[/aoc]", agency=node_agency, value_ref="phone:+6012[b]",
            reason="[/case] [bold]42", status="pending", created_at=NOW))
    res = runner.invoke(app, ["disclosure", "list", "--no-refresh"],
                        env={"COLUMNS": "200"})
    assert res.exit_code == 0, (res.output, res.exception)
    for text in ("th-[/aoc]", "phone:+6012[b]", "[/case] [bold]42"):
        assert text in res.output


def test_refreshing_polls_every_pending_request_not_only_the_latest_200(node: Node) -> None:
    # Only the node's latest 200 pending requests were polled: an older one, listed on a
    # later page, stayed pending whatever its peer had decided.
    with node.engine.begin() as conn:
        conn.execute(insert(peers).values(
            name="th-aoc", url="https://th.example/taxii2/",
            api_root="https://th.example/taxii2/api/", collection_id="shared", token="bsm_x",
            public_key="ed25519:" + "A" * 43 + "=", agency="TH-TCSD", created_at=NOW))
    asked = _numbers("1", 250)
    _requests(node.engine, "out", "MY-PDRM", asked)
    polled: list[str] = []

    def peer(request: httpx.Request) -> httpx.Response:
        polled.append(json.loads(request.content)["id"])
        return httpx.Response(200, json={"status": "denied", "decided_by": "boss@th",
                                         "objects": [], "withheld": 1})

    assert disclosure.refresh(node.settings, node.engine,
                              transport=httpx.MockTransport(peer)) == {}
    assert sorted(polled) == sorted(asked)
    with node.engine.connect() as conn:
        assert store_psi.list_disclosures(conn, status="pending") == []
