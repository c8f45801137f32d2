"""Interoperability with tools no one here wrote, over real sockets.

- taxii2-client (OASIS) against our node served by uvicorn in a subprocess:
  discovery, API root, collections, paging through objects with filters,
  adding objects and polling their status;
- our sync pulling from medallion (the OASIS reference server, memory backend)
  started by the test, with signed objects (in-object carrier) accepted and
  unsigned ones refused.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from taxii2client.v21 import Server, as_pages

from bersama.config import Settings
from bersama.federation.client import ClientLimits, TaxiiClient
from bersama.federation.signing import INLINE_SIGNATURE, NodeKey
from bersama.federation.sync import add_peer, get_peers, sync_peer
from bersama.ingest.model import ReportDraft
from bersama.ingest.pipeline import ingest
from bersama.markings import TLP, Marking, Reader, Role
from bersama.observables import phone
from bersama.store import apitokens, identities
from bersama.store.db import open_engine
from bersama.store.tables.core import reports

NOW = datetime(2026, 3, 1, tzinfo=UTC)
SRC = str(Path(__file__).resolve().parents[2] / "src")
SERVE = """
import sys, uvicorn
from bersama.config import Settings
from bersama.api.app import create_app
from bersama.api.routers import taxii
app = create_app(Settings())
if not any(getattr(r, "path", "") == "/taxii2/" for r in app.routes):
    app.include_router(taxii.router)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(url: str, proc: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"server at {url} did not start")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture
def our_node(tmp_path: Path, db_url: str) -> Iterator[tuple[str, str]]:
    """A node with 7 GREEN reports, served on a free port; yields (base URL, token)."""
    settings = Settings(data_dir=tmp_path, environment="test", database_url=db_url)
    engine = open_engine(settings)
    with engine.begin() as conn:
        identities.add_agency(conn, code="MY-PDRM", name="PDRM", country="MY", type="police",
                              now=NOW)
        identities.add_user(conn, email="ana@pdrm.my", agency="MY-PDRM",
                            role=identities.parse_role("analyst"), now=NOW)
        token = apitokens.create_token(conn, user="ana@pdrm.my", now=NOW)[1]
        for i in range(1, 8):
            d = ReportDraft(source_id=f"report--{uuid.UUID(int=i, version=4)}", modified=NOW,
                            observables=(phone(f"+6012345{i:04d}"),), title=f"r{i}",
                            marking=Marking(TLP.GREEN))
            at = NOW + timedelta(minutes=i)
            ingest(conn, settings, agency="MY-PDRM", items=[d], source_format="stix",
                   source="t", actor=Reader(agency="MY-PDRM", role=Role.ANALYST),
                   clock=lambda at=at: at)  # type: ignore[misc]
    engine.dispose()
    port = free_port()
    env = {**os.environ, "BERSAMA_DATA_DIR": str(tmp_path), "BERSAMA_ENVIRONMENT": "test",
           "BERSAMA_DATABASE_URL": db_url, "PYTHONPATH": SRC}
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", SERVE, str(port)], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_up(base + "/taxii2/", proc)
        yield base, token
    finally:
        stop(proc)


def test_taxii2_client_against_our_server(our_node: tuple[str, str]) -> None:
    base, token = our_node
    server = Server(base + "/taxii2/", user=token.split("_")[1], password=token)
    assert server.title.startswith("Bersama node")
    root = server.default
    assert root.versions == ["application/taxii+json;version=2.1"]
    coll = next(c for c in root.collections if c.alias == "shared")
    assert coll.can_read
    assert coll.can_write
    pages = list(as_pages(coll.get_objects, per_request=3, type="report"))
    got = [o["id"] for p in pages for o in p.get("objects", [])]
    assert got == [f"report--{uuid.UUID(int=i, version=4)}" for i in range(1, 8)]
    assert len(pages) == 3
    filtered = coll.get_objects(added_after="2026-03-01T00:05:30Z", type="report")
    assert {o["id"] for o in filtered["objects"]} == {
        f"report--{uuid.UUID(int=i, version=4)}" for i in (6, 7)}
    manifest = coll.get_manifest(type="report")
    assert len(manifest["objects"]) == 7
    sco_id = "url--0b7e4a3c-2d1f-5e6a-9b8c-7d6e5f4a3b2c"
    envelope = {"objects": [
        {"type": "report", "spec_version": "2.1", "id": "report--" + str(uuid.uuid4()),
         "created": "2026-02-01T00:00:00.000Z", "modified": "2026-02-01T00:00:00.000Z",
         "name": "from taxii2-client", "published": "2026-02-01T00:00:00.000Z",
         "object_refs": [sco_id],
         "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]},
        {"type": "url", "spec_version": "2.1", "id": sco_id, "value": "http://scam-shop.com/a"},
    ]}
    status = coll.add_objects(json.dumps(envelope))
    assert status.status == "complete"
    assert status.total_count == 2
    status.refresh()
    assert status.success_count + status.failure_count == 2


MEDALLION_DATA = {
    "/discovery": {"title": "medallion", "description": "test", "default": "/api1/",
                   "api_roots": ["/api1/"]},
    "api1": {
        "information": {"title": "api1", "description": "test",
                        "versions": ["application/taxii+json;version=2.1"],
                        "max_content_length": 9765625},
        "status": [],
        "collections": [{
            "id": "91a7b528-80eb-42ed-a74d-c6fbd5a26116", "title": "shared",
            "can_read": True, "can_write": True,
            "media_types": ["application/stix+json;version=2.1"],
            "objects": [], "manifest": []}],
    },
}


@pytest.fixture
def medallion(tmp_path: Path) -> Iterator[str]:
    data = tmp_path / "medallion-data.json"
    data.write_text(json.dumps(MEDALLION_DATA))
    config = tmp_path / "medallion.json"
    config.write_text(json.dumps({
        "backend": {"module": "medallion.backends.memory_backend",
                    "module_class": "MemoryBackend", "filename": str(data)},
        "users": {"peer": "secret"}, "taxii": {"max_page_size": 4}}))
    port = free_port()
    exe = str(Path(sys.executable).parent / "medallion")
    proc = subprocess.Popen(  # noqa: S603 - the venv's medallion, fixed arguments
        [exe, "--port", str(port), str(config)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_up(base + "/taxii2/", proc)
        yield base
    finally:
        stop(proc)


def test_sync_pulls_from_medallion(medallion: str, tmp_path: Path, db_url: str) -> None:
    key = NodeKey.generate()
    objects = []
    for i in range(1, 10):
        sco = {"type": "url", "spec_version": "2.1",
               "id": f"url--{uuid.UUID(int=1000 + i, version=4)}",
               "value": f"http://scam{i}-shop.com/"}
        rep = {"type": "report", "spec_version": "2.1",
               "id": f"report--{uuid.UUID(int=i, version=4)}",
               "created": "2026-02-01T00:00:00.000Z", "modified": "2026-02-01T00:00:00.000Z",
               "name": f"m{i}", "published": "2026-02-01T00:00:00.000Z",
               "object_refs": [sco["id"]],
               "object_marking_refs": [
                   "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]}
        for obj in (rep, sco):
            if i != 9:  # report 9 and its SCO arrive unsigned
                obj[INLINE_SIGNATURE] = key.sign(obj)
            objects.extend([obj])
    with httpx.Client(auth=("peer", "secret")) as http:
        r = http.post(medallion + "/api1/collections/91a7b528-80eb-42ed-a74d-c6fbd5a26116/"
                      "objects/", content=json.dumps({"objects": objects}),
                      headers={"Content-Type": "application/taxii+json;version=2.1",
                               "Accept": "application/taxii+json;version=2.1"})
        assert r.status_code == 202, r.text

    settings = Settings(data_dir=tmp_path / "node", environment="test", database_url=db_url)
    engine = open_engine(settings)
    with engine.begin() as conn:
        identities.add_agency(conn, code="OASIS", name="medallion", country="US",
                              type="cert", now=NOW, is_peer=True)
    client = TaxiiClient("peer:secret", limits=ClientLimits(page_limit=4, retries=0))
    with engine.begin() as conn:
        add_peer(conn, name="med", url=medallion + "/taxii2/",
                 collection="91a7b528-80eb-42ed-a74d-c6fbd5a26116", token="peer:secret",
                 key=key.kid, agency="OASIS", push_collection=None, client=client, now=NOW)
    with engine.connect() as conn:
        peer = get_peers(conn, "med")[0]
    result = sync_peer(engine, settings, peer, client=client)
    assert result.error is None, result.error
    assert result.received == 18
    assert result.refused_signature == 2
    assert result.rejected == 0, result
    with engine.connect() as conn:
        held = set(conn.execute(select(reports.c.stix_id)).scalars())
    assert held == {f"report--{uuid.UUID(int=i, version=4)}" for i in range(1, 9)}
    again = sync_peer(engine, settings, peer, client=client)
    assert again.accepted == 0
    client.close()
    engine.dispose()
