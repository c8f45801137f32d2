"""Property: no response contains anything the read policy denies.

Hypothesis draws small sets of reports (random owner agency, TLP, sharing
group, recipient agencies or users, shared identifiers) and random hint
settings, ingests them through the API, and asks as a random reader.  The
answer for every identifier must equal what `may_read` over the audience
tokens allows (counts, agencies, countries), hidden reports may surface only
as `hint_for` permits, unreadable reports answer 404, clusters list only
readable reports, and statistics count only readable reports.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, update
from tests.conftest import fresh_pg_database

from bersama.api.app import create_app
from bersama.config import Settings
from bersama.ingest.model import ReportDraft
from bersama.markings import TLP, Marking, Reader, Role, audience, may_read
from bersama.markings.policy import hint_for
from bersama.observables import phone
from bersama.stix.export import bundle, draft_to_stix
from bersama.store import apitokens
from bersama.store import identities as ids
from bersama.store.db import make_engine, migrate
from bersama.store.tables.core import agencies

NOW = datetime(2026, 11, 1, tzinfo=UTC)
AGENCIES = {"MY-PDRM": "MY", "TH-TCSD": "TH", "JP-NPA": "JP", "SG-SPF": "SG"}
GROUPS = {"G1": ["MY-PDRM", "TH-TCSD"], "G2": ["TH-TCSD", "JP-NPA", "SG-SPF"]}
ANALYST = {a: f"ana@{c.lower()}" for a, c in AGENCIES.items()}
USERS = {**{v: (a, Role.ANALYST) for a, v in ANALYST.items()}, "rea@my": ("MY-PDRM", Role.READER)}
_numbers = itertools.count(1)


def groups_of(agency: str) -> frozenset[str]:
    return frozenset(g for g, members in GROUPS.items() if agency in members)


READERS: dict[str, Reader] = {
    **{u: Reader(agency=a, user=u, role=r, groups=groups_of(a)) for u, (a, r) in USERS.items()},
    "peer:TH-TCSD": Reader(agency="TH-TCSD", role=Role.READER, groups=groups_of("TH-TCSD"),
                           is_peer=True),
    "peer:JP-NPA": Reader(agency="JP-NPA", role=Role.READER, groups=groups_of("JP-NPA"),
                          is_peer=True),
}


@dataclass
class Held:
    sid: str
    owner: str
    marking: Marking
    phones: frozenset[str]
    tokens: frozenset[str] = field(default_factory=frozenset)


@dataclass
class Node:
    client: TestClient
    engine: Engine
    tokens: dict[str, str]
    held: list[Held]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def node(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[Node]:
    """One node per store for the whole module (reports accumulate across examples)."""
    tmp: Path = tmp_path_factory.mktemp("noleak")
    with ExitStack() as dropped:
        url = (f"sqlite:///{tmp / 'n.db'}" if request.param == "sqlite"
               else dropped.enter_context(fresh_pg_database(migrated=True)))
        yield from _node(tmp, url)


def _node(tmp: Path, url: str) -> Iterator[Node]:
    s = Settings(environment="test", data_dir=tmp / "d", database_url=url,
                 check_rate_per_minute=1_000_000)
    engine = make_engine(s.effective_database_url)
    migrate(engine)
    tokens: dict[str, str] = {}
    with engine.begin() as c:
        for code, cc in AGENCIES.items():
            ids.add_agency(c, code=code, name=code, country=cc, type="police", now=NOW)
        for g, members in GROUPS.items():
            ids.add_group(c, name=g, agencies_=members, now=NOW)
        for email, (agency, role) in USERS.items():
            ids.add_user(c, email=email, agency=agency, role=role, now=NOW)
            tokens[email] = apitokens.create_token(c, now=NOW, user=email)[1]
        for peer in ("TH-TCSD", "JP-NPA"):
            tokens[f"peer:{peer}"] = apitokens.create_token(c, now=NOW, peer_agency=peer)[1]
    with TestClient(create_app(s, engine), raise_server_exceptions=False) as client:
        yield Node(client, engine, tokens, [])
    engine.dispose()


@st.composite
def markings(draw: st.DrawFn) -> Marking:
    tlp = draw(st.sampled_from(list(TLP)))
    if tlp is TLP.AMBER:
        return Marking(tlp, group=draw(st.sampled_from([None, "G1", "G2"])))
    if tlp is TLP.AMBER_STRICT:
        return Marking(tlp, recipient_agencies=frozenset(
            draw(st.lists(st.sampled_from(sorted(AGENCIES)), max_size=2))))
    if tlp is TLP.RED:
        return Marking(tlp, recipient_users=frozenset(
            draw(st.lists(st.sampled_from(sorted(USERS)), max_size=2))))
    return Marking(tlp)


reports_st = st.lists(
    st.tuples(st.sampled_from(sorted(AGENCIES)), markings(),
              st.sets(st.integers(0, 2), min_size=1)),
    min_size=1, max_size=4,
)
hints_st = st.fixed_dictionaries({a: st.sampled_from(["none", "count", "agency"])
                                  for a in AGENCIES})


def _params(m: Marking) -> dict[str, str]:
    out = {"tlp": m.tlp.value}
    if m.group:
        out["group"] = m.group
    names = m.recipient_agencies | m.recipient_users
    if names:
        out["recipients"] = ",".join(sorted(names))
    return out


def _ingest(node: Node, owner: str, marking: Marking, phones: frozenset[str]) -> Held:
    d = ReportDraft(source_id=f"report--{uuid.uuid4()}", modified=NOW,
                    observables=tuple(phone(p, "MY") for p in sorted(phones)))
    body = orjson.dumps(bundle(draft_to_stix(d, agency=owner, agency_country=AGENCIES[owner],
                                             identity_id=None)))
    r = node.client.post("/api/v1/ingest", params={"format": "stix", **_params(marking)},
                         content=body, headers=_auth(node, ANALYST[owner]))
    assert r.status_code == 200, r.text
    return Held(d.source_id, owner, marking, phones,
                audience(marking, owner, ANALYST[owner]))


def _auth(node: Node, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {node.tokens[who]}"}


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(drawn=reports_st, hints=hints_st, who=st.sampled_from(sorted(READERS)))
def test_no_response_leaks(node: Node, drawn: list[Any], hints: dict[str, str], who: str) -> None:
    pool = [f"+6012{next(_numbers):07d}" for _ in range(3)]
    with node.engine.begin() as conn:
        for code, hint in hints.items():
            conn.execute(update(agencies).where(agencies.c.code == code).values(hint_amber=hint))
    new = [_ingest(node, owner, marking, frozenset(pool[i] for i in idx))
           for owner, marking, idx in drawn]
    node.held.extend(new)
    reader = READERS[who]
    h = _auth(node, who)
    readable = {x.sid for x in node.held if may_read(reader, x.tokens)}

    results = node.client.post("/api/v1/check", json={"values": pool}, headers=h).json()["results"]
    for number, body in zip(pool, results, strict=True):
        mine = [x for x in new if number in x.phones]
        seen = [x for x in mine if x.sid in readable]
        hidden = [x for x in mine if x.sid not in readable]
        assert body["reports"] == len(seen), (who, body)
        assert body["agencies"] == sorted({x.owner for x in seen}), (who, body)
        assert body["countries"] == sorted({AGENCIES[x.owner] for x in seen}), (who, body)
        hinted = [x for x in hidden if hint_for(x.marking.tlp, hints[x.owner]) != "none"]
        named = sorted({x.owner for x in hidden
                        if hint_for(x.marking.tlp, hints[x.owner]) == "agency"})
        expected: dict[str, Any] | None = {"reports": len(hinted)} if hinted else None
        if expected is not None and named:
            expected["agencies"] = named
        assert body.get("hidden") == expected, (who, body)
        cluster = body.get("cluster")
        if cluster:
            cid = cluster["id"]
            detail = node.client.get(f"/api/v1/clusters/{cid}", headers=h).json()
            assert {r["id"] for r in detail["reports"]} <= readable, (who, detail)

    for x in new:
        r = node.client.get(f"/api/v1/reports/{x.sid}", headers=h)
        assert r.status_code == (200 if x.sid in readable else 404), (who, x, r.text)
    status = node.client.get("/api/v1/status", headers=h).json()
    assert status["reports"] == len(readable), (who, status)
    listed = node.client.get("/api/v1/clusters", params={"limit": 500}, headers=h).json()
    for cl in listed["clusters"]:
        detail = node.client.get(f"/api/v1/clusters/{cl['id']}", headers=h).json()
        assert {r["id"] for r in detail["reports"]} <= readable, (who, detail)
