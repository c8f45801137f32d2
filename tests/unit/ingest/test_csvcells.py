"""`Cells`: following a row the csv module refused, as the csv module reads it."""

from __future__ import annotations

import csv

from hypothesis import given, settings
from hypothesis import strategies as st

from bersama.ingest.csvcells import Cells


class _Pulls:
    """Lines for the csv reader, counting the pulls that found the end of the input."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = iter(lines)
        self.ends = 0

    def __iter__(self) -> _Pulls:
        return self

    def __next__(self) -> str:
        try:
            return next(self.lines)
        except StopIteration:
            self.ends += 1
            raise


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(text=st.text(alphabet='a,"\n', max_size=40), cut=st.integers(0, 40))
def test_the_cell_follower_reads_rows_as_the_csv_module_does(text: str, cut: int) -> None:
    """`Cells` (what skips a row the reader gave up on) ends a row where the reader does,
    counts its cells and cell lengths as the reader does, and survives any cut."""
    lines = text.splitlines(keepends=True)
    pulls = _Pulls(lines)
    reader, start, rows = csv.reader(pulls), 0, []
    for record in reader:
        rows.append((record, "".join(lines[start:reader.line_num]), pulls.ends > 0))
        start = reader.line_num
    limit = csv.field_size_limit(3)
    try:
        for record, row, unclosed in rows:
            cells = Cells(",", quoted=False)
            cells.feed(row[:cut])
            cells.feed(row[cut:])
            long = [i for i, c in enumerate(record) if len(c) > 3]
            assert (cells.cell, cells.over) == (max(len(record) - 1, 0), long[0] if long else None)
            if unclosed:
                assert (cells.ended, cells.state) == (False, cells.QUOTED)
            elif row.endswith("\n"):
                early = Cells(",", quoted=False)
                early.feed(row[:-1])
                assert (cells.ended, early.ended) == (True, False)
            else:
                assert not cells.ended
                assert cells.state != cells.QUOTED
    finally:
        csv.field_size_limit(limit)
