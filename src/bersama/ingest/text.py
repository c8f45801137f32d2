"""Free text (advisories, victim narratives) to report drafts.

Kept deliberately simple: the whole text is one report, unless it is split into
sections by lines made only of `---`, `===` or `***` (three or more), in which
case each non-empty section is one report.  Identifiers come from the
observables package's extractor (`extract_entities_with_rejections`), amounts
from `extract_amounts` (the first amount is the loss).  A value that looks like
an identifier but fails validation is a Rejection with its line.

Text has no ids or versions, so a section's id is a uuid5 of the agency's
country and the section's text (the same text twice changes nothing), and its
version (`modified`) is the first ISO date (YYYY-MM-DD) in the section, or
1970-01-01 when it has none.  Language is left unknown (None): the detection
package owns language identification.  Narratives are cut at
`fields.NARRATIVE_LIMIT` characters.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import BinaryIO

from bersama import observables as ob
from bersama.errors import InvalidInput
from bersama.ingest import fields
from bersama.ingest.model import Rejection, ReportDraft

MAX_TEXT_BYTES = 16 * 1024 * 1024
"""Free text is read whole (a section needs all of itself); larger input is refused."""
_NS = uuid.UUID("3b1a6d2e-5c0f-4f43-9a8e-1f6f0e2a0500")


def text_source_id(country: str, section: str) -> str:
    """The stable report id of a text section: its whitespace-collapsed text per country."""
    collapsed = " ".join(section.split())
    return f"report--{uuid.uuid5(_NS, f'{country}|{collapsed}')}"


_SEPARATOR = re.compile(r"^[ \t]*(?:-{3,}|={3,}|\*{3,})[ \t]*$", re.MULTILINE)
_DATE = re.compile(r"\b(20\d{2}|19\d{2})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])\b")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _decode(data: bytes, encoding: str) -> str:
    """`data` as text in `encoding` (ASCII-compatible: ingest/options.py checks it)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\x00" in data:
        raise InvalidInput("binary data (NUL byte): not a text file", field="text")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidInput(
            f"text is not {encoding} (line {line}); re-save it as UTF-8 or give its encoding "
            "(e.g. cp874, tis-620, cp1258)", line=line, field="encoding"
        ) from None


def sections(text: str) -> list[tuple[int, str]]:
    """(first line number, text) of each non-empty section."""
    out: list[tuple[int, str]] = []
    start = 0
    for m in _SEPARATOR.finditer(text):
        out.append((start, text[start : m.start()]))
        start = m.end()
    out.append((start, text[start:]))
    return [
        (text.count("\n", 0, s) + 1 + _leading_newlines(body), body.strip())
        for s, body in out
        if body.strip()
    ]


def _leading_newlines(body: str) -> int:
    return body[: len(body) - len(body.lstrip())].count("\n")


def parse_text(
    stream: BinaryIO, *, agency_country: str, source_name: str = "", encoding: str | None = None
) -> Iterator[ReportDraft | Rejection]:
    """Reports from free text; `encoding`: the text's, when not UTF-8 (legacy Thai or
    Vietnamese advisories)."""
    data = stream.read(MAX_TEXT_BYTES + 1)
    if len(data) > MAX_TEXT_BYTES:
        raise InvalidInput(
            f"text larger than {MAX_TEXT_BYTES} bytes: split it into files", field="text"
        )
    text = _decode(data, encoding or "utf-8")
    if not text.strip():
        raise InvalidInput("empty text", field="text")
    for first_line, body in sections(text):
        yield from _section(body, first_line, agency_country, source_name)


def _first_date(body: str) -> datetime | None:
    """The first real date: the pattern also matches days no month has (2026-02-30)."""
    for m in _DATE.finditer(body):
        try:
            return datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), tzinfo=UTC)
        except ValueError:
            continue
    return None


def _section(
    body: str, first_line: int, country: str, source_name: str
) -> Iterator[ReportDraft | Rejection]:
    found, rejected = ob.extract_entities_with_rejections(body, country=country)
    for r in rejected:
        line = first_line + body.count("\n", 0, r.start)
        yield Rejection(
            r.reason,
            line=line,
            field=r.kind.value if r.kind else "text",
            value=r.value,
            record=f"line {line}",
        )
    observables = {o.ref: o for o in found}
    amounts = ob.extract_amounts(body)
    when = _first_date(body)
    title = next((ln.strip() for ln in body.splitlines() if ln.strip()), "")[:200]
    yield ReportDraft(
        source_id=text_source_id(country, body),
        modified=when or _EPOCH,
        observables=tuple(observables.values()),
        title=title,
        loss_amount=amounts[0][0] if amounts else None,
        loss_currency=amounts[0][1] if amounts else None,
        occurred_at=when,
        narrative=fields.truncate(body),
        language=None,
        source_ref=f"{source_name or 'text'} line {first_line}",
    )
