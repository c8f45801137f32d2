"""Following a CSV row that the csv module refused, to skip it whole and name its cell.

Python's `csv` refuses a cell longer than its field limit (131,072 characters
unless a program changed it, which we do not: the limit is process-wide) and
raises in the middle of the row, so the reader would start its next row inside
this one (within a quoted cell's line breaks, say).  Our policy is that such a
cell rejects only its row (docs/adr/0003-ingest-failure-policy.md): `Cells`
reads the row as the csv module does, to find where it ends and which cell was
too long, and `RowLines` keeps the lines of the row being read, to follow it
from its start.  The hotline CSV adapter (`ingest.csv`, lines read from bytes
with a bound on a row) and `bersama detect --file` (lines of a decoded text)
both use them.
"""

from __future__ import annotations

import csv as _csv
import re
from abc import ABC, abstractmethod
from typing import Self


class Cells:
    """Follows the csv reader's reading of a row it gave up on, so it can be skipped whole
    and its over-long cell named.

    The states are those of CPython's `_csv` for our dialect (quote `"`, doubled inside
    a quoted cell; no escape character; not strict): a cell that starts with a quote
    runs to the quote that is not doubled, a quote elsewhere is a character, and only a
    line end outside quotes ends the row.  Text may come in pieces (a line longer than
    a read), so every state survives the end of a piece."""

    START, UNQUOTED, QUOTED, QUOTE = range(4)

    def __init__(self, delimiter: str, *, quoted: bool) -> None:
        self.delimiter = delimiter
        self.stops = re.compile(f"[{re.escape(delimiter)}\r\n]")
        self.state = self.QUOTED if quoted else self.START
        self.cell = 0
        self.length = 0
        self.over: int | None = None
        """The first cell longer than the csv module's field limit."""
        self.ended = False

    def feed(self, text: str) -> None:
        pos, n = 0, len(text)
        while pos < n and not self.ended:
            c = text[pos]
            if self.state == self.QUOTED:
                end = text.find('"', pos)
                end = n if end < 0 else end
                self._grow(end - pos)
                pos, self.state = end + 1, self.QUOTE if end < n else self.QUOTED
            elif self.state == self.UNQUOTED:
                stop = self.stops.search(text, pos)
                end = n if stop is None else stop.start()
                self._grow(end - pos)
                pos = end
                if end < n:  # the stop is read as at the start of a cell: ends this one
                    self.state = self.START
            elif self.state == self.QUOTE and c == '"':  # a doubled quote: one character
                self._grow(1)
                pos, self.state = pos + 1, self.QUOTED
            elif c == self.delimiter or c in "\r\n":
                self._after_cell(c)
                pos += 1
            elif self.state == self.START and c == '"':
                pos, self.state = pos + 1, self.QUOTED
            else:  # a cell's first character, or one after its closing quote
                self.state = self.UNQUOTED

    def _after_cell(self, c: str) -> None:
        if c == self.delimiter:
            self.cell, self.length, self.state = self.cell + 1, 0, self.START
        else:
            self.ended = True

    def _grow(self, n: int) -> None:
        self.length += n
        if self.over is None and self.length > _csv.field_size_limit():
            self.over = self.cell


def over_limit(cells: Cells, header: list[str]) -> tuple[str, str]:
    """What was too long in the row `cells` followed ("column 4 (Details) is longer than
    131,072 characters"), and the name of that column (else "column 4")."""
    over = cells.over
    column = f"column {over + 1}" if over is not None else "a column"
    name = header[over] if over is not None and over < len(header) else None
    return (f"{column}{f' ({name})' if name else ''} is longer than "
            f"{_csv.field_size_limit():,} characters", name or column)


class RowLines(ABC):
    """Lines for the csv reader that keep those of the row it is reading, so that a row it
    gives up on can be followed from its start to its end (`given_up`).

    A subclass reads a line in `__next__`: it starts a new `row` when `row_start` is 0,
    counts the line with `_count_line` and appends it to `row`; `_read_on` reads on past
    the row.  The caller sets `row_start` to 0 before asking the reader for a row."""

    def __init__(self, delimiter: str) -> None:
        self.delimiter = delimiter
        self.line = 0
        self.row_start = 0
        """The first line of the row being read; 0 until the reader asks for one."""
        self.row: list[str] = []

    def __iter__(self) -> Self:
        return self

    @abstractmethod
    def __next__(self) -> str: ...

    @abstractmethod
    def _read_on(self, cells: Cells) -> None:
        """Read on to the end of the row `cells` follows."""

    def _count_line(self) -> bool:
        """Count a line just read; True when it continues the row (a quoted line break)."""
        continued = bool(self.row_start)
        self.line += 1
        self.row_start = self.row_start or self.line
        return continued

    def given_up(self) -> Cells:
        """The row the reader gave up on, followed from its start and skipped to its end."""
        cells = Cells(self.delimiter, quoted=False)
        for text in self.row:
            cells.feed(text)
        self._read_on(cells)
        return cells
