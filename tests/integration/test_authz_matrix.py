"""The authorisation matrix: readers x TLP levels x groups x recipients x read endpoints.

One node (on SQLite and on PostgreSQL) holds, for each marking, two reports of MY-PDRM sharing a
phone number (so they form a cluster).  Every reader calls every read endpoint
and must see exactly the reports the policy in docs/markings.md allows them:
counts, agencies, clusters, reports and statistics; 404 (never 403) for what
they may not read, so existence does not leak; 401 without a token.  A peer
node's token is authenticated: where it has no right (writes, review, asking
peers, disclosures, administration) the answer is 403, never 401.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update
from tests.conftest import fresh_pg_database

from bersama.api.app import create_app
from bersama.config import Settings
from bersama.ingest.model import ReportDraft
from bersama.markings import Reader
from bersama.observables import phone
from bersama.stix.export import bundle, draft_to_stix
from bersama.store import apitokens, audit
from bersama.store import identities as ids
from bersama.store.db import make_engine, migrate
from bersama.store.queries import Reads
from bersama.store.tables.core import agencies
from bersama.store.tables.trust import audit_log

NOW = datetime(2026, 11, 1, tzinfo=UTC)
GROUP = "MY-TH"

# marking name -> (ingest query parameters, readers allowed to read it)
OWNER = {"ana@my", "rea@my", "adm@my"}
EVERYONE = OWNER | {"ana@th", "ana@jp", "ana@sg", "ana@id", "peer:TH-TCSD", "peer:JP-NPA"}
MARKINGS: dict[str, tuple[dict[str, str], set[str]]] = {
    "clear": ({"tlp": "clear"}, EVERYONE),
    "green": ({"tlp": "green"}, EVERYONE),
    "amber": ({"tlp": "amber"}, EVERYONE),
    "amber-group": ({"tlp": "amber", "group": GROUP}, OWNER | {"ana@th", "peer:TH-TCSD"}),
    "amber-strict": ({"tlp": "amber+strict", "recipients": "SG-SPF"}, OWNER | {"ana@sg"}),
    "red": ({"tlp": "red", "recipients": "ana@id"}, {"ana@my", "ana@id"}),
}
READERS = [*sorted(EVERYONE), "public"]
ENDPOINTS = ["check", "bulk-check", "report", "clusters", "cluster", "status"]


@dataclass
class Matrix:
    client: TestClient
    engine: Engine
    settings: Settings
    tokens: dict[str, str]
    phones: dict[str, str]  # marking -> E.164 phone shared by its two reports
    reports: dict[str, list[str]]  # marking -> report stix ids
    clusters: dict[str, int]  # marking -> public cluster id

    def auth(self, who: str) -> dict[str, str]:
        return {} if who == "public" else {"Authorization": f"Bearer {self.tokens[who]}"}


def _ingest(m: Matrix, marking: str, params: dict[str, str], phone_no: str) -> list[str]:
    drafts = [
        ReportDraft(source_id=f"report--{uuid.uuid4()}", modified=NOW,
                    observables=(phone(phone_no, "MY"),), title=f"{marking} {i}")
        for i in range(2)
    ]
    objs = [o for d in drafts for o in draft_to_stix(d, agency="MY-PDRM", agency_country="MY",
                                                     identity_id=None)]
    r = m.client.post("/api/v1/ingest", params={"format": "stix", **params},
                      content=orjson.dumps(bundle(objs)), headers=m.auth("ana@my"))
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] == 2, r.text
    return [d.source_id for d in drafts]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def matrix(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    tmp: Path = tmp_path_factory.mktemp("matrix")
    with ExitStack() as stack:
        url = (f"sqlite:///{tmp / 'm.db'}" if request.param == "sqlite"
               else stack.enter_context(fresh_pg_database()))
        yield from _matrix(tmp, url)


def _matrix(tmp: Path, url: str) -> Iterator[Matrix]:
    settings = Settings(environment="test", data_dir=tmp / "data",
                        database_url=url, public_check_enabled=True,
                        public_check_rate_per_minute=10_000, check_rate_per_minute=100_000)
    engine = make_engine(settings.effective_database_url)
    migrate(engine)
    tokens: dict[str, str] = {}
    with engine.begin() as c:
        for code, cc in (("MY-PDRM", "MY"), ("TH-TCSD", "TH"), ("JP-NPA", "JP"),
                         ("SG-SPF", "SG"), ("ID-POLRI", "ID")):
            ids.add_agency(c, code=code, name=code, country=cc, type="police", now=NOW)
        ids.add_group(c, name=GROUP, agencies_=["MY-PDRM", "TH-TCSD"], now=NOW)
        for email, agency, role in (
            ("ana@my", "MY-PDRM", "analyst"), ("rea@my", "MY-PDRM", "reader"),
            ("adm@my", "MY-PDRM", "admin"), ("ana@th", "TH-TCSD", "analyst"),
            ("ana@jp", "JP-NPA", "analyst"), ("ana@sg", "SG-SPF", "analyst"),
            ("ana@id", "ID-POLRI", "analyst"),
        ):
            ids.add_user(c, email=email, agency=agency, role=role, now=NOW)
            tokens[email] = apitokens.create_token(c, now=NOW, user=email)[1]
        for peer in ("TH-TCSD", "JP-NPA"):
            tokens[f"peer:{peer}"] = apitokens.create_token(c, now=NOW, peer_agency=peer)[1]
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as client:
        m = Matrix(client, engine, settings, tokens, {}, {}, {})
        for i, (name, (params, _)) in enumerate(sorted(MARKINGS.items())):
            m.phones[name] = f"+6012345678{i}"
            m.reports[name] = _ingest(m, name, params, m.phones[name])
        with engine.connect() as conn:
            reads = Reads(conn, Reader.system(), settings)
            for name, sids in m.reports.items():
                cluster = reads.report(sids[0])["cluster"]
                assert cluster is not None, name
                m.clusters[name] = int(cluster)
        yield m
    engine.dispose()


def _visible(who: str) -> set[str]:
    return {name for name, (_, allowed) in MARKINGS.items() if who in allowed}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("who", READERS)
def test_matrix(matrix: Matrix, who: str, endpoint: str) -> None:
    c, h = matrix.client, matrix.auth(who)
    visible = _visible(who)
    if who == "public":
        calls = {
            "check": lambda: c.get("/api/v1/check", params={"value": "+60123456780"}),
            "bulk-check": lambda: c.post("/api/v1/check", json={"values": ["+60123456780"]}),
            "report": lambda: c.get(f"/api/v1/reports/{matrix.reports['clear'][0]}"),
            "clusters": lambda: c.get("/api/v1/clusters"),
            "cluster": lambda: c.get(f"/api/v1/clusters/{matrix.clusters['clear']}"),
            "status": lambda: c.get("/api/v1/status"),
        }
        r = calls[endpoint]()
        assert r.status_code == 401, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        return
    CHECKS[endpoint](matrix, h, visible)


def _check(matrix: Matrix, h: dict[str, str], visible: set[str]) -> None:
    for name, number in matrix.phones.items():
        body = matrix.client.get("/api/v1/check", params={"value": number}, headers=h).json()
        _assert_check(body, name in visible, name)


def _bulk_check(matrix: Matrix, h: dict[str, str], visible: set[str]) -> None:
    names = sorted(matrix.phones)
    r = matrix.client.post("/api/v1/check", json={"values": [matrix.phones[n] for n in names]},
                           headers=h)
    assert r.status_code == 200, r.text
    for name, body in zip(names, r.json()["results"], strict=True):
        _assert_check(body, name in visible, name)


def _report(matrix: Matrix, h: dict[str, str], visible: set[str]) -> None:
    for name, sids in matrix.reports.items():
        for sid in sids:
            r = matrix.client.get(f"/api/v1/reports/{sid}", headers=h)
            assert r.status_code == (200 if name in visible else 404), (name, r.text)


def _clusters(matrix: Matrix, h: dict[str, str], visible: set[str]) -> None:
    r = matrix.client.get("/api/v1/clusters", params={"limit": 500}, headers=h)
    assert r.status_code == 200, r.text
    seen = {cl["id"] for cl in r.json()["clusters"]}
    assert seen == {matrix.clusters[n] for n in visible}


def _cluster(matrix: Matrix, h: dict[str, str], visible: set[str]) -> None:
    for name, cid in matrix.clusters.items():
        r = matrix.client.get(f"/api/v1/clusters/{cid}", headers=h)
        assert r.status_code == (200 if name in visible else 404), (name, r.text)
        if r.status_code == 200:
            assert {rep["id"] for rep in r.json()["reports"]} == set(matrix.reports[name])


def _status(matrix: Matrix, h: dict[str, str], visible: set[str]) -> None:
    body = matrix.client.get("/api/v1/status", headers=h).json()
    assert body["reports"] == 2 * len(visible)
    assert body["observables"] == len(visible)


CHECKS = {"check": _check, "bulk-check": _bulk_check, "report": _report,
          "clusters": _clusters, "cluster": _cluster, "status": _status}


def _assert_check(body: dict[str, Any], visible: bool, name: str) -> None:
    if visible:
        assert body["reports"] == 2, (name, body)
        assert body["agencies"] == ["MY-PDRM"], (name, body)
    else:
        assert body["reports"] == 0, (name, body)
        assert body["agencies"] == [], (name, body)
        assert body["countries"] == [], (name, body)
        assert body["cluster"] is None, (name, body)
        assert "hidden" not in body, (name, body)  # MY-PDRM's hint setting is "none"


def test_public_check_answers_from_clear_only(matrix: Matrix) -> None:
    for name, number in matrix.phones.items():
        r = matrix.client.get("/api/v1/public/check", params={"value": number})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["verdict"] == ("reported" if name == "clear" else "not-reported"), name
        assert body["reports"] == ("2-5" if name == "clear" else "0")
        assert "MY-PDRM" not in r.text


@pytest.mark.parametrize("setting", ["count", "agency"])
def test_hints_follow_owner_setting(matrix: Matrix, setting: str) -> None:
    with matrix.engine.begin() as conn:
        conn.execute(update(agencies).where(agencies.c.code == "MY-PDRM")
                     .values(hint_amber=setting))
    try:
        h = matrix.auth("ana@jp")
        for name, number in matrix.phones.items():
            body = matrix.client.get("/api/v1/check", params={"value": number}, headers=h).json()
            if name == "amber-group":
                expected: dict[str, Any] = {"reports": 2}
                if setting == "agency":
                    expected["agencies"] = ["MY-PDRM"]
                assert body.get("hidden") == expected, body
            else:  # readable, or AMBER+STRICT / RED: never hinted
                assert "hidden" not in body, (name, body)
    finally:
        with matrix.engine.begin() as conn:
            conn.execute(update(agencies).where(agencies.c.code == "MY-PDRM")
                         .values(hint_amber="none"))


def test_sensitive_reads_are_audited(matrix: Matrix) -> None:
    sid = matrix.reports["amber-group"][0]
    assert matrix.client.get(f"/api/v1/reports/{sid}",
                             headers=matrix.auth("ana@th")).status_code == 200
    green = matrix.reports["green"][0]
    assert matrix.client.get(f"/api/v1/reports/{green}",
                             headers=matrix.auth("ana@th")).status_code == 200
    with matrix.engine.connect() as conn:
        rows = conn.execute(select(audit_log.c.actor_user, audit_log.c.action,
                                   audit_log.c.target)).all()
        assert ("ana@th", "report", sid) in [tuple(r) for r in rows]
        assert ("ana@th", "report", green) not in [tuple(r) for r in rows]
        assert any(r.action == "token.use" for r in rows)
        assert audit.verify(conn).ok


PEER_REFUSED: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", "/api/v1/ingest", {"params": {"format": "text"}, "content": b"call +60123456780"}),
    ("POST", "/api/v1/ask-peers", {"json": {"values": ["+60123456780"]}}),
    ("POST", "/api/v1/disclosures", {"json": {"peer": "MY", "value": "+60123456780",
                                              "reason": "case 1"}}),
    ("POST", "/api/v1/disclosures/1/approve", {}),
    ("POST", "/api/v1/disclosures/1/deny", {}),
    ("GET", "/api/v1/review", {}),
    ("POST", "/api/v1/review/1/confirm", {}),
    ("POST", "/api/v1/review/1/reject", {}),
    ("GET", "/api/v1/review/export", {}),
    ("POST", "/api/v1/detect/message", {"json": {"items": ["hello"], "queue": True}}),
    ("GET", "/api/v1/admin/agencies", {}),
    ("POST", "/api/v1/admin/tokens", {"json": {"user": "ana@my"}}),
]


@pytest.mark.parametrize(("method", "path", "request_args"), PEER_REFUSED,
                         ids=[f"{m} {p}" for m, p, _ in PEER_REFUSED])
def test_a_peer_token_without_the_right_is_forbidden_not_unauthenticated(
        matrix: Matrix, method: str, path: str, request_args: dict[str, Any]) -> None:
    r = matrix.client.request(method, path, headers=matrix.auth("peer:TH-TCSD"), **request_args)
    assert r.status_code == 403, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "www-authenticate" not in r.headers
