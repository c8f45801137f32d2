"""`bersama model train|card`: rebuild the detection artefact and its model card.

Why a command and not a notebook: the shipped artefact must be reproducible by
anyone with the labelled data, with one seed, so its model card can be
checked.  The data directory defaults to `../shared/data` relative to the
current directory (the project root in CI); `--data-dir` overrides it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bersama.errors import InvalidInput

app = typer.Typer(help="Train and describe the detection models.", no_args_is_help=True)

DEFAULT_DATA_DIR = Path("..") / "shared" / "data"


@app.command("train")
def train(
    data_dir: Annotated[Path, typer.Option("--data-dir", help="labelled data (default: "
                                           "../shared/data from the current directory)")
                        ] = DEFAULT_DATA_DIR,
    out: Annotated[Path | None, typer.Option("--out", help="artefact directory (default: "
                                             "the package's artefacts/)")] = None,
    seed: Annotated[int, typer.Option("--seed")] = 13,
) -> None:
    """Train, evaluate and write the model artefact and model card."""
    from bersama.detection.detector import default_dir
    from bersama.detection.train import run

    if not data_dir.is_dir():
        raise InvalidInput(f"data directory not found: {data_dir}", field="data_dir",
                           value=str(data_dir))
    target = out or default_dir()
    card = run(data_dir, target, seed, log=lambda s: typer.echo(s, err=True))
    typer.echo(f"wrote {card['model']} to {target}")


@app.command("card")
def card(
    model_dir: Annotated[Path | None, typer.Option("--model-dir")] = None,
) -> None:
    """Print the model card of the installed (or given) artefact."""
    from bersama.detection.detector import default_dir

    path = (model_dir or default_dir()) / "model_card.md"
    if not path.is_file():
        raise InvalidInput(f"no model card at {path}", field="model_dir", value=str(path))
    typer.echo(path.read_text("utf-8"))


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="model")
