"""Two nodes, one asking and one answering, over an injected HTTP transport.

The answering node's database (file, WAL included) never contains an asked
identifier it does not hold; a replayed request is refused; limits hold.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, insert
from tests.integration.nodes import database_bytes
from tests.integration.test_psi_store import add_agencies, add_report

from bersama.config import Settings
from bersama.errors import BersamaError, RateLimited, Unauthenticated
from bersama.federation.signing import load_or_create_node_key, public_key_text
from bersama.markings.model import TLP, Marking, Reader
from bersama.psi import service
from bersama.store.db import make_engine, migrate
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


def _node(url: str) -> Engine:
    eng = make_engine(url)
    migrate(eng)
    add_agencies(eng, [("MY-PDRM", "MY", "none"), ("TH-CCIB", "TH", "none")])
    return eng


def _answering_node(url: str, s_th: Settings) -> Engine:
    """MY's store, with TH's node registered as a peer."""
    eng = _node(url)
    with eng.begin() as conn:
        conn.execute(insert(peers).values(
            name="th-node", url="http://th.test", api_root="x", collection_id="x",
            public_key=public_key_text(load_or_create_node_key(s_th.data_dir).public),
            agency="TH-CCIB", created_at=NOW))
    return eng


@pytest.fixture
def nodes(tmp_path: Path, db_url: str, db_urls: Callable[[], str]) -> Iterator[Nodes]:
    """The answering node (MY) on `db_url`, the asking one (TH) on another database of the
    same store; MY answers from whatever store `e_my` is when asked."""
    (tmp_path / "th").mkdir()
    (tmp_path / "my").mkdir()
    s_th = Settings(data_dir=tmp_path / "th", ask_limit_per_agency_per_day=100)
    s_my = Settings(data_dir=tmp_path / "my", ask_limit_per_peer_per_day=60)
    e_th, e_my = _node(db_urls()), _answering_node(db_url, s_th)
    with e_th.begin() as conn:
        conn.execute(insert(peers).values(
            name="my-node", url="http://my.test", api_root="x", collection_id="x", token=TOKEN,
            public_key=public_key_text(load_or_create_node_key(s_my.data_dir).public),
            agency="MY-PDRM", created_at=NOW))
    add_report(e_my, "MY-PDRM", Marking(TLP.GREEN),
               ["phone:+60123456789", "email:mule@example.com"])
    add_report(e_my, "MY-PDRM", Marking(TLP.AMBER_STRICT), ["phone:+60199999999"])

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        made.sent.append(request)
        try:
            doc = service.answer_query(
                s_my, made.e_my, Reader(agency="TH-CCIB", is_peer=True), request.headers,
                request.content)
        except BersamaError as exc:
            return httpx.Response(401 if exc.code == "unauthenticated" else 400,
                                  json=exc.as_dict())
        return httpx.Response(200, json=doc)

    made = Nodes(s_th, e_th, s_my, e_my, [], httpx.MockTransport(handler))
    yield made
    e_th.dispose()
    made.e_my.dispose()


def _ask(nodes: Nodes, values: list[str]) -> service.AskReport:
    return service.ask_peers(nodes.s_th, nodes.e_th, values, asking_reader=ASKER, country="MY",
                             transport=nodes.transport)


def test_asker_learns_which_values_the_peer_may_reveal(nodes: Nodes) -> None:
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
    # the answering node's database (on SQLite its files, WAL included) never contains
    # what it does not hold
    if nodes.e_my.dialect.name == "postgresql":
        main, stored = "database", {"database": database_bytes(nodes.e_my)}
    else:
        nodes.e_my.dispose()
        db_file = Path(str(nodes.e_my.url.database))
        main = db_file.name
        stored = {f.name: f.read_bytes() for f in db_file.parent.glob(db_file.name + "*")}
    assert main in stored
    for name, raw in stored.items():
        assert b"125550101" not in raw
        assert b"+60199999999" in raw or name != main  # it does hold that one


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


def test_a_peer_whose_store_was_replaced_is_asked_with_its_new_setup(
    nodes: Nodes, db_urls: Callable[[], str]
) -> None:
    """A peer restored from a backup, or moved to another store, numbers its answer sets
    from 1 again under a new key: the asker kept the old set's setup (same generation,
    same size) and answered from it, wrongly, until it restarted."""
    assert _ask(nodes, ["+60123456789"]).results[0].held_by == ["my-node"]
    old = nodes.e_my
    nodes.e_my = _answering_node(db_urls(), nodes.s_th)
    old.dispose()
    add_report(nodes.e_my, "MY-PDRM", Marking(TLP.GREEN), ["phone:+60125550101"])
    add_report(nodes.e_my, "MY-PDRM", Marking(TLP.AMBER_STRICT), ["phone:+60199999999"])
    report = _ask(nodes, ["+60123456789", "+60 12-555 0101"])
    assert report.peer_errors == {}
    assert [r.held_by for r in report.results] == [[], ["my-node"]]
