"""The trust CLI end to end on each store: agencies, groups, users, tokens, audit."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import typer
from sqlalchemy import text, update
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from bersama.cli import agency, context, group, token, user
from bersama.cli import audit as audit_cli
from bersama.store import apitokens
from bersama.store.tables.trust import audit_log

runner = CliRunner()


@pytest.fixture
def cli(cli_node: Path) -> typer.Typer:
    root = typer.Typer()
    for mod in (agency, group, user, token, audit_cli):
        mod.register(root)
    return root


def run(app: typer.Typer, *args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def test_cli_flow(cli: typer.Typer) -> None:
    run(cli, "agency", "add", "MY-PDRM", "--country", "MY", "--name", "PDRM", "--type", "police",
        "--hint", "count")
    run(cli, "agency", "add", "TH-CCIB", "--country", "TH", "--name", "CCIB", "--type", "police")
    listed = json.loads(run(cli, "agency", "list", "--json"))
    assert [a["code"] for a in listed] == ["MY-PDRM", "TH-CCIB"]
    assert listed[0]["hint_amber"] == "count"
    run(cli, "group", "add", "MY-TH bilateral", "--agencies", "MY-PDRM,TH-CCIB")
    assert json.loads(run(cli, "group", "list", "--json")) == {
        "MY-TH bilateral": ["MY-PDRM", "TH-CCIB"]}
    run(cli, "user", "add", "aisyah@pdrm.my", "--agency", "MY-PDRM", "--role", "analyst")
    out = run(cli, "token", "create", "--user", "aisyah@pdrm.my", "--expires", "30d")
    plaintext = out.strip().splitlines()[-1]
    tid = apitokens.token_id_of(plaintext)
    assert tid is not None
    with context.engine().begin() as conn:
        reader = apitokens.authenticate(conn, plaintext, datetime.now(UTC)).reader
    assert reader.groups == frozenset({"MY-TH bilateral"})
    tokens = json.loads(run(cli, "token", "list", "--json"))
    assert plaintext not in json.dumps(tokens)
    assert tokens[0]["status"] == "active"
    run(cli, "token", "revoke", tid)
    assert json.loads(run(cli, "token", "list", "--json"))[0]["status"] == "revoked"
    assert "intact" in run(cli, "audit", "verify")
    exported = [json.loads(line) for line in run(cli, "audit", "export").splitlines()]
    assert [r["action"] for r in exported] == [
        "agency.add", "agency.add", "group.add", "user.add", "token.create", "token.revoke"]
    assert all(plaintext not in json.dumps(r) for r in exported)


def test_cli_errors_and_tamper(cli: typer.Typer) -> None:
    bad = runner.invoke(cli, ["agency", "add", "X1", "--country", "XX", "--name", "x",
                              "--type", "police"])
    assert bad.exit_code != 0
    run(cli, "agency", "add", "SG-SPF", "--country", "SG", "--name", "SPF", "--type", "police")
    run(cli, "agency", "add", "ID-POL", "--country", "ID", "--name", "Polri", "--type", "police")
    tamper = update(audit_log).where(audit_log.c.seq == 1).values(target="agency:EVIL")
    with context.engine().begin() as conn:
        if conn.dialect.name == "postgresql":  # the database refuses the edit (audit guards)
            with pytest.raises(DBAPIError, match="append-only"), conn.begin_nested():
                conn.execute(tamper)
            # the owner can drop a guard: the chain still shows the edit
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update"))
        conn.execute(tamper)
    result = runner.invoke(cli, ["audit", "verify", "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["problem"] == "edited"
    assert json.loads(result.stdout)["seq"] == 1
