"""A pushed object held for reassembly is pending in its TAXII status until settled.

Before: held objects were counted as successes at once, although they might
later be dropped as orphans or refused for their marking.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import select
from tests.integration.test_federation_assemble import KEY, FakePeer, node_with_peer, stix_of
from tests.integration.test_taxii_server import Node

from bersama.federation.client import ClientLimits, TaxiiClient
from bersama.federation.protocol import SIGNATURES, TAXII_21, signature_key
from bersama.federation.status import HELD_MESSAGE
from bersama.federation.sync import get_peers, sync_peer
from bersama.markings import TLP, Marking
from bersama.store.tables.core import reports

OBJECTS = "/taxii2/api/collections/shared/objects/"


@pytest.fixture
def node(tmp_path: Path, db_url: str) -> Iterator[Node]:
    # TH-AOC pushes to us
    n = node_with_peer(tmp_path, db_url, name="th", host="th", agency="TH-AOC")
    yield n
    n.engine.dispose()


def post(node: Node, objs: list[dict[str, Any]]) -> dict[str, Any]:
    sigs = {signature_key(o["id"], o.get("modified") or o.get("created") or ""): KEY.sign(o)
            for o in objs}
    resp = node.client.post(OBJECTS, content=orjson.dumps({"objects": objs, SIGNATURES: sigs}),
                            headers={"Accept": TAXII_21, "Content-Type": TAXII_21,
                                     "Authorization": f"Bearer {node.th}"})
    assert resp.status_code == 202, resp.text
    body: dict[str, Any] = resp.json()
    return body


def status(node: Node, sid: str) -> dict[str, Any]:
    resp = node.client.get(f"/taxii2/api/status/{sid}/",
                           headers={"Accept": TAXII_21, "Authorization": f"Bearer {node.th}"})
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def counts(body: dict[str, Any]) -> tuple[str, int, int, int]:
    return (body["status"], body["success_count"], body["failure_count"],
            body["pending_count"])


def test_held_report_is_pending_until_the_rest_arrives(node: Node) -> None:
    one = stix_of(1, ["+66812345671", "+66812345672"], Marking(TLP.GREEN))
    report = next(iter(one["report"].values()))
    sco_a, sco_b = one["x-bersama-phone-number"].values()
    first = post(node, [report, sco_a])  # sco_b is missing: the report is held
    assert counts(first) == ("pending", 0, 0, 2)
    assert {p["id"] for p in first["pendings"]} == {report["id"], sco_a["id"]}
    assert all(p["message"] == HELD_MESSAGE for p in first["pendings"])
    assert counts(status(node, first["id"])) == ("pending", 0, 0, 2)
    second = post(node, [sco_b])  # completes the report
    assert counts(second) == ("complete", 1, 0, 0)
    done = status(node, first["id"])
    assert counts(done) == ("complete", 2, 0, 0)
    assert {s["id"] for s in done["successes"]} == {report["id"], sco_a["id"]}
    with node.engine.connect() as conn:
        assert conn.execute(select(reports.c.agency).where(
            reports.c.stix_id == report["id"])).scalar() == "TH-AOC"


def pull_after_the_hold(node: Node) -> None:
    """The hold time passes; the next receipt from the same peer (here an empty pull)."""
    client = TaxiiClient(None, transport=httpx.MockTransport(FakePeer([[]]).handle),
                         limits=ClientLimits(retries=0))
    later = datetime.now(UTC) + timedelta(seconds=node.settings.peer_hold_seconds + 1)
    with node.engine.connect() as conn:
        peer = get_peers(conn, "th")[0]
    result = sync_peer(node.engine, node.settings, peer, client=client, clock=lambda: later)
    client.close()
    assert result.error is None


def test_orphan_observable_becomes_a_failure_when_dropped(node: Node) -> None:
    two = stix_of(2, ["+66812345673"], Marking(TLP.GREEN))
    sco = next(iter(two["x-bersama-phone-number"].values()))
    pushed = post(node, [sco])  # no report names it (yet)
    assert counts(pushed) == ("pending", 0, 0, 1)
    pull_after_the_hold(node)  # drops it
    dropped = status(node, pushed["id"])
    assert counts(dropped) == ("complete", 0, 1, 0)
    assert "dropped" in dropped["failures"][0]["message"]


def test_observable_of_a_report_refused_for_its_marking_is_kept_not_dropped(node: Node) -> None:
    three = stix_of(3, ["+66812345674"], Marking(TLP.AMBER, group="mekong"))
    report = next(iter(three["report"].values()))
    sco = next(iter(three["x-bersama-phone-number"].values()))
    pushed = post(node, [report, sco])  # the group's marking definition never comes
    assert counts(pushed) == ("pending", 0, 0, 2)
    pull_after_the_hold(node)
    done = status(node, pushed["id"])
    assert counts(done) == ("complete", 1, 1, 0)
    assert [s["id"] for s in done["successes"]] == [sco["id"]]  # kept for later reports
    assert [f["id"] for f in done["failures"]] == [report["id"]]
