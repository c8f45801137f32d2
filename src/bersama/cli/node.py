"""`bersama node`: this node's own identity (its Ed25519 signing key).

Why a command of its own: the public key is what a partner's administrator
pins with `bersama peer add --key`, so it must be printable exactly, without
starting the server; the private key never leaves the data directory.
"""

from __future__ import annotations

import typer

from bersama.cli.context import emit_json, settings
from bersama.federation.signing import load_or_create_node_key

app = typer.Typer(help="This node's identity.", no_args_is_help=True)


@app.command("key")
def key(json_out: bool = typer.Option(False, "--json", help="machine-readable output")) -> None:
    """Print the node's public key (created on first use), to give to peers."""
    node_key = load_or_create_node_key(settings().data_dir)
    if json_out:
        emit_json({"public_key": node_key.kid})
    else:
        typer.echo(node_key.kid)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="node")
