"""The `bersama` command: one module per command group, errors mapped once to exit codes."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.markup import escape

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
        report(exc, Console(stderr=True))
        sys.exit(exit_code(exc))


def report(exc: BersamaError, err: Console) -> None:
    """The error as the user reads it, the field or line it names in brackets.

    What the error says is escaped: rich reads `[field: top]`, or `[link]` in a value
    the detail quotes, as markup, and printed nothing of it."""
    where = "".join(
        f" [{k}: {v}]" for k, v in (("field", exc.field), ("line", exc.line)) if v is not None
    )
    err.print(f"[bold red]error:[/] {escape(exc.detail + where)}", highlight=False)
    for item in exc.errors[:20]:
        err.print(escape(f"  - {item}"), highlight=False)
