"""Which adapter reads an input, when `--format` is not given.

By content first, because files are misnamed (`export.txt` holding JSON): a JSON
document is STIX when it has `"type": "bundle"` or STIX-shaped objects, MISP when
it has `"Event"`/`"response"` or MISP attribute keys; other text is CSV when its
first lines split consistently on one delimiter; otherwise text.  The file
extension only breaks ties (`.csv` with one column, `.json` we cannot tell).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Literal

Format = Literal["stix", "misp", "csv", "text"]
SNIFF_BYTES = 64 * 1024
_EXT: dict[str, Format] = {".csv": "csv", ".tsv": "csv", ".txt": "text", ".md": "text",
                           ".misp": "misp"}
_STIX = re.compile(rb'"type"\s*:\s*"bundle"|"spec_version"\s*:\s*"2\.[01]"')
_MISP = re.compile(rb'"(Event|response|Attribute|Orgc|attribute_count)"\s*:')


def sniff(source: str | Path | bytes, name: str | None = None) -> Format:
    """The format of a file path, or of its first bytes (`name` gives its extension)."""
    if isinstance(source, bytes):
        head = source[:SNIFF_BYTES]
    else:
        name = name or str(source)
        with Path(source).open("rb") as fh:
            head = fh.read(SNIFF_BYTES)
    ext = Path(name).suffix.lower() if name else ""
    body = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if body[:1] in (b"{", b"["):
        if _STIX.search(body):
            return "stix"
        if _MISP.search(body):
            return "misp"
        if ext == ".json":
            return "stix"
    if ext in _EXT and ext != ".txt":
        return _EXT[ext]
    if _looks_like_csv(body):
        return "csv"
    return "text"


def _looks_like_csv(head: bytes) -> bool:
    try:
        text = head.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        text = head.decode("latin-1")
    lines = [ln for ln in text.splitlines()[:20] if ln.strip()]
    if len(lines) < 2:
        return False
    if len(head) >= SNIFF_BYTES:
        lines = lines[:-1]  # the last line may be cut
    for delim in (",", ";", "\t", "|"):
        try:
            rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delim))
        except csv.Error:
            continue
        widths = {len(r) for r in rows if r}
        if len(widths) == 1 and widths.pop() >= 3:
            return True
    return False
