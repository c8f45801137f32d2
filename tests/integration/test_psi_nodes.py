"""Two nodes, one asking and one answering, over an injected HTTP transport.

The answering node's database (file, WAL included) never contains an asked
identifier it does not hold; a replayed request is refused; limits hold.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, insert
from tests.integration.test_psi_store import add_report

from bersama.config import Settings
from bersama.errors import BersamaError, RateLimited, Unauthenticated
from bersama.federation.signing import load_or_create_node_key, public_key_text
from bersama.markings.model import TLP, Marking, Reader
from bersama.psi import service
from bersama.store.db import make_engine
from bersama.store.tables import all_tables
from bersama.store.tables.core import agencies
from bersama.store.tables.federation import peers


@dataclass
class Nodes:
    s_th: Settings
    e_th: Engine
    s_my: Settings
    e_my: Engine
    sent: list[httpx.Request]
    transport: httpx.MockTransport


NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ASKER = Reader(agency="TH-CCIB", user="analyst@th")
TOKEN = "peer-token-for-th"


def _node(path: Path) -> Engine:
    eng = make_engine(f"sqlite:///{path / 'bersama.db'}")
    all_tables().create_all(eng)
    with eng.begin() as conn:
        for code, country in [("MY-PDRM", "MY"), ("TH-CCIB", "TH")]:
            conn.execute(insert(agencies).values(code=code, name=code, country=country,
                                                 created_at=NOW))
    return eng


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[Nodes]:
    (tmp_path / "th").mkdir()
    (tmp_path / "my").mkdir()
    s_th = Settings(data_dir=tmp_path / "th", ask_limit_per_agency_per_day=100)
    s_my = Settings(data_dir=tmp_path / "my", ask_limit_per_peer_per_day=60)
    e_th, e_my = _node(tmp_path / "th"), _node(tmp_path / "my")
    th_key = public_key_text(load_or_create_node_key(s_th.data_dir).public)
    with e_th.begin() as conn:
        conn.execute(insert(peers).values(
            name="my-node", url="http://my.test", api_root="x", collection_id="x", token=TOKEN,
            public_key=public_key_text(load_or_create_node_key(s_my.data_dir).public),
            agency="MY-PDRM", created_at=NOW))
    with e_my.begin() as conn:
        conn.execute(insert(peers).values(
            name="th-node", url="http://th.test", api_root="x", collection_id="x",
            public_key=th_key, agency="TH-CCIB", created_at=NOW))
    add_report(e_my, "MY-PDRM", Marking(TLP.GREEN),
               ["phone:+60123456789", "email:mule@example.com"])
    add_report(e_my, "MY-PDRM", Marking(TLP.AMBER_STRICT), ["phone:+60199999999"])
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        sent.append(request)
        try:
            doc = service.answer_query(
                s_my, e_my, Reader(agency="TH-CCIB", is_peer=True), request.headers,
                request.content)
        except BersamaError as exc:
            return httpx.Response(401 if exc.code == "unauthenticated" else 400,
                                  json=exc.as_dict())
        return httpx.Response(200, json=doc)

    yield Nodes(s_th, e_th, s_my, e_my, sent, httpx.MockTransport(handler))
    e_th.dispose()
    e_my.dispose()


def _ask(nodes: Nodes, values: list[str]) -> service.AskReport:
    return service.ask_peers(nodes.s_th, nodes.e_th, values, asking_reader=ASKER, country="MY",
                             transport=nodes.transport)


def test_asker_learns_which_values_the_peer_may_reveal(
    nodes: Nodes, tmp_path: Path
) -> None:
    secret = "+60 12-555 0101"  # a live lead the peer does not hold
    asked = ["012-345 6789", "MULE@Example.com", "+60199999999", secret, "not a thing"]
    report = _ask(nodes, asked)
    assert not [r for r in report.results if r.error and r.value != "not a thing"]
    assert report.peer_errors == {}
    by_value = {r.value: r for r in report.results}
    assert by_value["012-345 6789"].held_by == ["my-node"]
    assert by_value["MULE@Example.com"].held_by == ["my-node"]
    assert by_value["+60199999999"].held_by == []  # AMBER+STRICT, TH is no recipient
    assert by_value[secret].held_by == []
    assert by_value["not a thing"].error
    # the answering node's database and WAL never contain what it does not hold
    nodes.e_my.dispose()
    for f in (tmp_path / "my").glob("bersama.db*"):
        raw = f.read_bytes()
        assert b"125550101" not in raw
        assert b"+60199999999" in raw or f.name != "bersama.db"  # it does hold that one


def test_replayed_request_is_refused(
    nodes: Nodes
) -> None:
    _ask(nodes, ["+60123456789"])
    captured = nodes.sent[-1]
    with pytest.raises(Unauthenticated, match="replayed"):
        # the same signed headers and body again: the captured request is refused
        service.answer_query(nodes.s_my, nodes.e_my, Reader(agency="TH-CCIB", is_peer=True),
                             captured.headers, captured.content)
    tampered = captured.content.replace(b'"have_generation"', b'"have_generation" ')
    with pytest.raises(Unauthenticated, match="signature"):
        service.answer_query(nodes.s_my, nodes.e_my, Reader(agency="TH-CCIB", is_peer=True),
                             captured.headers, tampered)


def test_limits_are_enforced_on_both_sides(
    nodes: Nodes
) -> None:
    # answering side: 60 a day from this peer -> a second batch of 50 is refused there
    first = _ask(nodes, [f"+601210{i:05d}" for i in range(50)])
    assert first.peer_errors == {}
    second = _ask(nodes, [f"+601220{i:05d}" for i in range(40)])
    assert "daily limit" in second.peer_errors["my-node"]
    # asking side: 100 a day for the agency -> refused before anything is sent
    with pytest.raises(RateLimited):
        _ask(nodes, [f"+601230{i:05d}" for i in range(20)])
