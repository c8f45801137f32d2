"""`bersama synth`: write a generated scenario (demo data, benchmarks, exercises).

Mounted by the main app as `bersama synth` (a callback, so the options follow
the group name directly).  Generation is pure and deterministic by seed; this
module only parses options, shows progress and prints the summary.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from bersama.errors import InvalidInput
from bersama.synth import FORMATS, generate, write

app = typer.Typer(help="Generate a scenario of cross-border scam campaigns with an answer key.")


def _split(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


@app.callback(invoke_without_command=True)
def synth(
    out: Annotated[Path, typer.Option("--out",
                                      help="Directory to write (created; must be empty).")],
    seed: Annotated[int, typer.Option("--seed", min=0, help="Same seed, same scenario.")] = 1,
    observables: Annotated[int, typer.Option(
        "--observables", min=10, help="Distinct identifiers to generate (about).")] = 5_000,
    formats: Annotated[str, typer.Option(
        "--formats", help="Comma-separated: stix, misp, csv, text.")] = ",".join(FORMATS),
    countries: Annotated[str | None, typer.Option(
        "--countries", help="Reporting countries, comma-separated ISO codes (default: 7 "
        "ASEAN members for small scenarios, all 15 for larger ones).")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Last day of the 18-month window, YYYY-MM-DD (default: today, "
        "UTC).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the manifest as JSON.")] = False,
) -> None:
    """Write per-agency STIX, MISP, CSV and text files, agencies.json and answer_key.jsonl."""
    day: date | None = None
    if as_of is not None:
        try:
            day = date.fromisoformat(as_of)
        except ValueError:
            raise InvalidInput("--as-of must be a date YYYY-MM-DD", field="as_of",
                               value=as_of) from None
    scenario = generate(seed, observables, _split(countries), as_of=day,
                        formats=_split(formats) or [])
    console = Console(stderr=True)
    with Progress(TextColumn("synth"), BarColumn(), TextColumn("{task.completed:,} / "
                  "{task.total:,} observables"), TimeElapsedColumn(), console=console,
                  disable=json_out) as bar:
        task = bar.add_task("synth", total=observables)
        manifest = write(scenario, out, progress=lambda n: bar.update(task, completed=n))
    if json_out:
        import orjson

        typer.echo(orjson.dumps(manifest, option=orjson.OPT_INDENT_2).decode())
        return
    fmts = ", ".join(f"{k} {v:,}" for k, v in manifest["formats"].items())
    typer.echo(
        f"wrote {manifest['reports']:,} reports with {manifest['observables']:,} observables "
        f"from {manifest['agencies']} agencies in {len(manifest['countries'])} countries to "
        f"{out}\n  {manifest['campaigns']:,} campaigns "
        f"({manifest['cross_border_campaigns']:,} cross-border), "
        f"{manifest['noise_reports']:,} unrelated reports, "
        f"{manifest['list_reports']:,} partner feed(s), "
        f"{manifest['invalid_values']:,} invalid values to reject\n  formats: {fmts}\n"
        f"  register {out / 'agencies.json'}; check against {out / 'answer_key.jsonl'}"
    )


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="synth")
