"""Pull sync between two in-process nodes: markings, updates, withdrawals, signatures."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import orjson
import pytest
from sqlalchemy import func, select
from tests.integration.test_taxii_server import NOW, ROOT, Node, draft, rid

from bersama.errors import PeerError
from bersama.federation.client import TaxiiClient
from bersama.federation.protocol import TAXII_21
from bersama.federation.signing import NodeKey, load_or_create_node_key
from bersama.federation.sync import add_peer, describe_peers, get_peers, sync_peer
from bersama.ingest import pipeline
from bersama.ingest.model import ReportDraft
from bersama.markings import TLP, Marking
from bersama.observables import phone
from bersama.store.tables.core import observables, report_observables, reports, stix_objects
from bersama.store.tables.federation import (
    held_objects,
    kept_objects,
    peers,
    received_objects,
    sync_failures,
)
from bersama.store.values import utcnow


@pytest.fixture
def pair(tmp_path: Path, db_url: str, db_urls: Callable[[], str]) -> Iterator[tuple[Node, Node]]:
    a, b = Node(tmp_path / "a", db_url), Node(tmp_path / "b", db_urls())
    yield a, b
    a.engine.dispose()
    b.engine.dispose()


GET_AN_OBJECT = re.compile(r"/collections/[^/]+/objects/([^/]+)/\Z")
ById = Callable[[str, httpx.Response], httpx.Response]
"""What the peer answers to Get An Object of an id, given what its server answered."""


def client_to(node: Node, token: str, *, tamper: bool = False, limit: int = 1000,
              by_id: ById | None = None) -> TaxiiClient:
    inner = node.client._transport  # the ASGI app behind the TestClient

    class Tamper(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            resp = inner.handle_request(request)
            asked = GET_AN_OBJECT.search(request.url.path)
            resp.read()
            if by_id is not None and asked:
                return by_id(asked.group(1), resp)
            if not tamper:
                return resp
            body = orjson.loads(resp.content)
            for obj in body.get("objects", []):
                if obj.get("type") == "report":
                    obj["name"] = "tampered"
            return httpx.Response(resp.status_code, headers=resp.headers,
                                  content=orjson.dumps(body))

    from bersama.federation.client import ClientLimits

    return TaxiiClient(token, transport=Tamper() if tamper or by_id else inner,
                       limits=ClientLimits(page_limit=limit, retries=0))


def register(b: Node, a: Node, *, key: str | None = None, name: str = "my",
             tamper: bool = False, limit: int = 1000, by_id: ById | None = None,
             ) -> TaxiiClient:
    """On node b, add node a (agency MY-PDRM there) as a peer, pulling with TH's token."""
    client = client_to(a, a.th, tamper=tamper, limit=limit, by_id=by_id)
    real = load_or_create_node_key(a.settings.data_dir).kid
    with b.engine.begin() as conn:
        add_peer(conn, name=name, url="http://testserver/taxii2/", collection="shared",
                 token=a.th, key=key or real, agency="MY-PDRM", push_collection=None,
                 client=client, now=NOW)
    return client


def sync(b: Node, client: TaxiiClient, name: str = "my"):  # type: ignore[no-untyped-def]
    with b.engine.connect() as conn:
        peer = get_peers(conn, name)[0]
    return sync_peer(b.engine, b.settings, peer, client=client)


def held(node: Node) -> dict[str, bool]:
    with node.engine.connect() as conn:
        return {r.stix_id: r.revoked for r in conn.execute(
            select(reports.c.stix_id, reports.c.revoked).where(reports.c.origin_peer == "my"))}


def test_pull_markings_updates_withdrawals(pair: tuple[Node, Node]) -> None:
    a, b = pair
    a.ingest([draft(1, Marking(TLP.GREEN)), draft(2, Marking(TLP.AMBER, group="mekong")),
              draft(3, Marking(TLP.AMBER_STRICT, recipient_agencies=frozenset({"TH-AOC"}))),
              draft(4, Marking(TLP.RED, recipient_users=frozenset({"ana@pdrm.my"}))),
              draft(5, Marking(TLP.AMBER_STRICT))])
    client = register(b, a)
    first = sync(b, client)
    assert first.error is None
    assert first.refused_signature == 0
    assert held(b) == {rid(1): False, rid(2): False, rid(3): False}
    # idempotent: the same objects again change nothing
    again = sync(b, client)
    assert again.accepted == again.updated == 0
    # a newer version replaces the older one; a revoked one withdraws the report
    a.ingest([draft(1, Marking(TLP.GREEN), modified=NOW + timedelta(days=1), title="v2")])
    a.ingest([draft(2, Marking(TLP.AMBER, group="mekong"), modified=NOW + timedelta(days=1),
                    revoked=True)])
    third = sync(b, client)
    assert (third.updated, third.withdrawn) == (1, 1)
    assert held(b) == {rid(1): False, rid(2): True, rid(3): False}
    with b.engine.connect() as conn:
        title = conn.execute(select(reports.c.title).where(reports.c.stix_id == rid(1))).scalar()
        statuses = set(conn.execute(select(received_objects.c.signature_status)).scalars())
    assert title == "v2"
    assert statuses == {"valid"}
    listed = describe_peers(b.engine.connect())
    assert listed[0]["objects_received"] > 0
    assert "token" not in listed[0]


def naming(n: int, phones: list[str], marking: Marking) -> ReportDraft:
    return ReportDraft(source_id=rid(n), modified=NOW, title=f"r{n}", marking=marking,
                       observables=tuple(phone(p) for p in phones))


def phones_of(node: Node, n: int) -> set[str]:
    with node.engine.connect() as conn:
        return set(conn.execute(
            select(observables.c.ref)
            .join(report_observables, report_observables.c.observable_id == observables.c.id)
            .join(reports, reports.c.id == report_observables.c.report_id)
            .where(reports.c.stix_id == rid(n), reports.c.origin_peer == "my")).scalars())


def refuse_first_report(a: Node, b: Node, marking: Marking, *, by_id: ById | None = None,
                        ) -> TaxiiClient:
    """Node a publishes report 1 naming +60123000001 under `marking`; b already holds a
    report of that id as JP-NPA's, so its pipeline refuses a's; the first sync."""
    b.ingest([draft(1, Marking(TLP.GREEN))], agency="JP-NPA")
    a.ingest([naming(1, ["+60123000001"], marking)])
    client = register(b, a, by_id=by_id)
    first = sync(b, client)
    assert (first.error, first.accepted, first.rejected) == (None, 0, 1)
    return client


@pytest.mark.parametrize(("marking", "phones"), [
    (Marking(TLP.GREEN), ["+60123000001", "+60123000002"]),  # the SCO: sent with report 1
    (Marking(TLP.AMBER, group="mekong"), ["+60123000002"]),  # the group's marking definition
], ids=["sco", "marking-definition"])
def test_a_later_report_resolves_what_a_refused_report_carried(
        pair: tuple[Node, Node], marking: Marking, phones: list[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """a's server sends an SCO and a marking definition once, with the first report
    that names it; b refused that report, and must not hold the next one for them."""
    # the refusal is found among the batch's stored rejections, not only in its answer
    monkeypatch.setattr(pipeline, "MAX_REJECTIONS_KEPT", 0)
    a, b = pair
    client = refuse_first_report(a, b, marking)
    a.ingest([naming(2, phones, marking)])
    second = sync(b, client)
    assert (second.error, second.accepted) == (None, 1)
    assert phones_of(b, 2) == {f"phone:{p}" for p in phones}
    with b.engine.connect() as conn:
        tlp, group = conn.execute(select(reports.c.tlp, reports.c.sharing_group).where(
            reports.c.stix_id == rid(2))).one()
        assert conn.execute(select(func.count()).select_from(held_objects)).scalar() == 0
    assert (tlp, group) == (marking.tlp.value, marking.group)


def test_what_a_refused_report_carried_is_readable_by_nobody(pair: tuple[Node, Node]) -> None:
    a, b = pair
    refuse_first_report(a, b, Marking(TLP.GREEN))
    with b.engine.connect() as conn:
        assert conn.execute(select(observables.c.id).where(
            observables.c.ref == "phone:+60123000001")).first() is None
    for token in (b.analyst, b.th, b.jp):
        got = b.get(ROOT + "collections/shared/objects/", token)
        assert got.status_code == 200, got.text
        sent = {o.get("number") for o in got.json().get("objects", [])}
        assert "+60123000001" not in sent
    checked = b.client.get("/api/v1/check", params={"value": "+60123000001"},
                           headers={"Authorization": f"Bearer {b.analyst}"})
    assert checked.status_code == 200, checked.text
    assert (checked.json()["reports"], checked.json()["first_seen"]) == (0, None)


def kept_types(node: Node) -> set[str]:
    with node.engine.connect() as conn:
        return {o.split("--")[0] for o in conn.execute(
            select(kept_objects.c.object_id)).scalars()}


def test_what_a_refused_report_carried_is_forgotten_once_a_later_report_holds_it(
        pair: tuple[Node, Node]) -> None:
    """b kept report 1's SCO and its group's marking definition; report 2 names both and
    is stored with them, so b reads them from its stored objects from then on."""
    a, b = pair
    amber = Marking(TLP.AMBER, group="mekong")
    client = refuse_first_report(a, b, amber)
    assert kept_types(b) == {"x-bersama-phone-number", "marking-definition"}
    a.ingest([naming(2, ["+60123000001"], amber)])
    assert sync(b, client).accepted == 1
    assert kept_types(b) == set()
    a.ingest([naming(3, ["+60123000001"], amber)])
    assert sync(b, client).accepted == 1
    assert phones_of(b, 3) == {"phone:+60123000001"}
    with b.engine.connect() as conn:
        assert conn.execute(select(reports.c.sharing_group).where(
            reports.c.stix_id == rid(3))).scalar() == "mekong"


def test_a_kept_group_marking_definition_outlives_the_retention(
        pair: tuple[Node, Node]) -> None:
    """The kept SCO ages out; the group's marking definition does not, or every later
    report of the group would be refused for want of it."""
    a, b = pair
    amber = Marking(TLP.AMBER, group="mekong")
    client = refuse_first_report(a, b, amber)
    a.ingest([naming(2, ["+60123000002"], amber)])
    after = utcnow() + timedelta(days=b.settings.peer_kept_days, seconds=1)
    with b.engine.connect() as conn:
        peer = get_peers(conn, "my")[0]
    got = sync_peer(b.engine, b.settings, peer, client=client, clock=lambda: after)
    assert (got.error, got.accepted) == (None, 1)
    assert phones_of(b, 2) == {"phone:+60123000002"}
    with b.engine.connect() as conn:
        assert conn.execute(select(reports.c.sharing_group).where(
            reports.c.stix_id == rid(2))).scalar() == "mekong"
    assert kept_types(b) == set()  # the SCO aged out, the definition is stored now


def sync_at(b: Node, client: TaxiiClient, at: datetime):  # type: ignore[no-untyped-def]
    with b.engine.connect() as conn:
        peer = get_peers(conn, "my")[0]
    return sync_peer(b.engine, b.settings, peer, client=client, clock=lambda: at)


def name_a_forgotten_observable(a: Node, b: Node, by_id: ById) -> tuple[TaxiiClient, datetime]:
    """b refused a's report 1 and kept its SCO, which ages out (a sync past the
    retention); a then publishes report 2 naming it, and a's server, which sent the SCO
    once, with report 1, sends report 2 without it.  The client, and a time past the
    retention."""
    client = refuse_first_report(a, b, Marking(TLP.GREEN), by_id=by_id)
    after = utcnow() + timedelta(days=b.settings.peer_kept_days, seconds=1)
    assert sync_at(b, client, after).error is None  # nothing new, and the SCO ages out
    assert kept_types(b) == set()
    a.ingest([naming(2, ["+60123000001"], Marking(TLP.GREEN))])
    return client, after


def sco_id(node: Node, value: str) -> str:
    with node.engine.connect() as conn:
        ids = set(conn.execute(select(stix_objects.c.object_id).where(
            stix_objects.c.type == "x-bersama-phone-number",
            stix_objects.c.body.contains(value))).scalars())
    assert len(ids) == 1, ids
    return ids.pop()


def held_ids(node: Node) -> set[str]:
    with node.engine.connect() as conn:
        return set(conn.execute(select(held_objects.c.object_id)).scalars())


def test_an_observable_the_receiver_no_longer_has_is_fetched_from_the_peer(
        pair: tuple[Node, Node]) -> None:
    """Before, report 2 waited for an SCO its peer would never send again, and was
    stored without it an hour later: the phone number was lost.  Now b asks a for it
    (TAXII Get An Object), verifies it like any object of a page, and stores report 2
    with it."""
    a, b = pair
    asked: list[str] = []

    def record(object_id: str, resp: httpx.Response) -> httpx.Response:
        asked.append(object_id)
        return resp

    client, after = name_a_forgotten_observable(a, b, record)
    got = sync_at(b, client, after)
    assert (got.error, got.accepted, got.fetched, got.refused_signature) == (None, 1, 1, 0)
    assert phones_of(b, 2) == {"phone:+60123000001"}
    assert held_ids(b) == set()
    assert asked == [sco_id(a, "+60123000001")]  # exactly what report 2 missed


def test_an_object_the_peer_does_not_give_leaves_the_report_held(
        pair: tuple[Node, Node]) -> None:
    """A 404 (the peer no longer has it, or may not share it with b): report 2 is held
    as before, not asked for again on every sync, and released without it after the
    hold time."""
    a, b = pair
    asked: list[str] = []

    def gone(object_id: str, resp: httpx.Response) -> httpx.Response:
        asked.append(object_id)
        return httpx.Response(404, headers={"Content-Type": TAXII_21}, content=orjson.dumps(
            {"title": "Object not found", "http_status": "404"}))

    client, after = name_a_forgotten_observable(a, b, gone)
    got = sync_at(b, client, after)
    assert (got.error, got.accepted, got.fetched) == (None, 0, 0)
    assert rid(2) in held_ids(b)
    assert len(asked) == 1
    # a later sync does not ask again
    assert sync_at(b, client, after + timedelta(seconds=1)).error is None
    assert len(asked) == 1
    released = after + timedelta(seconds=b.settings.peer_hold_seconds + 1)
    assert sync_at(b, client, released).accepted == 1
    assert phones_of(b, 2) == set()
    assert held_ids(b) == set()


def test_a_fetched_object_that_fails_verification_is_refused_and_counted(
        pair: tuple[Node, Node]) -> None:
    a, b = pair

    def tampered(object_id: str, resp: httpx.Response) -> httpx.Response:
        body = orjson.loads(resp.content)
        for obj in body.get("objects", []):
            obj["number"] = "+60199999999"
        return httpx.Response(resp.status_code, headers=resp.headers,
                              content=orjson.dumps(body))

    client, after = name_a_forgotten_observable(a, b, tampered)
    got = sync_at(b, client, after)
    assert (got.error, got.accepted, got.fetched, got.refused_signature) == (None, 0, 1, 1)
    assert rid(2) in held_ids(b)  # still waiting: nothing unverified was used
    with b.engine.connect() as conn:
        assert conn.execute(select(observables.c.id).where(
            observables.c.ref == "phone:+60199999999")).first() is None
        detail = conn.execute(select(sync_failures.c.last_detail).where(
            sync_failures.c.kind == "signature")).scalar()
    assert describe_peers(b.engine.connect())[0]["failures"]["signature"] == 1
    assert str(detail).startswith(sco_id(a, "+60123000001"))


def test_small_pages_lose_nothing(pair: tuple[Node, Node]) -> None:
    a, b = pair
    a.ingest([draft(i, Marking(TLP.GREEN)) for i in range(1, 40)])
    result = sync(b, register(b, a, limit=7))
    assert result.pages >= 6
    assert set(held(b)) == {rid(i) for i in range(1, 40)}


def test_wrong_key_refused_and_counted(pair: tuple[Node, Node]) -> None:
    a, b = pair
    a.ingest([draft(1, Marking(TLP.GREEN))])
    with pytest.raises(PeerError, match="publishes key"):
        register(b, a, key=NodeKey.generate().kid)
    # the same with a peer that does not publish its key: refused at sync time
    client = register(b, a)
    with b.engine.begin() as conn:
        conn.execute(peers.update().values(public_key=NodeKey.generate().kid))
    result = sync(b, client)
    assert result.refused_signature > 0
    assert result.accepted == 0
    assert held(b) == {}
    with b.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(received_objects).where(
            received_objects.c.signature_status == "invalid")).scalar()
    assert describe_peers(b.engine.connect())[0]["failures"]["signature"] > 0


def test_tampered_objects_never_ingested(pair: tuple[Node, Node]) -> None:
    a, b = pair
    a.ingest([draft(1, Marking(TLP.GREEN))])
    result = sync(b, register(b, a, tamper=True))
    assert result.refused_signature == 1
    assert held(b) == {}


def test_sync_loop_runs_and_stops(pair: tuple[Node, Node]) -> None:
    from bersama.federation.sync import SyncLoop

    a, b = pair
    a.ingest([draft(1, Marking(TLP.GREEN))])
    client = register(b, a)
    settings = b.settings.model_copy(update={"sync_interval_seconds": 0.05})
    loop = SyncLoop(settings, b.engine, factory=lambda token: client).start()
    deadline = time.monotonic() + 30
    while not held(b) and time.monotonic() < deadline:
        time.sleep(0.05)
    loop.stop()
    assert rid(1) in held(b)


def test_node_key_command_prints_the_published_key(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from bersama.cli import context
    from bersama.cli.main import app

    monkeypatch.setenv("BERSAMA_DATA_DIR", str(tmp_path))
    context.settings.cache_clear()
    try:
        out = CliRunner().invoke(app, ["node", "key"])
    finally:
        context.settings.cache_clear()
    assert out.exit_code == 0, out.output
    assert out.output.strip() == load_or_create_node_key(tmp_path).kid
