"""Three real nodes (MY police, TH anti-scam centre, JP partner) as `bersama serve` processes.

Each node has its own SQLite database and key (in one variant of the first test, TH's
database is on PostgreSQL: it receives, forwards and serves).  Reports are shared under
GREEN, AMBER for the MY-TH group, AMBER+STRICT and RED; nodes pull with
`bersama peer sync`; the test asserts exactly which node holds which report,
then kills a syncing process with SIGKILL mid-sync and a serving node mid-sync,
re-runs, and asserts no loss and no duplicates; a wrong key is refused.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from tests.integration.test_taxii_interop import free_port, stop, wait_up

from bersama.config import Settings
from bersama.federation.signing import load_or_create_node_key
from bersama.ingest.model import ReportDraft
from bersama.ingest.pipeline import ingest
from bersama.markings import TLP, Marking, Reader, Role
from bersama.observables import phone
from bersama.store import apitokens, identities
from bersama.store.db import open_engine
from bersama.store.tables.core import reports, stix_objects

pytestmark = pytest.mark.slow
NOW = datetime(2026, 3, 1, tzinfo=UTC)
BIN = str(Path(sys.executable).parent / "bersama")
AGENCIES = {"my": ("MY-PDRM", "MY"), "th": ("TH-AOC", "TH"), "jp": ("JP-NPA", "JP")}


def rid(n: int) -> str:
    return f"report--{uuid.UUID(int=n, version=4)}"


@dataclass
class Node:
    name: str
    data: Path
    port: int
    engine: Engine
    database_url: str | None = None
    tokens: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def agency(self) -> str:
        return AGENCIES[self.name][0]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/taxii2/"

    def env(self, **extra: str) -> dict[str, str]:
        database = {"BERSAMA_DATABASE_URL": self.database_url} if self.database_url else {}
        return {**os.environ, "BERSAMA_DATA_DIR": str(self.data),
                "BERSAMA_ENVIRONMENT": "test", **database,
                "BERSAMA_SYNC_INTERVAL_SECONDS": "0", "BERSAMA_NODE_NAME": self.name, **extra}

    def start(self) -> None:
        self.proc = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
            [BIN, "serve", "--port", str(self.port)], env=self.env(),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_up(self.url, self.proc)

    def cli(self, *args: str, check: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([BIN, *args], env=self.env(**env), capture_output=True,  # noqa: S603
                              text=True, timeout=300, check=False)
        if check and done.returncode != 0:
            raise AssertionError(f"bersama {' '.join(args)}: {done.stdout}{done.stderr}")
        return done

    def publish(self, drafts: list[ReportDraft]) -> None:
        settings = Settings(data_dir=self.data, environment="test")
        actor = Reader(agency=self.agency, user=f"analyst@{self.name}", role=Role.ANALYST)
        with self.engine.begin() as conn:
            ingest(conn, settings, agency=self.agency, items=drafts, source_format="stix",
                   source="test", actor=actor)

    def held(self) -> dict[str, str | None]:
        """Report id -> origin peer (None: our own)."""
        with self.engine.connect() as conn:
            return {r.stix_id: r.origin_peer for r in conn.execute(
                select(reports.c.stix_id, reports.c.origin_peer))}

    def key(self) -> str:
        return load_or_create_node_key(self.data).kid


def make_node(tmp: Path, name: str, database_url: str | None = None) -> Node:
    data = tmp / name
    settings = Settings(data_dir=data, environment="test", database_url=database_url)
    engine = open_engine(settings)
    node = Node(name, data, free_port(), engine, database_url)
    with engine.begin() as conn:
        for other, (code, country) in AGENCIES.items():
            identities.add_agency(conn, code=code, name=code, country=country, type="police",
                                  now=NOW, is_peer=other != name)
        identities.add_group(conn, name="mekong", agencies_=["MY-PDRM", "TH-AOC"], now=NOW)
        identities.add_user(conn, email=f"analyst@{name}", agency=node.agency,
                            role=identities.parse_role("admin"), now=NOW)
        for other, (code, _) in AGENCIES.items():
            if other != name:
                node.tokens[other] = apitokens.create_token(conn, peer_agency=code, now=NOW)[1]
    node.key()
    return node


def draft(n: int, marking: Marking, *, phone_no: str | None = None) -> ReportDraft:
    return ReportDraft(source_id=rid(n), modified=NOW + timedelta(seconds=n),
                       observables=(phone(phone_no or f"+6012{1000000 + n:07d}"),),
                       title=f"report {n}", marking=marking)


@pytest.fixture
def nodes(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, Node]]:
    """The three nodes, on SQLite; with the indirect parameter "th-on-postgresql", TH's
    database is on PostgreSQL."""
    th_on_pg = getattr(request, "param", None) == "th-on-postgresql"
    th_url = request.getfixturevalue("pg_url") if th_on_pg else None
    made = {n: make_node(tmp_path, n, th_url if n == "th" else None) for n in AGENCIES}
    try:
        for node in made.values():
            node.start()
        yield made
    finally:
        for node in made.values():
            if node.proc is not None:
                stop(node.proc)
            node.engine.dispose()


def add_peer(at: Node, remote: Node, *, key: str | None = None, check: bool = True
             ) -> subprocess.CompletedProcess[str]:
    return at.cli("peer", "add", remote.name, remote.url, "--collection", "shared",
                  "--token", remote.tokens[at.name], "--key", key or remote.key(),
                  "--agency", remote.agency, check=check)


@pytest.mark.parametrize("nodes", ["sqlite", "th-on-postgresql"], indirect=True)
def test_three_nodes_share_exactly_what_markings_allow(nodes: dict[str, Node]) -> None:
    my, th, jp = nodes["my"], nodes["th"], nodes["jp"]
    my.publish([draft(1, Marking(TLP.GREEN)),
                draft(2, Marking(TLP.AMBER, group="mekong")),
                draft(3, Marking(TLP.AMBER_STRICT, recipient_agencies=frozenset({"TH-AOC"}))),
                draft(4, Marking(TLP.RED, recipient_users=frozenset({"analyst@my"})))])
    th.publish([draft(21, Marking(TLP.GREEN), phone_no="+66812345678"),
                draft(22, Marking(TLP.AMBER_STRICT, recipient_agencies=frozenset({"JP-NPA"})),
                      phone_no="+66812345679")])
    # a peer presenting the wrong key is refused, and nothing is registered
    wrong = add_peer(th, my, key=jp.key(), check=False)
    assert wrong.returncode == 6, wrong.stdout + wrong.stderr
    assert "publishes key" in wrong.stdout + wrong.stderr
    add_peer(th, my)
    add_peer(jp, my)
    add_peer(jp, th)
    add_peer(my, th)
    th.cli("peer", "sync")       # TH pulls MY first, so it has MY's reports to (not) forward
    jp.cli("peer", "sync")
    my.cli("peer", "sync")

    assert th.held() == {rid(1): "my", rid(2): "my", rid(3): "my", rid(21): None,
                         rid(22): None}
    # JP: MY's GREEN (from MY; TH does not forward what MY already gave, nor MY's AMBER,
    # AMBER+STRICT or RED), TH's GREEN and the AMBER+STRICT TH addressed to JP
    assert jp.held() == {rid(1): "my", rid(21): "th", rid(22): "th"}
    # MY: TH's GREEN only; TH never echoes MY's own reports back
    assert my.held() == {rid(1): None, rid(2): None, rid(3): None, rid(4): None,
                         rid(21): "th"}
    listing = jp.cli("peer", "list", "--json").stdout
    assert "bsm_" not in listing  # tokens are never printed

    # updates and withdrawals travel
    my.publish([ReportDraft(source_id=rid(1), modified=NOW + timedelta(days=1),
                            observables=(phone("+60121000001"),), title="report 1 v2",
                            marking=Marking(TLP.GREEN), revoked=True)])
    th.cli("peer", "sync", "my")
    jp.cli("peer", "sync", "my")
    for node in (th, jp):
        with node.engine.connect() as conn:
            revoked = conn.execute(select(reports.c.revoked).where(
                reports.c.stix_id == rid(1))).scalar()
        assert revoked is True


def test_kill_mid_sync_then_resume_without_loss_or_duplicates(nodes: dict[str, Node]) -> None:
    my, jp = nodes["my"], nodes["jp"]
    expected = {rid(1000 + i) for i in range(600)}
    for start in range(0, 600, 200):
        my.publish([draft(1000 + i, Marking(TLP.GREEN)) for i in range(start, start + 200)])
    add_peer(jp, my)
    # 1. the syncing process dies (SIGKILL) after some pages are committed
    sync = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
        [BIN, "peer", "sync", "my"], env=jp.env(BERSAMA_PEER_PAGE_SIZE="5"),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(jp.held()) < 20:
        time.sleep(0.01)
    sync.send_signal(signal.SIGKILL)
    sync.wait()
    partial = len(jp.held())
    assert 0 < partial < 600
    # 2. the serving node dies mid-sync and comes back
    assert my.proc is not None
    sync2 = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
        [BIN, "peer", "sync", "my"], env=jp.env(BERSAMA_PEER_PAGE_SIZE="5"),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while time.monotonic() < deadline and len(jp.held()) < partial + 20:
        time.sleep(0.01)
    interrupted = sync2.poll() is None
    my.proc.send_signal(signal.SIGKILL)
    my.proc.wait()
    code = sync2.wait(120)
    if interrupted:  # (on a very fast machine the sync may finish first)
        assert code != 0  # the sync reports the failure
    my.start()
    jp.cli("peer", "sync", "my", BERSAMA_PEER_PAGE_SIZE="5")
    assert set(jp.held()) == expected
    with jp.engine.connect() as conn:
        dupes = conn.execute(
            select(stix_objects.c.object_id, stix_objects.c.modified, func.count())
            .where(stix_objects.c.type == "report")
            .group_by(stix_objects.c.object_id, stix_objects.c.modified)
            .having(func.count() > 1)).all()
    assert dupes == []
    listed = json.loads(jp.cli("peer", "list", "--json").stdout)
    if interrupted:
        assert listed[0]["failures"]["peer"] >= 1  # the failed sync was counted
    assert listed[0]["last_error"] is None  # and the last sync succeeded


def test_push_sends_only_what_markings_allow_signed_and_idempotent(
        nodes: dict[str, Node]) -> None:
    """MY pushes to TH's writable collection; TH pushes on to JP; sovereignty holds."""
    my, th, jp = nodes["my"], nodes["th"], nodes["jp"]
    my.publish([draft(31, Marking(TLP.GREEN)),
                draft(32, Marking(TLP.AMBER, group="mekong")),
                draft(33, Marking(TLP.AMBER_STRICT, recipient_agencies=frozenset({"TH-AOC"}))),
                draft(34, Marking(TLP.AMBER_STRICT, recipient_agencies=frozenset({"JP-NPA"}))),
                draft(35, Marking(TLP.RED, recipient_users=frozenset({"analyst@my"})))])
    # receivers pin the pusher's key (a pushed page is verified like a pulled one)
    add_peer(th, my)
    add_peer(jp, th)
    for at, remote in ((my, th), (th, jp)):
        at.cli("peer", "add", remote.name, remote.url, "--collection", "shared",
               "--token", remote.tokens[at.name], "--key", remote.key(),
               "--agency", remote.agency, "--push-collection", "shared")
        # (re-registering a pulled peer is refused; `add_peer` above was the other way)
    done = my.cli("peer", "push", "th", "--json")
    pushed = json.loads(done.stdout)[0]
    assert pushed["error"] is None
    assert pushed["failed"] == 0
    assert th.held() == {rid(31): "my", rid(32): "my", rid(33): "my"}
    # TH pushes on: never AMBER+STRICT/RED received from elsewhere, AMBER only in its group
    th.cli("peer", "push", "jp")
    assert jp.held() == {rid(31): "th"}
    # idempotent: nothing new, nothing sent; a newer version travels and replaces
    again = json.loads(my.cli("peer", "push", "th", "--json").stdout)[0]
    assert again["sent"] == 0
    assert again["error"] is None
    my.publish([ReportDraft(source_id=rid(31), modified=NOW + timedelta(days=1),
                            observables=(phone("+60121000031"),), title="report 31 v2",
                            marking=Marking(TLP.GREEN))])
    my.cli("peer", "sync", "th", "--push")
    with th.engine.connect() as conn:
        title = conn.execute(select(reports.c.title).where(reports.c.stix_id == rid(31))).scalar()
        count = conn.execute(select(func.count()).select_from(reports)).scalar()
    assert title == "report 31 v2"
    assert count == 3
    listed = json.loads(my.cli("peer", "list", "--json").stdout)
    th_row = next(r for r in listed if r["name"] == "th")
    assert th_row["pushed_until"] is not None
    assert th_row["last_push_error"] is None
