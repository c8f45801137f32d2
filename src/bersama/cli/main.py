"""The `bersama` command: one module per command group, errors mapped once to exit codes."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from bersama.cli import (
    agency,
    ask,
    audit,
    core,
    demo,
    detect,
    disclosure,
    group,
    model,
    node,
    peer,
    psi,
    review,
    synth,
    token,
    user,
    warninglist,
)
from bersama.errors import (
    BersamaError,
    Busy,
    ConfigurationError,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PeerError,
    RateLimited,
    Unauthenticated,
)

EXIT_CODES: list[tuple[type[BersamaError], int]] = [
    (InvalidInput, 2),
    (NotFound, 3),
    (Unauthenticated, 4),
    (Forbidden, 4),
    (Conflict, 5),
    (PeerError, 6),
    (RateLimited, 7),
    (ConfigurationError, 8),
    (Busy, 9),
]

app = typer.Typer(
    name="bersama",
    help="Bersama: federated cybercrime intelligence exchange node.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
# Every command module registers itself (`register(root)`); this is the only list of them.
for _module in (
    core, demo, synth, agency, group, user, token, audit, warninglist, detect, model, review,
    node, peer, ask, disclosure, psi,
):
    _module.register(app)


def exit_code(exc: BersamaError) -> int:
    for cls, code in EXIT_CODES:
        if isinstance(exc, cls):
            return code
    return 1


def main() -> None:
    try:
        app()
    except BersamaError as exc:
        err = Console(stderr=True)
        where = "".join(
            f" [{k}: {v}]" for k, v in (("field", exc.field), ("line", exc.line)) if v is not None
        )
        err.print(f"[bold red]error:[/] {exc.detail}{where}", highlight=False)
        for item in exc.errors[:20]:
            err.print(f"  - {item}", highlight=False)
        sys.exit(exit_code(exc))
