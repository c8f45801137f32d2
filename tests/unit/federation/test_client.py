"""The peer client against fake peers (httpx.MockTransport): pagination, bounds, retries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import orjson
import pytest

from bersama.errors import PeerError
from bersama.federation.client import ClientLimits, TaxiiClient

ROOT = "http://peer.test/api/"
COLL = "c1"


def obj(i: int) -> dict[str, object]:
    return {"type": "indicator", "id": f"indicator--{i:08d}-0000-4000-8000-000000000000",
            "modified": "2026-01-01T00:00:00.000Z"}


def stamp(i: int) -> str:
    return f"2026-01-01T00:00:{i:02d}.000000Z"


def client(handler: Callable[[httpx.Request], httpx.Response], **limits: object) -> TaxiiClient:
    sleeps: list[float] = []
    c = TaxiiClient("tok", transport=httpx.MockTransport(handler),
                    limits=ClientLimits(**limits),  # type: ignore[arg-type]
                    sleep=sleeps.append)
    c.sleeps = sleeps  # type: ignore[attr-defined]
    return c


def envelope(objs: list[dict[str, object]], *, more: bool, nxt: str | None = None,
             first: int | None = None, last: int | None = None) -> httpx.Response:
    body: dict[str, object] = {"more": more, "objects": objs}
    if nxt:
        body["next"] = nxt
    headers = {"Content-Type": "application/taxii+json;version=2.1"}
    if first is not None and last is not None:
        headers["X-TAXII-Date-Added-First"] = stamp(first)
        headers["X-TAXII-Date-Added-Last"] = stamp(last)
    return httpx.Response(200, content=orjson.dumps(body), headers=headers)


def test_next_token_pagination_keeps_original_query() -> None:
    seen: list[httpx.QueryParams] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req.url.params)
        assert req.headers["Authorization"] == "Bearer tok"
        assert req.headers["Accept"] == "application/taxii+json;version=2.1"
        if "next" not in req.url.params:
            return envelope([obj(1), obj(2)], more=True, nxt="p2", first=1, last=2)
        return envelope([obj(3)], more=False, first=3, last=3)

    after = datetime(2025, 1, 1, tzinfo=UTC)
    pages = list(client(handler, page_limit=2).iter_pages(ROOT, COLL, added_after=after))
    assert [len(p.objects) for p in pages] == [2, 1]
    assert seen[1]["next"] == "p2"
    assert seen[1]["added_after"] == seen[0]["added_after"] == "2025-01-01T00:00:00.000000Z"
    assert pages[-1].last_added == stamp(3)


def test_added_after_fallback_when_more_without_next() -> None:
    def handler(req: httpx.Request) -> httpx.Response:
        after = req.url.params.get("added_after")
        if after is None:
            return envelope([obj(1), obj(2)], more=True, first=1, last=2)
        assert after == stamp(2)
        return envelope([obj(3)], more=False, first=3, last=3)

    pages = list(client(handler).iter_pages(ROOT, COLL))
    assert [o["id"] for p in pages for o in p.objects] == [obj(i)["id"] for i in (1, 2, 3)]


def test_fallback_that_does_not_advance_stops() -> None:
    def handler(req: httpx.Request) -> httpx.Response:
        return envelope([obj(len(req.url.params))], more=True, first=1, last=1)

    with pytest.raises(PeerError, match="does not advance"):
        list(client(handler).iter_pages(ROOT, COLL))


def test_repeating_page_with_fresh_next_tokens_stops() -> None:
    counter = iter(range(10_000))

    def handler(req: httpx.Request) -> httpx.Response:
        return envelope([obj(1)], more=True, nxt=f"t{next(counter)}")

    with pytest.raises(PeerError, match="repeated a page"):
        list(client(handler).iter_pages(ROOT, COLL))


def test_reused_next_token_is_fine_but_alternating_pages_stop() -> None:
    served = iter([1, 2, 3])

    def reuse(req: httpx.Request) -> httpx.Response:  # medallion reuses one token per query
        n = next(served)
        return envelope([obj(n)], more=n < 3, nxt="same" if n < 3 else None)

    pages = list(client(reuse).iter_pages(ROOT, COLL))
    assert len(pages) == 3
    cycle = iter([1, 2, 1, 2, 1, 2])

    def alternate(req: httpx.Request) -> httpx.Response:
        return envelope([obj(next(cycle))], more=True, nxt="t")

    with pytest.raises(PeerError, match="repeated a page"):
        list(client(alternate).iter_pages(ROOT, COLL))


def test_page_cap_bounds_an_endless_peer() -> None:
    def handler(req: httpx.Request) -> httpx.Response:
        n = int(req.url.params.get("next", "0"))
        return envelope([obj(n)], more=True, nxt=str(n + 1))

    with pytest.raises(PeerError, match="more than 5 pages"):
        list(client(handler, max_pages=5).iter_pages(ROOT, COLL))


@pytest.mark.parametrize("body", [
    b"<html>oops</html>", b"[]", b'{"objects": {}}', b'{"more": "yes"}',
    b'{"objects": [{"id": 1}]}', b'{"objects": [], "next": 5}',
    b'{"objects": [], "x_bersama_signatures": ["a"]}',
])
def test_garbage_is_a_clear_error(body: bytes) -> None:
    c = client(lambda req: httpx.Response(200, content=body))
    with pytest.raises(PeerError) as err:
        list(c.iter_pages(ROOT, COLL))
    assert err.value.value is not None


def test_oversize_page_refused_by_count_and_bytes() -> None:
    c = client(lambda req: envelope([obj(i) for i in range(3)], more=False), page_limit=2)
    with pytest.raises(PeerError, match="3 objects for limit=2"):
        list(c.iter_pages(ROOT, COLL))
    big = client(lambda req: envelope([obj(i) for i in range(50)], more=False),
                 max_response_bytes=1000)
    with pytest.raises(PeerError, match="exceeds the limit"):
        list(big.iter_pages(ROOT, COLL))


def test_retries_with_exponential_backoff_then_succeeds() -> None:
    calls = iter([503, 502, 200])

    def handler(req: httpx.Request) -> httpx.Response:
        code = next(calls)
        if code != 200:
            return httpx.Response(code)
        return envelope([obj(1)], more=False)

    c = client(handler, backoff_base_seconds=0.5)
    assert len(next(iter(c.iter_pages(ROOT, COLL))).objects) == 1
    assert c.sleeps == [0.5, 1.0]  # type: ignore[attr-defined]


def test_hang_times_out_and_gives_up() -> None:
    def handler(req: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("hang", request=req)

    c = client(handler, retries=2, backoff_max_seconds=1.0)
    with pytest.raises(PeerError, match="after 3 attempts"):
        list(c.iter_pages(ROOT, COLL))
    assert c.sleeps == [0.5, 1.0]  # type: ignore[attr-defined]


def test_slow_trickle_bounded_by_total_deadline() -> None:
    ticks = iter(float(i) for i in range(1000))

    class Trickle(httpx.SyncByteStream):
        def __iter__(self):  # type: ignore[no-untyped-def]
            for _ in range(100):
                yield b" "

    c = TaxiiClient("t", transport=httpx.MockTransport(
        lambda req: httpx.Response(200, stream=Trickle())),
        limits=ClientLimits(timeout_seconds=10), clock=lambda: next(ticks))
    with pytest.raises(PeerError, match="longer than 10"):
        list(c.iter_pages(ROOT, COLL))


def test_client_error_not_retried() -> None:
    calls: list[int] = []

    def handler(req: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(401, json={"title": "no"})

    with pytest.raises(PeerError, match="HTTP 401"):
        list(client(handler).iter_pages(ROOT, COLL))
    assert len(calls) == 1


def test_resolve_discovery_or_api_root() -> None:
    def handler(req: httpx.Request) -> httpx.Response:
        if req.url.path == "/taxii2/":
            return httpx.Response(200, json={"title": "x", "api_roots": ["/api/"],
                                             "x_bersama_public_key": "ed25519:AAA"})
        if req.url.path == "/api/":
            return httpx.Response(200, json={"title": "r", "versions": ["x"],
                                             "max_content_length": 1})
        return httpx.Response(404)

    c = client(handler)
    root = c.resolve("http://peer.test/taxii2")
    assert root.url == "http://peer.test/api/"
    assert root.public_key == "ed25519:AAA"
    assert c.resolve("http://peer.test/api").url == "http://peer.test/api/"
    with pytest.raises(PeerError):
        c.resolve("http://peer.test/nothing/")


def test_get_an_object_gives_its_objects_or_none_for_a_404() -> None:
    """TAXII Get An Object: the objects of the asked id only (a peer's extra objects are
    left out); a 404 (the peer does not have it or does not share it) is None, not an
    error, and not retried."""
    asked: list[str] = []

    def handler(req: httpx.Request) -> httpx.Response:
        asked.append(req.url.path)
        if req.url.path.endswith(f"/{obj(1)['id']}/"):
            return envelope([obj(1), obj(2)], more=False)
        return httpx.Response(404, content=b'{"title": "Object not found"}')

    c = client(handler)
    page = c.get_object(ROOT, COLL, str(obj(1)["id"]))
    assert page is not None
    assert [o["id"] for o in page.objects] == [obj(1)["id"]]
    assert asked == [f"/api/collections/{COLL}/objects/{obj(1)['id']}/"]
    assert c.get_object(ROOT, COLL, str(obj(3)["id"])) is None
    assert len(asked) == 2
    assert c.sleeps == []  # type: ignore[attr-defined]


def test_get_an_object_other_errors_are_peer_errors() -> None:
    c = client(lambda req: httpx.Response(403, content=b"no"), retries=0)
    with pytest.raises(PeerError, match="HTTP 403"):
        c.get_object(ROOT, COLL, str(obj(1)["id"]))
    c = client(lambda req: httpx.Response(200, content=b"[1"), retries=0)
    with pytest.raises(PeerError, match="non-JSON"):
        c.get_object(ROOT, COLL, str(obj(1)["id"]))
