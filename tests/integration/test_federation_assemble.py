"""Reports split across a foreign server's pages are reassembled (federation/assemble.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import insert, select
from tests.integration.test_taxii_server import NOW, Node

from bersama.federation.client import ClientLimits, TaxiiClient
from bersama.federation.protocol import SIGNATURES, TAXII_21, signature_key
from bersama.federation.signing import NodeKey
from bersama.federation.sync import get_peers, sync_peer
from bersama.ingest.model import ReportDraft
from bersama.markings import TLP, Marking
from bersama.observables import phone
from bersama.stix.export import draft_to_stix
from bersama.store.tables.core import observables, report_observables, reports
from bersama.store.tables.federation import held_objects, kept_objects, peers, sync_failures

KEY = NodeKey.generate()


def stix_of(n: int, phones: list[str], marking: Marking) -> dict[str, dict[str, Any]]:
    """STIX objects of one report by type: identity, marking-definition, report, SCOs."""
    d = ReportDraft(source_id=f"report--{uuid.UUID(int=n, version=4)}", modified=NOW,
                    observables=tuple(phone(p) for p in phones), title=f"split {n}",
                    marking=marking)
    out: dict[str, dict[str, Any]] = {}
    for o in draft_to_stix(d, agency="MY-PDRM", agency_country="MY", identity_id=None):
        out.setdefault(o["type"], {})[o["id"]] = o
    return out


def signed(objs: list[dict[str, Any]]) -> dict[str, str]:
    return {signature_key(o["id"], o.get("modified") or o.get("created") or ""): KEY.sign(o)
            for o in objs}


class FakePeer:
    """A TAXII server that pages exactly as told; later queries get an empty page.  It
    answers Get An Object with the objects `by_id` (503 for an empty one), 404 for any
    other id."""

    def __init__(self, pages: list[list[dict[str, Any]]],
                 by_id: dict[str, dict[str, Any]] | None = None) -> None:
        self.pages = pages
        self.walks = 0
        self.by_id = by_id or {}
        self.asked: list[str] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.startswith("/api/collections/c/objects/") and path.count("/") == 6:
            oid = path.split("/")[-2]
            self.asked.append(oid)
            if self.by_id.get(oid) == {}:  # a peer failing meanwhile
                return httpx.Response(503, content=b"down")
            if oid not in self.by_id:
                return httpx.Response(404, content=b'{"title": "Object not found"}')
            objs = [self.by_id[oid]]
            return httpx.Response(200, headers={"Content-Type": TAXII_21}, content=orjson.dumps(
                {"more": False, "objects": objs, SIGNATURES: signed(objs)}))
        token = request.url.params.get("next")
        if not token:
            self.walks += 1
        i = int(token) if token else (0 if self.walks == 1 else -1)
        objs = self.pages[i] if i >= 0 else []
        more = 0 <= i < len(self.pages) - 1
        body: dict[str, Any] = {"more": more, "objects": objs, SIGNATURES: signed(objs)}
        if more:
            body["next"] = str(i + 1)
        stamp = (NOW + timedelta(seconds=max(i, 0))).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return httpx.Response(200, content=orjson.dumps(body), headers={
            "Content-Type": TAXII_21, "X-TAXII-Date-Added-First": stamp,
            "X-TAXII-Date-Added-Last": stamp})


def node_with_peer(tmp_path: Path, database_url: str, *, name: str = "fx", host: str = "fake",
                   agency: str = "MY-PDRM") -> Node:
    """A node on `database_url` that pins KEY for peer `name` of `agency`, served at
    http://`host`/."""
    n = Node(tmp_path, database_url)
    with n.engine.begin() as conn:
        conn.execute(insert(peers).values(
            name=name, url=f"http://{host}/taxii2/", api_root=f"http://{host}/api/",
            collection_id="c", token=None, public_key=KEY.kid, agency=agency,
            push_collection=None, created_at=NOW))
    return n


@pytest.fixture
def node(tmp_path: Path, db_url: str) -> Iterator[Node]:
    n = node_with_peer(tmp_path, db_url)
    yield n
    n.engine.dispose()


def run(node: Node, fake: FakePeer, *, at: Any = None, **settings: Any) -> Any:
    client = TaxiiClient(None, transport=httpx.MockTransport(fake.handle),
                         limits=ClientLimits(retries=0))
    with node.engine.connect() as conn:
        peer = get_peers(conn, "fx")[0]
    s = node.settings.model_copy(update=settings)
    result = sync_peer(node.engine, s, peer, client=client, clock=at or (lambda: NOW))
    client.close()
    assert result.error is None, result.error
    return result


def phones_of(node: Node, n: int) -> set[str]:
    with node.engine.connect() as conn:
        return set(conn.execute(
            select(observables.c.ref).join(
                report_observables, report_observables.c.observable_id == observables.c.id)
            .join(reports, reports.c.id == report_observables.c.report_id)
            .where(reports.c.stix_id == f"report--{uuid.UUID(int=n, version=4)}")).scalars())


def marking_of(node: Node, n: int) -> tuple[str, str | None] | None:
    with node.engine.connect() as conn:
        row = conn.execute(select(reports.c.tlp, reports.c.sharing_group).where(
            reports.c.stix_id == f"report--{uuid.UUID(int=n, version=4)}")).first()
    return (row.tlp, row.sharing_group) if row else None


def held_count(node: Node) -> int:
    with node.engine.connect() as conn:
        return len(conn.execute(select(held_objects.c.object_id)).all())


def test_report_and_observables_on_different_pages(node: Node) -> None:
    amber = Marking(TLP.AMBER, group="mekong")
    one = stix_of(1, ["+60123000001", "+60123000002"], amber)
    two = stix_of(2, ["+60123000003"], Marking(TLP.GREEN))
    sco_a, sco_b = one["x-bersama-phone-number"].values()
    fake = FakePeer([
        # report 1 with one of its two phones; its group marking definition comes later
        [*one["identity"].values(), *one["report"].values(), sco_a],
        # report 2's phone before report 2 itself
        [sco_b, *two["x-bersama-phone-number"].values()],
        [*one["marking-definition"].values(), *two["report"].values()],
    ])
    run(node, fake)
    assert phones_of(node, 1) == {"phone:+60123000001", "phone:+60123000002"}
    assert marking_of(node, 1) == ("amber", "mekong")  # never weakened to plain AMBER
    assert phones_of(node, 2) == {"phone:+60123000003"}
    assert held_count(node) == 0


def test_shared_observable_sent_once_is_resolved_from_earlier_receipt(node: Node) -> None:
    one = stix_of(1, ["+60123000001"], Marking(TLP.GREEN))
    two = stix_of(2, ["+60123000001"], Marking(TLP.GREEN))  # same phone, same SCO id
    run(node, FakePeer([[*one["report"].values(), *one["x-bersama-phone-number"].values()]]))
    run(node, FakePeer([[*two["report"].values()]]))  # the server sends the SCO only once
    assert phones_of(node, 2) == {"phone:+60123000001"}
    assert held_count(node) == 0


def test_incomplete_report_is_held_then_released_after_the_bound(node: Node) -> None:
    three = stix_of(3, ["+60123000009", "+60123000010"], Marking(TLP.GREEN))
    sco = next(iter(three["x-bersama-phone-number"].values()))
    fake = FakePeer([[*three["report"].values(), sco]])  # the other phone never comes
    run(node, fake)
    assert marking_of(node, 3) is None  # held, not ingested half
    assert held_count(node) == 2
    later = NOW + timedelta(seconds=node.settings.peer_hold_seconds + 1)
    run(node, fake, at=lambda: later)  # the next (empty) sync releases it
    assert phones_of(node, 3) == {"phone:" + sco["number"]}
    assert held_count(node) == 0


def test_size_bound_and_missing_marking_definition_refused(node: Node) -> None:
    four = stix_of(4, ["+60123000011"], Marking(TLP.AMBER, group="mekong"))
    five = stix_of(5, ["+60123000012", "+60123000013"], Marking(TLP.GREEN))
    sco5 = next(iter(five["x-bersama-phone-number"].values()))
    # report 4's group marking definition never arrives: refused after the bound
    fake = FakePeer([[*four["report"].values(), *four["x-bersama-phone-number"].values()]])
    run(node, fake)
    later = NOW + timedelta(seconds=node.settings.peer_hold_seconds + 1)
    run(node, fake, at=lambda: later)
    assert marking_of(node, 4) is None
    with node.engine.connect() as conn:
        fails = dict(conn.execute(select(sync_failures.c.kind, sync_failures.c.count)).all())
    assert fails["marking"] == 1
    # with no room to hold, report 5 is ingested at once with what it has
    run(node, FakePeer([[*five["report"].values(), sco5]]), peer_hold_max_objects=0)
    assert phones_of(node, 5) == {"phone:" + sco5["number"]}


def kept(node: Node) -> set[str]:
    with node.engine.connect() as conn:
        return set(conn.execute(select(kept_objects.c.object_id)).scalars())


def refuse_for_its_marking(node: Node) -> tuple[str, datetime]:
    """Report 4 naming +60123000011 arrives without its group marking definition, which
    never comes: refused when its hold expires, its SCO kept.  The SCO's id, and when."""
    four = stix_of(4, ["+60123000011"], Marking(TLP.AMBER, group="mekong"))
    fake = FakePeer([[*four["report"].values(), *four["x-bersama-phone-number"].values()]])
    run(node, fake)
    later = NOW + timedelta(seconds=node.settings.peer_hold_seconds + 1)
    run(node, fake, at=lambda: later)
    assert marking_of(node, 4) is None  # refused: its group marking definition never came
    return next(iter(four["x-bersama-phone-number"])), later


def test_observables_of_a_report_refused_for_its_marking_still_resolve(node: Node) -> None:
    """A server that sends each SCO once sent this one with a report refused here for
    its marking: a later report naming it is complete, not held for it."""
    six = stix_of(6, ["+60123000011"], Marking(TLP.GREEN))  # the same SCO id
    _, later = refuse_for_its_marking(node)
    with node.engine.connect() as conn:
        fails = dict(conn.execute(select(sync_failures.c.kind, sync_failures.c.count)).all())
    assert "orphan" not in fails  # its observable was named, by the refused report
    run(node, FakePeer([[*six["report"].values()]]), at=lambda: later)
    assert phones_of(node, 6) == {"phone:+60123000011"}
    assert held_count(node) == 0


def test_a_kept_observable_is_forgotten_once_a_stored_report_holds_it(node: Node) -> None:
    """Once a later report of the peer is stored with the kept SCO, the SCO is in
    stix_objects (step 1 reads it there first): the kept copy goes, and the next report
    naming it still resolves it."""
    sco, later = refuse_for_its_marking(node)
    assert kept(node) == {sco}
    six = stix_of(6, ["+60123000011"], Marking(TLP.GREEN))
    run(node, FakePeer([[*six["report"].values()]]), at=lambda: later)
    assert phones_of(node, 6) == {"phone:+60123000011"}
    assert kept(node) == set()
    seven = stix_of(7, ["+60123000011"], Marking(TLP.GREEN))
    run(node, FakePeer([[*seven["report"].values()]]), at=lambda: later)
    assert phones_of(node, 7) == {"phone:+60123000011"}
    assert held_count(node) == 0


def test_a_kept_observable_no_report_named_is_forgotten_after_the_retention(node: Node) -> None:
    sco, later = refuse_for_its_marking(node)
    retention = timedelta(days=node.settings.peer_kept_days)
    # every sync runs the assembler, also when the peer has nothing new
    run(node, FakePeer([[]]), at=lambda: later + retention)
    assert kept(node) == {sco}  # not before the retention is over
    after = later + retention + timedelta(seconds=1)
    run(node, FakePeer([[]]), at=lambda: after)
    assert kept(node) == set()
    # then a report naming it waits for it, as for any object never received
    six = stix_of(6, ["+60123000011"], Marking(TLP.GREEN))
    run(node, FakePeer([[*six["report"].values()]]), at=lambda: after)
    assert marking_of(node, 6) is None
    assert held_count(node) == 1


def test_what_a_report_misses_is_fetched_by_id_within_the_bound(node: Node) -> None:
    """Report 8 names three phones its peer never sends on a page: at most
    `peer_fetch_max_objects` of them per page are asked for by id, once; what the peer
    does not give (404) is waited for as before."""
    eight = stix_of(8, ["+60123000021", "+60123000022", "+60123000023"], Marking(TLP.GREEN))
    scos = sorted(eight["x-bersama-phone-number"])
    given = eight["x-bersama-phone-number"][scos[0]]
    fake = FakePeer([[*eight["report"].values()]], by_id={scos[0]: given})
    got = run(node, fake, peer_fetch_max_objects=2)
    assert fake.asked == scos[:2]  # the bound: two of three; the second is a 404
    assert got.fetched == 1
    assert marking_of(node, 8) is None  # two phones still missing: held
    # asked once, not on every sync
    run(node, fake, at=lambda: NOW + timedelta(seconds=1), peer_fetch_max_objects=2)
    assert fake.asked == scos[:2]
    later = NOW + timedelta(seconds=node.settings.peer_hold_seconds + 1)
    run(node, fake, at=lambda: later)
    assert phones_of(node, 8) == {"phone:" + given["number"]}
    assert held_count(node) == 0


def test_no_fetch_by_id_when_the_bound_is_zero(node: Node) -> None:
    nine = stix_of(9, ["+60123000031"], Marking(TLP.GREEN))
    fake = FakePeer([[*nine["report"].values()]], by_id=nine["x-bersama-phone-number"])
    assert run(node, fake, peer_fetch_max_objects=0).fetched == 0
    assert fake.asked == []
    assert held_count(node) == 1


def test_a_peer_failing_during_the_fetch_fails_the_sync_after_what_it_gave(
        node: Node) -> None:
    ten = stix_of(10, ["+60123000041", "+60123000042"], Marking(TLP.GREEN))
    scos = sorted(ten["x-bersama-phone-number"])
    fake = FakePeer([[*ten["report"].values()]],
                    by_id={scos[0]: ten["x-bersama-phone-number"][scos[0]], scos[1]: {}})
    client = TaxiiClient(None, transport=httpx.MockTransport(fake.handle),
                         limits=ClientLimits(retries=0))
    with node.engine.connect() as conn:
        peer = get_peers(conn, "fx")[0]
    got = sync_peer(node.engine, node.settings, peer, client=client, clock=lambda: NOW)
    client.close()
    assert "503" in str(got.error)
    assert got.fetched == 1
    with node.engine.connect() as conn:
        held = set(conn.execute(select(held_objects.c.object_id)).scalars())
        fails = dict(conn.execute(select(sync_failures.c.kind, sync_failures.c.count)).all())
    assert held == {f"report--{uuid.UUID(int=10, version=4)}", scos[0]}  # still waiting
    assert fails == {"peer": 1}
