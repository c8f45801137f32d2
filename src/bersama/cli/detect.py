"""`bersama detect message|url`: score one item, or a file of them, offline.

Why a file mode: analysts receive exports of forwarded messages; `--file` reads
one item a line, or a CSV with a `text` (or `message`) / `url` column, and
with `--json` prints one JSON result per input item, in input order, so the
output can be joined back line by line.  A bad item gives an `error` object
on its line instead of stopping the run, and so does a CSV row with a cell over
the csv module's field limit (skipped to its end with `ingest.csvcells`, as
ingest skips it).

`--queue AGENCY` puts the messages scored likely or review into that agency's
review queue (the CLI's way in for files of forwarded messages, as the API's
is `"queue": true`); phone numbers written without a country code are read
as numbers of `--country`, or of the queueing agency's country.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from bersama.errors import BersamaError, InvalidInput, field_path
from bersama.ingest.csvcells import Cells, RowLines, over_limit

app = typer.Typer(help="Score messages and URLs with the bundled detection models.",
                  no_args_is_help=True)

BATCH = 500


class _RowLines(RowLines):
    """The lines of a CSV text for the csv reader, keeping those of the row it reads."""

    def __init__(self, text: str) -> None:
        super().__init__(",")
        self.lines = iter(io.StringIO(text, newline=""))

    def __next__(self) -> str:
        if not self.row_start:
            self.row = []
        text = next(self.lines)
        self._count_line()
        self.row.append(text)
        return text

    def _read_on(self, cells: Cells) -> None:
        while not cells.ended:
            rest = next(self.lines, None)
            if rest is None:
                break
            self.line += 1
            cells.feed(rest)


def _csv_items(path: Path, text: str, columns: tuple[str, ...]) -> list[str | BersamaError]:
    """The cells of the first of `columns` in a CSV, a row a item; a row with a cell over
    the csv module's field limit is an error in its place."""
    lines = _RowLines(text)
    reader = csv.reader(lines)
    try:
        header = next(reader, [])
        fields = [f.strip().lower() for f in header]
        col = next((c for c in columns if c in fields), None)
        if col is None:
            raise InvalidInput(f"{path}: CSV needs a column named one of {', '.join(columns)}",
                               field="file", value=",".join(fields))
        index = fields.index(col)
        items: list[str | BersamaError] = []
        while True:
            lines.row_start = 0
            try:
                row = next(reader, None)
            except csv.Error as e:
                if not str(e).startswith("field larger than field limit"):
                    raise
                row_start = lines.row_start
                what, _ = over_limit(lines.given_up(), header)
                items.append(InvalidInput(f"line {len(items) + 1} (the row at line {row_start} "
                                          f"of the file): {what}: row not scored"))
                continue
            if row is None:
                return items
            if row:  # a blank line is no row
                items.append(row[index] if index < len(row) else "")
    except csv.Error as e:
        raise InvalidInput(f"{path}: bad CSV at line {reader.line_num}: {e}",
                           field="file", value=str(path)) from e


def _read_items(path: Path, columns: tuple[str, ...]) -> list[str | BersamaError]:
    """The items of a file: one a line (split on newlines only, so a line is a line as
    `wc -l` counts it), or the rows of a CSV.  Undecodable bytes do not stop the run:
    they make their own line an error (`check_text` refuses the surrogates that
    `surrogateescape` leaves), so the output stays one result per input line."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise InvalidInput(f"cannot read {path}: {e.strerror}", field="file",
                           value=str(path)) from e
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise InvalidInput(f"{path} is not valid UTF-8 (it starts with a UTF-16 byte-order "
                           "mark): convert it to UTF-8", field="file", value=str(path))
    if raw[:8192].count(b"\x00") > 1:  # one NUL is one bad line, reported on its line
        raise InvalidInput(f"{path} looks like a binary file (NUL bytes), not text or CSV",
                           field="file", value=str(path))
    text = raw.decode("utf-8", "surrogateescape").removeprefix("\ufeff")
    if path.suffix.lower() == ".csv":
        return _csv_items(path, text, columns)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last line
    return [ln.removesuffix("\r") for ln in lines]


def _detector() -> Any:
    from bersama.config import Settings
    from bersama.detection.detector import configured_detector

    return configured_detector(Settings())


def _score(kind: str, items: list[str | BersamaError], country: str | None = None,
           single: bool = False) -> list[dict[str, Any]]:
    """One result per item, in order; an item that is already an error (a CSV row not
    read) or that cannot be scored gives `{"error": ...}` with its line."""
    det = _detector()

    def fn(chunk: list[str]) -> list[Any]:
        if not chunk:
            return []
        if kind == "message":
            return list(det.messages(chunk, country=country))
        return list(det.urls(chunk))

    def error(e: BersamaError, line: int) -> dict[str, Any]:
        err = e.as_dict()
        err["line"] = line
        err["detail"] = err["detail"].replace(field_path("items", 0),
                                              kind if single else f"line {line}")
        err.pop("field", None)
        return {"error": err}

    out: list[dict[str, Any]] = []
    for start in range(0, len(items), BATCH):
        chunk = items[start:start + BATCH]
        try:
            scored: Iterator[Any] | None = iter(fn([t for t in chunk if isinstance(t, str)]))
        except BersamaError as e:
            if e.field == "country":
                raise
            scored = None  # score one by one to isolate the bad line
        for j, item in enumerate(chunk, start + 1):
            if isinstance(item, BersamaError):
                out.append(error(item, j))
                continue
            try:
                out.append(next(scored).as_dict() if scored else fn([item])[0].as_dict())
            except BersamaError as e1:
                out.append(error(e1, j))
    return out


def _queue(items: list[str | BersamaError], results: list[dict[str, Any]], agency: str,
           source: str) -> int:
    """Queue the likely/review results for `agency`; sets `review_id` on each result."""
    from bersama.cli import context
    from bersama.ingest.pipeline import load_agency
    from bersama.store import review

    queued = 0
    with context.engine().begin() as conn:
        load_agency(conn, agency)  # a clear error for an unregistered agency
        for text, r in zip(items, results, strict=True):
            if "error" in r or not isinstance(text, str):
                continue
            r["review_id"] = review.enqueue(conn, agency=agency, text=text, result=r,
                                            source=source)
            queued += r["review_id"] is not None
    return queued


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
         columns: tuple[str, ...], country: str | None = None, queue_for: str | None = None,
         source: str | None = None) -> None:
    if (value is None) == (file is None):
        raise InvalidInput(f"give either a {kind} or --file, not both or neither", field=kind)
    items: list[str | BersamaError] = (_read_items(file, columns) if file is not None
                                       else [value or ""])
    results = _score(kind, items, country, single=file is None)
    if file is None and "error" in results[0]:
        raise InvalidInput(results[0]["error"]["detail"], field=kind)
    queued = None
    if queue_for is not None:
        queued = _queue(items, results, queue_for, source or (f"cli:{file}" if file else "cli"))
    for r in results:
        typer.echo(json.dumps(r, ensure_ascii=False) if as_json else _human(r))
    if queued is not None:
        typer.echo(f"queued {queued} of {len(items)} for review by {queue_for}", err=True)


@app.command("message")
def message(
    text: Annotated[str | None, typer.Argument(help="the message text")] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="one message a line, "
                                              "or a CSV with a text column")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON result a line")] = False,
    country: Annotated[str | None, typer.Option(
        "--country", help="country (ISO 3166-1 alpha-2) of phone numbers written without "
        "a country code; default: the --queue agency's")] = None,
    queue: Annotated[str | None, typer.Option(
        "--queue", metavar="AGENCY", help="queue likely/review messages for review by "
        "this registered agency (`bersama review list`)")] = None,
    source: Annotated[str | None, typer.Option(
        "--source", help="where the messages came from, kept with queued items")] = None,
) -> None:
    """Is this message a scam? Probability, band, types, language, evidence."""
    if queue is not None and country is None:
        from bersama.cli import context
        from bersama.store.identities import agency_country

        with context.engine().connect() as conn:
            country = agency_country(conn, queue)
    _run("message", text, file, as_json, ("text", "message", "body", "sms"), country, queue,
         source)


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
