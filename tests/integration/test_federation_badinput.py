"""Bad input from peers (issue 4, part 8): a clear error, bounded, nothing half-ingested.

The client's own bounds (garbage bodies, malformed envelopes, oversize pages by
count and bytes, hangs and trickles against the total deadline, repeated pages,
the page cap) are unit-tested in tests/unit/federation/test_client.py; here the
same failures go through a whole sync into a real node database, and a push
(TAXII Add Objects) receives malformed envelopes and invalid STIX.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import func, insert, select
from tests.integration.test_federation_assemble import KEY, stix_of
from tests.integration.test_taxii_server import NOW, ROOT, Node

from bersama.federation.client import ClientLimits, TaxiiClient
from bersama.federation.protocol import SIGNATURES, TAXII_21, signature_key
from bersama.federation.sync import SyncResult, describe_peers, get_peers, sync_peer
from bersama.markings import TLP, Marking
from bersama.store.tables.core import reports, stix_objects
from bersama.store.tables.federation import peers

Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def node(tmp_path: Path, db_url: str) -> Iterator[Node]:
    n = Node(tmp_path, db_url)
    with n.engine.begin() as conn:
        for name, agency in (("fx", "MY-PDRM"), ("th", "TH-AOC")):
            conn.execute(insert(peers).values(
                name=name, url="http://fake/taxii2/", api_root="http://fake/api/",
                collection_id="c", token=None, public_key=KEY.kid, agency=agency,
                push_collection=None, created_at=NOW))
    yield n
    n.engine.dispose()


def page(objs: list[dict[str, Any]], *, more: bool = False, nxt: str | None = None,
         second: int = 0) -> httpx.Response:
    body: dict[str, Any] = {"more": more, "objects": objs, SIGNATURES: {
        signature_key(o["id"], o.get("modified") or o.get("created") or ""): KEY.sign(o)
        for o in objs}}
    if nxt:
        body["next"] = nxt
    stamp = (NOW + timedelta(seconds=second)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return httpx.Response(200, content=orjson.dumps(body), headers={
        "Content-Type": TAXII_21, "X-TAXII-Date-Added-Last": stamp})


def sync(node: Node, handler: Handler, **limits: Any) -> SyncResult:
    client = TaxiiClient(None, transport=httpx.MockTransport(handler),
                         limits=ClientLimits(retries=0, **limits))
    with node.engine.connect() as conn:
        peer = get_peers(conn, "fx")[0]
    try:
        return sync_peer(node.engine, node.settings, peer, client=client, clock=lambda: NOW)
    finally:
        client.close()


def held(node: Node) -> set[str]:
    with node.engine.connect() as conn:
        return set(conn.execute(select(reports.c.stix_id)).scalars())


def objs(n: int) -> list[dict[str, Any]]:
    s = stix_of(n, [f"+6012300{n:04d}"], Marking(TLP.GREEN))
    return [*s["report"].values(), *s["x-bersama-phone-number"].values()]


def rid(n: int) -> str:
    return f"report--{uuid.UUID(int=n, version=4)}"


def test_objects_failing_stix_validation_are_rejected_the_rest_ingested(node: Node) -> None:
    bad_id = {**objs(2)[0], "id": "report--not-a-uuid"}
    old_spec = {**objs(3)[0], "spec_version": "2.0"}
    bad_time = {**objs(4)[0], "modified": "yesterday"}
    bad_phone = {**objs(5)[1], "number": "not a phone"}
    result = sync(node, lambda req: page([*objs(1), bad_id, objs(2)[1], old_spec, objs(3)[1],
                                         bad_time, objs(4)[1], objs(5)[0], bad_phone]))
    assert result.error is None
    assert result.rejected >= 3
    assert held(node) == {rid(1), rid(5)}  # report 5 kept, without its invalid phone


def test_garbage_page_mid_walk_commits_nothing_of_that_page(node: Node) -> None:
    def handler(req: httpx.Request) -> httpx.Response:
        if req.url.params.get("next") == "2":
            return httpx.Response(200, content=b'{"objects": {"not": "a list"}}')
        return page(objs(1), more=True, nxt="2")
    result = sync(node, handler)
    assert result.error is not None
    assert "objects" in result.error
    assert result.pages == 1
    assert held(node) == {rid(1)}  # the first page is committed, the garbage is not
    listed = describe_peers(node.engine.connect())
    fx = next(p for p in listed if p["name"] == "fx")
    assert fx["failures"]["peer"] == 1
    assert fx["last_error"] is not None
    # the peer recovers: the sync resumes after the committed page
    assert sync(node, lambda req: page(objs(2), second=5)).error is None
    assert held(node) == {rid(1), rid(2)}


def test_oversize_page_is_refused_whole(node: Node) -> None:
    result = sync(node, lambda req: page([*objs(1), *objs(2)]), page_limit=3)
    assert result.error is not None
    assert "4 objects for limit=3" in result.error
    assert held(node) == set()


def test_peer_repeating_the_same_page_forever_is_stopped(node: Node) -> None:
    calls = {"n": 0}

    def handler(req: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        return page(objs(1), more=True, nxt=f"t{calls['n']}")  # fresh token, same page
    result = sync(node, handler)
    assert result.error is not None
    assert "repeated a page" in result.error
    assert calls["n"] == 2
    with node.engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(stix_objects).where(
            stix_objects.c.type == "report")).scalar()
    assert count == 1  # ingested once, never twice


def test_slow_peer_is_bounded_by_the_total_deadline(node: Node) -> None:
    clock = iter(range(0, 10_000, 40))  # every read of the clock: 40 s later

    def handler(req: httpx.Request) -> httpx.Response:
        return page(objs(1))
    client = TaxiiClient(None, transport=httpx.MockTransport(handler),
                         limits=ClientLimits(retries=0, timeout_seconds=30),
                         clock=lambda: float(next(clock)))
    with node.engine.connect() as conn:
        peer = get_peers(conn, "fx")[0]
    result = sync_peer(node.engine, node.settings, peer, client=client, clock=lambda: NOW)
    client.close()
    assert result.error is not None
    assert "longer than 30" in result.error
    assert held(node) == set()


def post(node: Node, body: bytes) -> Any:
    return node.client.post(f"{ROOT}collections/shared/objects/", content=body, headers={
        "Accept": TAXII_21, "Content-Type": TAXII_21, "Authorization": f"Bearer {node.th}"})


@pytest.mark.parametrize("body", [
    b"not json", b"[]", b'{"objects": "none"}', b'{"objects": [1, 2]}',
    b'{"objects": [], "x_bersama_signatures": []}',
    b'{"objects": [{"type": "report"}]}',
])
def test_push_with_a_malformed_envelope_is_a_400_and_writes_nothing(node: Node,
                                                                    body: bytes) -> None:
    resp = post(node, body)
    assert resp.status_code == 400, resp.text
    assert resp.json()["http_status"] == "400"
    assert resp.json()["title"]
    assert held(node) == set()


def test_push_of_invalid_stix_lists_failures_in_the_status(node: Node) -> None:
    good = objs(1)
    bad = {**objs(2)[0], "id": "report--not-a-uuid"}
    sigs = {signature_key(o["id"], o.get("modified") or ""): KEY.sign(o) for o in good}
    sigs[signature_key(bad["id"], bad["modified"])] = KEY.sign(bad)
    unsigned = objs(3)[0]
    resp = post(node, orjson.dumps({"objects": [*good, bad, unsigned], SIGNATURES: sigs}))
    assert resp.status_code == 202, resp.text
    status = resp.json()
    assert status["status"] == "complete"
    failed = {f["id"]: f["message"] for f in status["failures"]}
    assert failed[unsigned["id"]] == "signature unsigned"
    assert bad["id"] in failed
    assert {s["id"] for s in status["successes"]} >= {good[0]["id"]}
    assert held(node) == {rid(1)}
