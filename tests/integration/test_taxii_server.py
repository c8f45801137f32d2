"""The TAXII 2.1 server in process: endpoints, filters, paging, errors, signatures, policy."""

from __future__ import annotations

import base64
import uuid
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, select
from tests.integration.conftest import writes_held

from bersama.api.app import create_app
from bersama.api.security import RateLimiter
from bersama.config import Settings
from bersama.federation.protocol import TAXII_21
from bersama.federation.signing import parse_public_key, verify
from bersama.ingest.model import ReportDraft
from bersama.ingest.pipeline import ingest
from bersama.markings import TLP, Marking, Reader, Role
from bersama.observables import phone
from bersama.stix.export import draft_to_stix
from bersama.stix.tlp import group_marking_id
from bersama.store import apitokens, identities
from bersama.store.db import open_engine
from bersama.store.tables.trust import audit_log

with warnings.catch_warnings():  # starlette asks for `httpx2`, which is not a dependency here
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

NOW = datetime(2026, 3, 1, tzinfo=UTC)
H = {"Accept": TAXII_21}
ROOT = "/taxii2/api/"


def make_app(settings: Settings, engine: Engine) -> FastAPI:
    return create_app(settings, engine)


def draft(n: int, marking: Marking, *, modified: datetime = NOW, revoked: bool = False,
          title: str | None = None) -> ReportDraft:
    return ReportDraft(
        source_id=f"report--{uuid.UUID(int=n, version=4)}", modified=modified,
        observables=(phone(f"+6012345{n:04d}"),), title=title or f"r{n}", marking=marking,
        revoked=revoked)


class Node:
    """A node in process; on SQLite in `tmp` unless given a `database_url`."""

    def __init__(self, tmp: Path, database_url: str | None = None) -> None:
        self.settings = Settings(data_dir=tmp, node_name="my", environment="test",
                                 database_url=database_url)
        self.engine = open_engine(self.settings)
        with self.engine.begin() as conn:
            for code, cc in (("MY-PDRM", "MY"), ("TH-AOC", "TH"), ("JP-NPA", "JP")):
                identities.add_agency(conn, code=code, name=code, country=cc, type="police",
                                      now=NOW, is_peer=code != "MY-PDRM")
            identities.add_group(conn, name="mekong", agencies_=["MY-PDRM", "TH-AOC"], now=NOW)
            identities.add_user(conn, email="ana@pdrm.my", agency="MY-PDRM",
                                role=identities.parse_role("analyst"), now=NOW)
            self.analyst = apitokens.create_token(conn, user="ana@pdrm.my", now=NOW)[1]
            self.th = apitokens.create_token(conn, peer_agency="TH-AOC", now=NOW)[1]
            self.jp = apitokens.create_token(conn, peer_agency="JP-NPA", now=NOW)[1]
        self.client = TestClient(make_app(self.settings, self.engine))

    def ingest(self, drafts: list[ReportDraft], agency: str = "MY-PDRM",
               origin_peer: str | None = None, at: datetime | None = None) -> None:
        actor = Reader(agency=agency, user="ana@pdrm.my", role=Role.ANALYST)
        with self.engine.begin() as conn:
            ingest(conn, self.settings, agency=agency, items=drafts, source_format="stix",
                   source="test", actor=actor, origin_peer=origin_peer,
                   clock=(lambda: at) if at else datetime.now)

    def get(self, path: str, token: str, **params: Any) -> Any:
        return self.client.get(path, params=params,
                               headers={**H, "Authorization": f"Bearer {token}"})


@pytest.fixture
def node(tmp_path: Path, db_url: str) -> Iterator[Node]:
    n = Node(tmp_path, db_url)
    yield n
    n.engine.dispose()


def ids_of(resp: Any, type_: str = "report") -> set[str]:
    return {o["id"] for o in resp.json().get("objects", []) if o["type"] == type_}


def rid(n: int) -> str:
    return f"report--{uuid.UUID(int=n, version=4)}"


def test_a_push_kept_waiting_by_another_write_is_a_taxii_503(
        node: Node, monkeypatch: pytest.MonkeyPatch) -> None:
    objs = draft_to_stix(draft(1, Marking(TLP.GREEN)), agency="MY-PDRM",
                         agency_country="MY", identity_id=None)
    with writes_held(node.engine, "MY-PDRM", monkeypatch):
        r = node.client.post(ROOT + "collections/shared/objects/",
                             content=orjson.dumps({"objects": objs}),
                             headers={**H, "Content-Type": TAXII_21,
                                      "Authorization": f"Bearer {node.analyst}"})
    assert r.status_code == 503, r.text
    assert r.headers["content-type"].startswith("application/taxii+json")
    assert r.json()["http_status"] == "503"
    assert int(r.headers["retry-after"]) > 0


def test_discovery_api_root_collections(node: Node) -> None:
    d = node.client.get("/taxii2/", headers=H)
    assert d.status_code == 200
    assert d.headers["content-type"].startswith("application/taxii+json")
    assert d.json()["api_roots"] == [ROOT]
    parse_public_key(d.json()["x_bersama_public_key"])
    root = node.get(ROOT, node.analyst).json()
    assert root["versions"] == [TAXII_21]
    colls = node.get(ROOT + "collections/", node.analyst).json()["collections"]
    assert [c["alias"] for c in colls] == ["shared", "green", "amber-mekong"]
    one = node.get(ROOT + f"collections/{colls[0]['id']}/", node.analyst).json()
    assert one["can_write"] is True
    assert node.get(ROOT + "collections/nope/", node.analyst).status_code == 404


def test_auth_and_negotiation_errors(node: Node) -> None:
    r = node.client.get(ROOT, headers=H)
    assert r.status_code == 401
    assert r.json()["http_status"] == "401"
    assert "Basic" in r.headers["www-authenticate"]
    bad = node.client.get(ROOT, headers={"Accept": "application/xml",
                                         "Authorization": f"Bearer {node.analyst}"})
    assert bad.status_code == 406
    basic = base64.b64encode(f"{node.analyst.split('_')[1]}:{node.analyst}".encode()).decode()
    ok = node.client.get(ROOT, headers={**H, "Authorization": f"Basic {basic}"})
    assert ok.status_code == 200
    post = node.client.post(ROOT + "collections/shared/objects/", content=b"{}",
                            headers={**H, "Authorization": f"Bearer {node.analyst}",
                                     "Content-Type": "application/json"})
    assert post.status_code == 415
    f = node.get(ROOT + "collections/shared/objects/", node.analyst, added_after="yesterday")
    assert f.status_code == 400
    assert f.json()["details"]["field"] == "added_after"


def test_a_body_over_the_api_roots_max_content_length_is_a_taxii_413(node: Node) -> None:
    # Refused by the app's body limit before the route reads it: still a TAXII error there.
    auth = {**H, "Authorization": f"Bearer {node.analyst}", "Content-Type": TAXII_21}
    size = node.client.get(ROOT, headers=auth).json()["max_content_length"]
    big = b"x" * (size + 1)
    for body in (big, iter([big[:size], big[size:]])):  # by Content-Length, then streamed
        r = node.client.post(ROOT + "collections/shared/objects/", content=body, headers=auth)
        assert r.status_code == 413, r.text
        assert r.headers["content-type"] == TAXII_21
        assert r.json()["http_status"] == "413", r.text
    r = node.client.post("/api/v1/ingest?format=text", content=big, headers=auth)
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"


def test_routing_errors_under_the_prefix_are_taxii_errors(node: Node) -> None:
    auth = {**H, "Authorization": f"Bearer {node.analyst}"}
    for method, path, status, allow in (
            ("GET", "/taxii2/nope/", 404, None),
            ("GET", ROOT + "collections/shared/objects/x/y/", 404, None),
            ("POST", "/taxii2/", 405, "GET"),
            ("PUT", ROOT + "collections/shared/objects/", 405, "GET, POST"),
            ("PATCH", ROOT + "collections/shared/objects/x/", 405, "DELETE, GET")):
        r = node.client.request(method, path, headers=auth)
        assert r.status_code == status, (method, path, r.text)
        assert r.headers["content-type"] == TAXII_21, (method, path)
        assert r.json()["http_status"] == str(status), r.text
        assert r.headers.get("allow") == allow  # RFC 9110: a 405 lists the methods served
    assert node.client.get("/api/v1/nope").headers["content-type"] == "application/problem+json"


def test_delete_is_a_403_and_described_as_such(node: Node) -> None:
    path = ROOT + "collections/{collection_id}/objects/{object_id}/"
    described = node.client.get("/openapi.json").json()["paths"][path]["delete"]["responses"]
    assert "200" not in described  # TAXII's success status, never sent: nothing is deleted
    r = node.client.delete(ROOT + f"collections/shared/objects/{rid(1)}/",
                           headers={**H, "Authorization": f"Bearer {node.analyst}"})
    assert r.status_code == 403, r.text
    assert r.json()["title"] == "Deleting is not offered"
    assert "403" in described


def test_paging_exact_with_headers_and_filters(node: Node) -> None:
    base = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(1, 8):
        node.ingest([draft(i, Marking(TLP.GREEN))], at=base + timedelta(minutes=i))
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 3, "match[type]": "report"}
    pages = 0
    while True:
        r = node.get(ROOT + "collections/shared/objects/", node.analyst, **params)
        assert r.status_code == 200
        body = r.json()
        pages += 1
        seen += [o["id"] for o in body.get("objects", [])]
        assert r.headers["X-TAXII-Date-Added-First"] <= r.headers["X-TAXII-Date-Added-Last"]
        if not body["more"]:
            break
        params["next"] = body["next"]
    assert seen == [rid(i) for i in range(1, 8)]
    assert pages == 3
    after = node.get(ROOT + "collections/shared/objects/", node.analyst,
                     added_after="2026-01-01T00:05:30Z", **{"match[type]": "report"})
    assert ids_of(after) == {rid(6), rid(7)}
    one = node.get(ROOT + "collections/shared/objects/", node.analyst,
                   **{"match[id]": rid(3)})
    assert [o["id"] for o in one.json()["objects"]] == [rid(3)]
    manifest = node.get(ROOT + "collections/shared/manifest/", node.analyst,
                        **{"match[type]": "report"}).json()
    assert {m["id"] for m in manifest["objects"]} == {rid(i) for i in range(1, 8)}
    assert all(m["media_type"] == "application/stix+json;version=2.1"
               for m in manifest["objects"])


def test_versions_last_first_all_and_revocation(node: Node) -> None:
    green = Marking(TLP.GREEN)
    node.ingest([draft(1, green, modified=NOW)])
    node.ingest([draft(1, green, modified=NOW + timedelta(days=1), title="v2")])
    node.ingest([draft(1, green, modified=NOW + timedelta(days=2), revoked=True)])
    url = ROOT + f"collections/shared/objects/{rid(1)}/"
    last = node.get(url, node.analyst).json()["objects"]
    assert len(last) == 1
    assert last[0]["revoked"] is True
    first = node.get(url, node.analyst, **{"match[version]": "first"}).json()["objects"]
    assert first[0]["modified"].startswith("2026-03-01")
    all_ = node.get(url, node.analyst, **{"match[version]": "all"}).json()["objects"]
    assert len(all_) == 3
    exact = node.get(url, node.analyst, **{"match[version]": "2026-03-02T00:00:00Z"})
    assert [o["modified"] for o in exact.json()["objects"]] == ["2026-03-02T00:00:00.000Z"]
    versions = node.get(url + "versions/", node.analyst).json()["versions"]
    assert len(versions) == 3
    assert node.get(ROOT + "collections/shared/objects/report--nope/",
                    node.analyst).status_code == 404


def test_identity_and_group_marking_have_one_version_whatever_the_reports(node: Node) -> None:
    """Objects derived from a name (the agency's identity, a group's marking definition)
    never change: one version however many report versions name them (STIX 2.1 gives
    marking definitions no versions at all)."""
    group = Marking(TLP.AMBER, group="mekong")
    for day in range(3):
        node.ingest([draft(1, group, modified=NOW + timedelta(days=day), title=f"v{day}"),
                     draft(2 + day, group, modified=NOW + timedelta(days=day))])
    report = node.get(ROOT + f"collections/shared/objects/{rid(1)}/", node.analyst).json()
    refs = [report["objects"][0]["created_by_ref"], *report["objects"][0]["object_marking_refs"]]
    derived = [r for r in refs if r.startswith("identity--") or r == group_marking_id(group)]
    assert len(derived) == 2
    for ref in derived:
        url = ROOT + f"collections/shared/objects/{ref}/"
        if ref.startswith("identity--"):
            assert len(node.get(url + "versions/", node.analyst).json()["versions"]) == 1
        objs = node.get(url, node.analyst, **{"match[version]": "all"}).json()["objects"]
        assert len(objs) == 1, ref
        assert "modified" not in objs[0] or objs[0]["modified"] == objs[0]["created"]


def test_signatures_verify_against_published_key(node: Node) -> None:
    node.ingest([draft(1, Marking(TLP.GREEN))])
    key = parse_public_key(node.client.get("/taxii2/", headers=H).json()["x_bersama_public_key"])
    body = node.get(ROOT + "collections/shared/objects/", node.analyst,
                    **{"match[version]": "all"}).json()
    sigs = body["x_bersama_signatures"]
    assert body["objects"]
    for obj in body["objects"]:
        jws = sigs[f"{obj['id']}@{obj.get('modified') or obj.get('created') or ''}"]
        assert verify(obj, jws, key)


def test_peers_receive_only_what_markings_allow(node: Node) -> None:
    node.ingest([draft(1, Marking(TLP.GREEN)), draft(2, Marking(TLP.AMBER, group="mekong")),
                 draft(3, Marking(TLP.AMBER_STRICT, recipient_agencies=frozenset({"TH-AOC"}))),
                 draft(4, Marking(TLP.RED, recipient_users=frozenset({"ana@pdrm.my"})))])
    # received from the Thai node: strict/red must never be forwarded, own data never echoed
    node.ingest([draft(11, Marking(TLP.GREEN)),
                 draft(12, Marking(TLP.AMBER_STRICT, recipient_agencies=frozenset({"JP-NPA"})))],
                agency="TH-AOC", origin_peer="th")
    url = ROOT + "collections/shared/objects/"
    th = ids_of(node.get(url, node.th))
    jp = ids_of(node.get(url, node.jp))
    me = ids_of(node.get(url, node.analyst))
    assert th == {rid(1), rid(2), rid(3)}
    assert jp == {rid(1), rid(11)}
    assert me == {rid(1), rid(2), rid(3), rid(4), rid(11)}
    amber = ids_of(node.get(ROOT + "collections/amber-mekong/objects/", node.th))
    assert amber == {rid(2)}
    green = ids_of(node.get(ROOT + "collections/green/objects/", node.th))
    assert green == {rid(1)}
    with node.engine.connect() as conn:
        audited = [r.detail for r in conn.execute(
            select(audit_log).where(audit_log.c.action == "taxii.read"))]
    assert any(rid(3) in str(d) for d in audited)  # AMBER+ reads are audited


def test_add_objects_and_poll_status(node: Node) -> None:
    report = {
        "type": "report", "spec_version": "2.1", "id": rid(50),
        "created": "2026-02-01T00:00:00.000Z", "modified": "2026-02-01T00:00:00.000Z",
        "name": "posted", "published": "2026-02-01T00:00:00.000Z",
        "object_refs": ["url--4c9f6a1e-7b2d-5c3e-8f1a-2b3c4d5e6f70"],
        "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"],
    }
    sco = {"type": "url", "spec_version": "2.1",
           "id": "url--4c9f6a1e-7b2d-5c3e-8f1a-2b3c4d5e6f70", "value": "http://scam-shop.com/x"}
    r = node.client.post(ROOT + "collections/shared/objects/",
                         content=orjson.dumps({"objects": [report, sco]}),
                         headers={**H, "Content-Type": TAXII_21,
                                  "Authorization": f"Bearer {node.analyst}"})
    assert r.status_code == 202, r.text
    status = r.json()
    assert status["status"] == "complete"
    assert status["total_count"] == 2
    polled = node.get(ROOT + f"status/{status['id']}/", node.analyst)
    assert polled.json()["id"] == status["id"]
    assert rid(50) in ids_of(node.get(ROOT + "collections/shared/objects/", node.analyst))
    # a peer posting unsigned objects is refused (no pinned key / no signature)
    r2 = node.client.post(ROOT + "collections/shared/objects/",
                          content=orjson.dumps({"objects": [report]}),
                          headers={**H, "Content-Type": TAXII_21,
                                   "Authorization": f"Bearer {node.th}"})
    assert r2.status_code == 403
    bad = node.client.post(ROOT + "collections/shared/objects/", content=b"[1,2",
                           headers={**H, "Content-Type": TAXII_21,
                                    "Authorization": f"Bearer {node.analyst}"})
    assert bad.status_code == 400


def test_refused_tokens_past_the_limit_are_a_taxii_429_not_a_500(node: Node) -> None:
    # The clock stands still: refusals audited on a slow store (PostgreSQL on a busy
    # machine) took long enough for the limit's bucket to refill, and no 429 came.
    node.client.app.state.rate_limiter = RateLimiter(clock=lambda: 0.0)  # type: ignore[attr-defined]
    bad = {**H, "Authorization": "Bearer bsm_nosuchtoken_x"}
    answers = [node.client.get(ROOT, headers=bad)
               for _ in range(node.settings.auth_failures_per_minute + 1)]
    assert {a.status_code for a in answers[:-1]} == {401}
    last = answers[-1]
    assert last.status_code == 429, last.text
    assert last.headers["content-type"].startswith("application/taxii+json")
    assert last.json()["http_status"] == "429"
    assert int(last.headers["retry-after"]) >= 1


def test_get_an_object_serves_a_peer_only_what_markings_allow(node: Node) -> None:
    """TAXII Get An Object (which a syncing peer uses for an object it misses) goes
    through the same policy as a page: a report, or an observable only such a report
    names, that the peer may not read is a 404, as for an object that does not exist."""
    node.ingest([draft(1, Marking(TLP.GREEN)), draft(2, Marking(TLP.AMBER, group="mekong")),
                 draft(4, Marking(TLP.RED, recipient_users=frozenset({"ana@pdrm.my"})))])
    node.ingest([draft(11, Marking(TLP.GREEN))], agency="TH-AOC", origin_peer="th")

    def sco_of(n: int) -> str:
        url = ROOT + f"collections/shared/objects/{rid(n)}/"
        refs = node.get(url, node.analyst).json()["objects"][0]["object_refs"]
        return next(r for r in refs if r.startswith("x-bersama-phone-number--"))

    def status(ref: str, token: str) -> int:
        got = node.get(ROOT + f"collections/shared/objects/{ref}/", token)
        if got.status_code == 200:
            assert [o["id"] for o in got.json()["objects"]] == [ref]
            assert got.json()["x_bersama_signatures"]
        return int(got.status_code)

    for ref in (rid(1), sco_of(1)):
        assert (status(ref, node.th), status(ref, node.jp)) == (200, 200)
    for ref in (rid(2), sco_of(2)):  # the mekong group: TH is in it, JP is not
        assert (status(ref, node.th), status(ref, node.jp)) == (200, 404)
    for ref in (rid(4), sco_of(4)):  # RED for one analyst: no peer
        assert (status(ref, node.th), status(ref, node.jp)) == (404, 404)
    for ref in (rid(11), sco_of(11)):  # received from TH: never echoed back to it
        assert (status(ref, node.th), status(ref, node.jp)) == (404, 200)
    assert status(rid(99), node.th) == 404
