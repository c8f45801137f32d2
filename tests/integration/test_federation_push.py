"""Push against a scripted peer: status polling, the push cursor, a misbehaving peer.

The real two- and three-node push (sovereignty, signatures, idempotence) is
tests/integration/test_federation_nodes.py::test_push_sends_only_what_markings_allow_signed_and_idempotent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import insert, select
from tests.integration.test_taxii_server import NOW, Node, draft

from bersama.federation.client import ClientLimits, TaxiiClient
from bersama.federation.protocol import SIGNATURES, TAXII_21
from bersama.federation.push import PushResult, push_key, push_peer
from bersama.federation.signing import NodeKey, load_or_create_node_key, parse_public_key, verify
from bersama.markings import TLP, Marking
from bersama.store.tables.federation import peer_cursors, peers, sync_failures

OTHER = NodeKey.generate()


@pytest.fixture
def node(tmp_path: Path, db_url: str) -> Iterator[Node]:
    n = Node(tmp_path, db_url)
    with n.engine.begin() as conn:
        conn.execute(insert(peers).values(
            name="th", url="http://th/taxii2/", api_root="http://th/api/", collection_id="c",
            token="t", public_key=OTHER.kid, agency="TH-AOC", push_collection="w",
            created_at=NOW))
    n.ingest([draft(1, Marking(TLP.GREEN)), draft(2, Marking(TLP.RED))])
    yield n
    n.engine.dispose()


def push(node: Node, handler: Callable[[httpx.Request], httpx.Response]) -> PushResult:
    client = TaxiiClient("t", transport=httpx.MockTransport(handler),
                         limits=ClientLimits(retries=0))
    try:
        return push_peer(node.engine, node.settings, name="th", agency="TH-AOC",
                         api_root="http://th/api/", collection="w", client=client,
                         key=load_or_create_node_key(node.settings.data_dir),
                         clock=lambda: NOW, sleep=lambda s: None)
    finally:
        client.close()


def status(state: str, n: int = 0) -> httpx.Response:
    body: dict[str, Any] = {"id": "s1", "status": state, "total_count": n,
                            "success_count": n if state == "complete" else 0,
                            "failure_count": 0, "pending_count": 0 if state == "complete" else n}
    return httpx.Response(202 if state == "pending" else 200, json=body,
                          headers={"Content-Type": TAXII_21})


def cursor(node: Node) -> Any:
    with node.engine.connect() as conn:
        return conn.execute(select(peer_cursors).where(
            peer_cursors.c.collection_id == push_key("w"))).first()


def test_pending_status_is_polled_until_complete_then_cursor_moves(node: Node) -> None:
    seen: list[str] = []
    posted: list[dict[str, Any]] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(f"{req.method} {req.url.path}")
        if req.method == "POST":
            posted.append(orjson.loads(req.content))
            return status("pending", 2)
        return status("complete", 2) if len(seen) >= 3 else status("pending", 2)
    result = push(node, handler)
    assert result.error is None
    assert seen == ["POST /api/collections/w/objects/", "GET /api/status/s1/",
                    "GET /api/status/s1/"]
    sent = posted[0]["objects"]
    assert {o["type"] for o in sent} >= {"report"}
    assert all(o.get("name") != "r2" for o in sent)  # RED never leaves the node
    key = parse_public_key(load_or_create_node_key(node.settings.data_dir).kid)
    sigs = posted[0][SIGNATURES]
    assert all(verify(o, sigs[f"{o['id']}@{o.get('modified') or o.get('created') or ''}"], key)
               for o in sent)
    row = cursor(node)
    assert row.added_after is not None
    assert row.last_error is None
    # nothing new: no POST at all
    seen.clear()
    assert push(node, handler).sent == 0
    assert seen == []


@pytest.mark.parametrize("answer", [
    lambda: httpx.Response(200, content=b"<html>"),
    lambda: httpx.Response(200, json={"no": "status"}),
    lambda: status("pending"),  # pending forever
    lambda: httpx.Response(403, json={"title": "no"}),
])
def test_misbehaving_peer_leaves_the_cursor_and_counts(node: Node,
                                                      answer: Callable[[], Any]) -> None:
    result = push(node, lambda req: answer())
    assert result.error is not None
    assert result.pages == 0
    row = cursor(node)
    assert row.added_after is None  # nothing counted as pushed
    assert row.last_error == result.error
    with node.engine.connect() as conn:
        count = conn.execute(select(sync_failures.c.count).where(
            sync_failures.c.kind == "push")).scalar()
    assert count == 1


def test_objects_held_by_the_peer_for_reassembly_count_as_accepted(node: Node) -> None:
    from bersama.federation.status import status_body

    polls: list[str] = []

    def handler(req: httpx.Request) -> httpx.Response:
        if req.method == "GET":
            polls.append(req.url.path)
        objs = orjson.loads(req.content)["objects"] if req.method == "POST" else []
        held = {o["id"] for o in objs if o["type"] != "report"}  # e.g. observables kept back
        body = {"id": "s2", **status_body(objs, failures={}, pending=held)}
        return httpx.Response(202, json=body, headers={"Content-Type": TAXII_21})

    result = push(node, handler)
    assert result.error is None
    assert polls == []  # waiting would not settle a hold: no polling
    assert cursor(node).added_after is not None
