"""`bersama token create|revoke|list`: API tokens for users and peer nodes.

The plaintext is printed once, by `create`, to standard output only (so it
can be piped into a secret store); everything else names tokens by id.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bersama.cli.audit import record_cli
from bersama.cli.context import data_row, emit_json, engine
from bersama.store import apitokens

app = typer.Typer(help="API tokens: create (shown once), revoke, list.", no_args_is_help=True)
err = Console(stderr=True)
console = Console()


@app.command("create")
def create(
    user: Annotated[str | None, typer.Option(help="the user's e-mail")] = None,
    peer: Annotated[str | None, typer.Option(help="agency code of a peer node")] = None,
    expires: Annotated[str, typer.Option(help="30d, 12h, 45m, 2w or never")] = "30d",
    note: Annotated[str, typer.Option(help="what the token is for")] = "",
) -> None:
    """Create a token for a user or a peer agency and print it once."""
    now = datetime.now(UTC)
    with engine().begin() as conn:
        info, token = apitokens.create_token(conn, now=now, user=user, peer_agency=peer,
                                             expires=apitokens.parse_expiry(expires), note=note,
                                             peer_field="peer")
        record_cli(conn, "token.create", f"token:{info.id}",
                   {"user": info.user, "peer_agency": info.peer_agency})
    until = info.expires_at.isoformat() if info.expires_at else "never"
    err.print(f"token {info.id} for {info.user or 'peer ' + str(info.peer_agency)}, "
              f"expires {until}; it is shown only now:", highlight=False)
    typer.echo(token)


@app.command("revoke")
def revoke(token_id: Annotated[str, typer.Argument(help="the token's id")]) -> None:
    """Revoke a token: it stops working at once."""
    now = datetime.now(UTC)
    with engine().begin() as conn:
        info = apitokens.revoke_token(conn, token_id, now)
        record_cli(conn, "token.revoke", f"token:{info.id}")
    console.print(f"token {info.id} revoked", highlight=False)


@app.command("list")
def list_(
    json_out: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """List tokens (ids, owners, status; never the tokens themselves)."""
    now = datetime.now(UTC)
    with engine().connect() as conn:
        tokens = [t.as_dict(now) for t in apitokens.list_tokens(conn)]
    if json_out:
        emit_json(tokens)
        return
    table = Table("id", "for", "status", "expires", "last used", "note")
    for t in tokens:  # notes are data: escaped, never rich markup
        data_row(table,
            t["id"], t["user"] or f"peer {t['peer_agency']}", t["status"],
            t["expires_at"] or "never", t["last_used_at"] or "", t["note"])
    console.print(table)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="token")
