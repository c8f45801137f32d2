"""How the `bersama` command reports an error: all of what the error names, as it is."""

from __future__ import annotations

import io

from rich.console import Console

from bersama.cli.main import report
from bersama.errors import InvalidInput


def _printed(exc: InvalidInput) -> str:
    out = io.StringIO()
    report(exc, Console(file=out, width=200))
    return out.getvalue()


def test_the_field_and_line_are_printed_not_read_as_markup() -> None:
    exc = InvalidInput("unknown format 'foo'", field="formats", line=3)
    assert _printed(exc) == "error: unknown format 'foo' [field: formats] [line: 3]\n"


def test_brackets_in_what_the_error_says_are_printed_as_they_are() -> None:
    exc = InvalidInput("bad value '[bold]x[/bold]' in match[version]", field="items[2].text",
                       errors=[{"field": "[link]", "reason": "no"}])
    assert _printed(exc).splitlines() == [
        "error: bad value '[bold]x[/bold]' in match[version] [field: items[2].text]",
        "  - {'field': '[link]', 'reason': 'no'}"]
