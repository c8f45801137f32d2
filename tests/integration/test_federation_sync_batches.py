"""Several pages per transaction: batching in the prefetcher, cursor and atomicity kept."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from tests.integration.test_federation_assemble import KEY, FakePeer, node_with_peer, stix_of
from tests.integration.test_taxii_server import NOW, Node

from bersama.federation.client import ClientLimits, TaxiiClient
from bersama.federation.signing import parse_public_key
from bersama.federation.sync import get_peers, prefetch, sync_peer
from bersama.markings import TLP, Marking
from bersama.store.tables.core import ingest_batches, reports
from bersama.store.tables.federation import peer_cursors, received_objects
from bersama.store.values import aware

PAGES = 5


@pytest.fixture
def node(tmp_path: Path, db_url: str) -> Iterator[Node]:
    n = node_with_peer(tmp_path, db_url)
    yield n
    n.engine.dispose()


def pages(n: int = PAGES) -> list[list[dict[str, Any]]]:
    """One complete GREEN report (report + its phone) per page."""
    out = []
    for i in range(n):
        objs = stix_of(100 + i, [f"+6012300{i:04d}"], Marking(TLP.GREEN))
        out.append([*objs["report"].values(), *objs["x-bersama-phone-number"].values()])
    return out


def client_for(handler: Any) -> TaxiiClient:
    return TaxiiClient(None, transport=httpx.MockTransport(handler),
                       limits=ClientLimits(retries=0))


def test_ready_pages_are_handed_over_together_within_the_bound(node: Node) -> None:
    with node.engine.connect() as conn:
        peer = get_peers(conn, "fx")[0]
    client = client_for(FakePeer(pages()).handle)
    sizes = []
    for batch in prefetch(client, peer, parse_public_key(KEY.kid), None, batch_objects=4):
        sizes.append(len(batch.pages))
        assert len(batch.objects) <= 4
        assert len(batch.checked.accepted) == len(batch.objects)  # verified, every one
        time.sleep(0.5)  # a slow ingest: the worker fetches and verifies the rest meanwhile
    client.close()
    assert sum(sizes) == PAGES
    assert max(sizes) == 2  # two pages of 2 objects fit the bound of 4, three do not
    client = client_for(FakePeer(pages()).handle)
    got = []
    for batch in prefetch(client, peer, parse_public_key(KEY.kid), None):
        got.append(len(batch.pages))
        time.sleep(0.5)
    client.close()
    assert sum(got) == PAGES
    assert len(got) <= 2  # the first page alone, then everything that was ready


def test_batches_commit_with_their_cursor_and_an_error_keeps_what_was_committed(
    node: Node,
) -> None:
    fake = FakePeer(pages())

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("next") == "3":
            return httpx.Response(500, text="boom")  # the 4th page never comes
        return fake.handle(request)

    with node.engine.connect() as conn:
        peer = get_peers(conn, "fx")[0]
    client = client_for(handler)
    result = sync_peer(node.engine, node.settings, peer, client=client, clock=lambda: NOW)
    client.close()
    assert result.error is not None
    assert "HTTP 500" in result.error
    assert (result.pages, result.received, result.accepted) == (3, 6, 3)
    with node.engine.connect() as conn:
        cursor = conn.execute(select(peer_cursors.c.added_after).where(
            peer_cursors.c.peer == "fx", peer_cursors.c.collection_id == "c")).scalar()
        n_reports = conn.execute(select(func.count()).select_from(reports)).scalar()
        n_prov = conn.execute(select(func.count()).select_from(received_objects)).scalar()
        n_batches = conn.execute(select(func.count()).select_from(ingest_batches)).scalar()
    # the third page (stamp NOW + 2 s, more=true) is the last one committed
    assert aware(cursor) == NOW + timedelta(seconds=2) - timedelta(microseconds=1)
    assert (n_reports, n_prov) == (3, 6)
    assert 1 <= n_batches <= 3
    # the next sync resumes after the committed pages, and nothing is duplicated
    client = client_for(FakePeer(pages()).handle)
    again = sync_peer(node.engine, node.settings, peer, client=client, clock=lambda: NOW)
    client.close()
    assert again.error is None
    with node.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(reports)).scalar() == PAGES


def test_a_batch_that_fails_to_ingest_moves_no_cursor(node: Node,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from bersama.errors import InvalidInput
    from bersama.federation import receive

    def broken(*args: Any, **kwargs: Any) -> Any:  # after provenance, inside the transaction
        raise InvalidInput("pipeline says no", field="objects")

    monkeypatch.setattr(receive, "ingest_objects", broken)
    with node.engine.connect() as conn:
        peer = get_peers(conn, "fx")[0]
    client = client_for(FakePeer(pages()).handle)
    result = sync_peer(node.engine, node.settings, peer, client=client, clock=lambda: NOW)
    client.close()
    assert result.error is not None
    assert result.pages == 0
    with node.engine.connect() as conn:
        assert conn.execute(select(peer_cursors.c.added_after).where(
            peer_cursors.c.peer == "fx")).scalar() is None
        assert conn.execute(select(func.count()).select_from(received_objects)).scalar() == 0


def test_helper_process_gives_the_same_verdicts_as_the_thread(node: Node) -> None:
    from bersama.federation.protocol import signature_key
    from bersama.federation.signing import NodeKey
    from bersama.federation.verifier import Verifier

    objs = [o for page in pages(3) for o in page]
    sigs = {signature_key(o["id"], o.get("modified") or o.get("created") or ""): KEY.sign(o)
            for o in objs}
    tampered = {**objs[0], "name": "tampered"}
    unsigned = {**objs[1], "modified": "2026-03-02T00:00:00.000Z"}
    wrong = {**objs[2], "id": objs[2]["id"][:-1] + "f"}
    sigs[f"{wrong['id']}@{wrong.get('modified') or wrong.get('created') or ''}"] = (
        NodeKey.generate().sign(wrong))
    page = [tampered, unsigned, wrong, *objs[3:]]
    pinned = parse_public_key(KEY.kid)
    here = Verifier(pinned).submit(page, sigs).result()  # under the threshold: in-thread
    helper = Verifier(pinned, min_objects=1)
    try:
        verdicts = helper.submit(page, sigs)
        assert helper._helper is not None  # a helper process did it
        there = verdicts.result()
    finally:
        helper.close()
    assert [o["id"] for o in there.accepted] == [o["id"] for o in here.accepted]
    assert [(o["id"], s) for o, s in there.rejected] == [(o["id"], s) for o, s in here.rejected]
    assert [s for _, s in there.rejected] == ["invalid", "unsigned", "invalid"]
    assert len(there.accepted) == len(objs) - 3
    with node.engine.connect() as conn:  # and a whole walk through the helper
        peer = get_peers(conn, "fx")[0]
    client = client_for(FakePeer(pages()).handle)
    walk = Verifier(pinned, min_objects=1)
    try:
        got = list(prefetch(client, peer, pinned, None, verifier=walk))
    finally:
        walk.close()
        client.close()
    assert sum(len(b.checked.accepted) for b in got) == 2 * PAGES


def test_a_dead_helper_falls_back_to_verifying_in_thread() -> None:
    from bersama.federation.protocol import signature_key
    from bersama.federation.verifier import Verifier

    objs = [o for page in pages(2) for o in page]
    sigs = {signature_key(o["id"], o.get("modified") or o.get("created") or ""): KEY.sign(o)
            for o in objs}
    v = Verifier(parse_public_key(KEY.kid), min_objects=1)
    try:
        assert len(v.submit(objs, sigs).result().accepted) == len(objs)
        assert v._helper is not None
        v._helper.proc.kill()
        v._helper.proc.wait()
        for _ in range(3):  # whether the death is seen before or after the submit
            got = v.submit(objs, sigs).result()
            assert len(got.accepted) == len(objs)
            assert got.rejected == []
    finally:
        v.close()
