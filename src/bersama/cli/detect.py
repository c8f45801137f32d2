"""`bersama detect message|url`: score one item, or a file of them, offline.

Why a file mode: analysts receive exports of forwarded messages; `--file` reads
one item a line, or a CSV with a `text` (or `message`) / `url` column, and
with `--json` prints one JSON result per input item, in input order, so the
output can be joined back line by line.  A bad item gives an `error` object
on its line instead of stopping the run.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from bersama.errors import BersamaError, InvalidInput

app = typer.Typer(help="Score messages and URLs with the bundled detection models.",
                  no_args_is_help=True)

BATCH = 500


def _read_items(path: Path, columns: tuple[str, ...]) -> list[str]:
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise InvalidInput(f"cannot read {path}: {e.strerror}", field="file",
                           value=str(path)) from e
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InvalidInput(f"{path} is not valid UTF-8 (byte {e.start})", field="file",
                           value=str(path)) from e
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        fields = [f.strip().lower() for f in reader.fieldnames or []]
        col = next((c for c in columns if c in fields), None)
        if col is None:
            raise InvalidInput(f"{path}: CSV needs a column named one of {', '.join(columns)}",
                               field="file", value=",".join(fields))
        name = (reader.fieldnames or [])[fields.index(col)]
        return [row.get(name) or "" for row in reader]
    return text.splitlines()


def _detector() -> Any:
    from bersama.config import Settings
    from bersama.detection.detector import load_detector, read_list

    settings = Settings()
    det = load_detector(settings.model_dir)
    det.add_lists(read_list(settings.detection_allowlist),
                  read_list(settings.detection_blocklist))
    return det


def _score(kind: str, items: list[str]) -> list[dict[str, Any]]:
    det = _detector()
    fn = det.messages if kind == "message" else det.urls
    out: list[dict[str, Any]] = []
    for start in range(0, len(items), BATCH):
        chunk = items[start:start + BATCH]
        try:
            out += [r.as_dict() for r in fn(chunk)]
        except BersamaError:
            for j, item in enumerate(chunk):  # score one by one to isolate the bad line
                try:
                    out.append(fn([item])[0].as_dict())
                except BersamaError as e:
                    err = e.as_dict()
                    err["line"] = start + j + 1
                    err.pop("field", None)
                    out.append({"error": err})
    return out


def _human(r: dict[str, Any]) -> str:
    if "error" in r:
        return f"error (line {r['error'].get('line')}): {r['error']['detail']}"
    lines = [f"{r['label']}  p={r['probability']:.3f}  band={r['band']}  "
             f"language={r['language']}  model={r['model_version']}"]
    for t in r.get("scam_types", []):
        lines.append(f"  type {t['type']} {t['probability']:.2f} ({t['source']}: "
                     f"{', '.join(t['cues'])})")
    for f in r["top_features"]:
        lines.append(f"  {f['weight']:+.3f}  {f['name']}")
    for e in r["entities"]:
        lines.append(f"  entity {e['kind']}: {e['key']}")
    lines += [f"  note: {n}" for n in r["notes"]]
    return "\n".join(lines)


def _run(kind: str, value: str | None, file: Path | None, as_json: bool,
         columns: tuple[str, ...]) -> None:
    if (value is None) == (file is None):
        raise InvalidInput(f"give either a {kind} or --file, not both or neither", field=kind)
    items = _read_items(file, columns) if file is not None else [value or ""]
    results = _score(kind, items)
    if file is None and "error" in results[0]:
        e = results[0]["error"]
        raise InvalidInput(e["detail"], field=kind)
    for r in results:
        typer.echo(json.dumps(r, ensure_ascii=False) if as_json else _human(r))


@app.command("message")
def message(
    text: Annotated[str | None, typer.Argument(help="the message text")] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="one message a line, "
                                              "or a CSV with a text column")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON result a line")] = False,
) -> None:
    """Is this message a scam? Probability, band, types, language, evidence."""
    _run("message", text, file, as_json, ("text", "message", "body", "sms"))


@app.command("url")
def url(
    value: Annotated[str | None, typer.Argument(help="the URL")] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="one URL a line, or a "
                                              "CSV with a url column")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON result a line")] = False,
) -> None:
    """Is this URL phishing? Lexical and lookalike evidence, no lookups."""
    _run("url", value, file, as_json, ("url", "link", "uri"))


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="detect")
