"""Bersama nodes as real processes on loopback, set up through the real CLI.

Each `NodeProc` has its own data directory (SQLite database, node key), or its own
PostgreSQL database when given a `database_url`, its own environment (`BERSAMA_*`)
and a `bersama serve` process whose stdout and stderr go to `serve.log` in that
directory, so a test can grep everything a node ever wrote (`files_bytes`, with
`database_bytes` for a PostgreSQL database).  `cli()` runs `bersama ...` in a
subprocess with the node's environment; command groups that exist as modules but
are not registered in `bersama.cli.main` yet (agency, group, user, token) are
registered on the fly, so tests go through the same command functions either way.

`connect(a, b)` makes two nodes peers of each other the way administrators do:
agencies flagged `--peer`, a peer token issued by each side, `peer add` with
the other's public key (`bersama node key`).  Shared by the PSI tests and any
multi-node federation test.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, text

from bersama.store.db import make_engine

SRC = str(Path(__file__).resolve().parents[2] / "src")
RUNNER = """
import sys
from bersama.cli import main as m
have = {g.name for g in m.app.registered_groups}
import importlib
for name in ("agency", "group", "user", "token"):
    if name not in have:
        importlib.import_module(f"bersama.cli.{name}").register(m.app)
sys.argv = ["bersama", *sys.argv[1:]]
m.main()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class NodeProc:
    name: str
    agency: str
    country: str
    root: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    database_url: str | None = None
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.root / "serve.log"

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BERSAMA_")}
        env.update({
            "PYTHONPATH": SRC, "BERSAMA_ENVIRONMENT": "test", "BERSAMA_SYNC_INTERVAL_SECONDS": "0",
            "BERSAMA_DATA_DIR": str(self.root), "BERSAMA_NODE_NAME": self.name,
            "BERSAMA_NODE_URL": self.url, "BERSAMA_NODE_AGENCY": self.agency,
            "BERSAMA_NODE_AGENCY_NAME": f"{self.agency} (test)",
            "BERSAMA_NODE_COUNTRY": self.country, "NO_COLOR": "1", "COLUMNS": "200",
        })
        if self.database_url:
            env["BERSAMA_DATABASE_URL"] = self.database_url
        env.update(self.extra_env)
        return env

    def cli(
        self, *args: str, ok: bool = True, timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        """Run `bersama ARGS` for this node; with `ok`, fail loudly on a non-zero exit."""
        done = subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
            [sys.executable, "-c", RUNNER, *args], env=self.env, capture_output=True,
            text=True, timeout=timeout, check=False,
        )
        if ok and done.returncode != 0:
            raise AssertionError(f"bersama {' '.join(args)} exited {done.returncode}:\n"
                                 f"{done.stdout}\n{done.stderr}")
        return done

    def cli_json(self, *args: str) -> Any:
        return json.loads(self.cli(*args, "--json").stdout)

    def start(self, timeout: float = 60.0) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
            [sys.executable, "-c", RUNNER, "serve", "--port", str(self.port)],
            env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"node {self.name} exited {self.proc.returncode}:\n"
                                     f"{self.log_path.read_text(errors='replace')}")
            try:
                httpx.get(self.url + "/", timeout=1.0)
                return
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError(f"node {self.name} did not start in {timeout} s")

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def public_key(self) -> str:
        return self.cli("node", "key").stdout.strip()

    def add_agency(self, code: str, country: str, *, peer: bool = False, hint: str = "none",
                   type_: str = "police") -> None:
        args = ["agency", "add", code, "--country", country, "--name", f"{code} (test)",
                "--type", type_, "--hint", hint]
        self.cli(*args, *(["--peer"] if peer else []))

    def peer_token(self, agency: str) -> str:
        """A token for the peer node of `agency` (printed once on stdout)."""
        return self.cli("token", "create", "--peer", agency, "--expires", "2d").stdout.strip()

    def user_token(self, email: str, role: str = "analyst", agency: str | None = None) -> str:
        self.cli("user", "add", email, "--agency", agency or self.agency, "--role", role)
        return self.cli("token", "create", "--user", email, "--expires", "2d").stdout.strip()

    def files_bytes(self) -> dict[Path, bytes]:
        """Every file the node wrote: database (SQLite), WAL, key, logs; a PostgreSQL
        database as the pseudo-file `database` (`database_bytes`)."""
        files = {p: p.read_bytes() for p in sorted(self.root.rglob("*")) if p.is_file()}
        if self.database_url:
            engine = make_engine(self.database_url)
            try:
                files[self.root / "database"] = database_bytes(engine)
            finally:
                engine.dispose()
        return files


def database_bytes(engine: Engine) -> bytes:
    """Every row of every table of a PostgreSQL database, as text: what a dump holds."""
    with engine.connect() as conn:
        tables = conn.execute(text(
            "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public'")).scalars()
        return b"\n".join(row.encode() for table in tables.all() for row in conn.execute(
            text(f"SELECT CAST(t AS text) FROM {table} AS t")).scalars())  # noqa: S608


def connect(a: NodeProc, b: NodeProc, *, collection: str = "shared") -> None:
    """Make two running nodes peers of each other (agencies, tokens, keys, `peer add`)."""
    for me, other in ((a, b), (b, a)):
        known = {r["code"] for r in me.cli_json("agency", "list")}
        if other.agency not in known:
            me.add_agency(other.agency, other.country, peer=True)
    token_for_b = a.peer_token(b.agency)  # b presents it to a
    token_for_a = b.peer_token(a.agency)
    key_a, key_b = a.public_key(), b.public_key()
    a.cli("peer", "add", b.name, f"{b.url}/taxii2/", "--collection", collection,
          "--key", key_b, "--token", token_for_a, "--agency", b.agency)
    b.cli("peer", "add", a.name, f"{a.url}/taxii2/", "--collection", collection,
          "--key", key_a, "--token", token_for_b, "--agency", a.agency)
