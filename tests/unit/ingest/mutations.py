"""Mutators for fuzzing the ingest adapters: valid inputs, broken in the ways partners break them.

The valid inputs are the unit fixtures and a small `bersama synth` scenario.
Every mutator takes a `random.Random`, so the same code serves the permanent
property tests (Hypothesis hands over its own seeded `Random`, derandomized)
and longer exploratory runs with any seed.  A JSON document is mutated as a
tree first (a property dropped, a value of the wrong type, a huge number, NaN,
deep nesting, a wrong `spec_version`, an odd timestamp, a duplicate key...),
then serialised by `dump` (which can write what `json.dumps` will not: repeated
keys and lone surrogates), then possibly mutated as bytes (truncated, a BOM,
bytes that are not UTF-8, a very long line).  CSV and text are mutated by row
and cell, then as bytes the same way.
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
import tempfile
from collections.abc import Callable
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from bersama.synth.scenario import generate
from bersama.synth.write import write

FIXTURES = Path(__file__).parent / "fixtures"

STIX_SEEDS = ("bundle_scam.json", "bundle_bad.json", "bundle_stix20.json")
MISP_SEEDS = ("misp_event.json", "misp_response.json")
CSV_SEEDS = ("hotline.csv", "hotline_latin1.csv", "hotline_missing_column.csv")
TEXT_SEEDS = ("advisory_en.txt", "advisory_ms.txt")


class Pairs(list[tuple[Any, Any]]):
    """A JSON object written as these (key, value) pairs: keys may repeat."""


def seed(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


# -- serialising ------------------------------------------------------------------------------


def dump(value: Any) -> str:
    """JSON text of `value`, with NaN/Infinity, huge numbers, repeated keys (`Pairs`) and lone
    surrogates written as such.  Iterative: a mutation may nest thousands of levels."""
    out: list[str] = []
    stack: list[Any] = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, _Raw):
            out.append(v.text)
        elif isinstance(v, dict | Pairs):
            items = list(v.items()) if isinstance(v, dict) else list(v)
            stack.append(_Raw("}"))
            for i, (k, item) in reversed(list(enumerate(items))):
                stack.append(item)
                stack.append(_Raw(("," if i else "") + _string(str(k)) + ":"))
            out.append("{")
        elif isinstance(v, list):
            stack.append(_Raw("]"))
            for i, item in reversed(list(enumerate(v))):
                stack.append(item)
                if i:
                    stack.append(_Raw(","))
            out.append("[")
        elif isinstance(v, str):
            out.append(_string(v))
        elif isinstance(v, float) and not math.isfinite(v):
            out.append("NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity"))
        else:
            out.append(json.dumps(v))
    return "".join(out)


class _Raw:
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _string(s: str) -> str:
    # ensure_ascii writes a lone surrogate as its \\udXXX escape, as a sloppy exporter would
    return json.dumps(s, ensure_ascii=True)


# -- values -----------------------------------------------------------------------------------

ODD_TIMESTAMPS = (
    "2026-02-30T00:00:00Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:60Z",
    "2026-03-01T08:00:00.123456789123Z", "2026-03-01T08:00:00+08:00", "2026-03-01",
    "2026-13-01T00:00:00Z", "1970-01-01T00:00:60Z", "\uff12\uff10\uff12\uff16-03-01T00:00:00Z",
    "", "now",
    "2026-03-01T08:00:00.Z", "99999999999999999999", "-1", "1e400", "2026-03-01T24:00:00Z",
)
ODD_NUMBERS = ("99999999999999999999999999", "1e400", "NaN", "Infinity", "-5", "0x10",
               "\uff11\uff12\uff13", "12,34,5.6.7", "1.5e-400", "99999999999", "-99999999999")
ODD_STRINGS = (
    "", " ", "\x00", "\ud800", "\udfff x", "a" * 5000, "\u202e\u200b", "tlp:red", "tlp:clear",
    "TLP:AMBER+STRICT", "x-unknown", "report--not-a-uuid", "1" * 400, "😀" * 100,
    "zz-ZZ-Latn-verylongtagthatdoesnotfit", "a|b|c", "a;b;c", "\"quoted\"", "\\", "\n\r\n",
    "+60 12-345 6789", "hxxp://[::1]:99999/", "user@@example", "bc1" + "q" * 90,
    "misp-galaxy:scam-type=\"Love\"", "bersama:loss=\"1e400 MYR\"",
    "bersama:loss=\"999999999999999999999999 MYR\"",
    "bersama:language=\"abcdefghijklmnopqrstuvwxyz\"", "bersama:country=\"XX\"",
    "bersama:crime-type=\"\"", "bersama:scam-type=\"job\"",
)


def deep(depth: int, leaf: Any = 1) -> Any:
    v: Any = leaf
    for i in range(depth):
        v = [v] if i % 2 else {"a": v}
    return v


def odd_value(rng: random.Random) -> Any:  # noqa: PLR0911 - one return per kind
    """A value a field should not hold: wrong type, out of range, or oddly spelt."""
    pick = rng.randrange(14)
    if pick == 0:
        return None
    if pick == 1:
        return rng.choice((True, False, 0, -1, 1))
    if pick == 2:
        return rng.choice((2**63, 2**64, -(2**63) - 1, 10**400, 10**30))
    if pick == 3:
        return rng.choice((math.nan, math.inf, -math.inf, 1e308, 5e-324, -0.0, 0.1))
    if pick == 4:
        return rng.choice(([], {}, [None], [1, "a"], {"": None}))
    if pick == 5:
        return deep(rng.choice((50, 500, 1500)))  # past the recursion limit; ijson costs depth²
    if pick == 6:
        return rng.choice(ODD_TIMESTAMPS)
    if pick == 7:
        return rng.choice(ODD_NUMBERS)
    if pick == 8:
        return "".join(chr(rng.randrange(0x20, 0x3000)) for _ in range(rng.randrange(1, 40)))
    return rng.choice(ODD_STRINGS)


STIX_VALUES: dict[str, tuple[Any, ...]] = {
    "spec_version": ("2.0", 2.1, "2.1 ", "", None, "2.2", ["2.1"]),
    "type": ("x-unknown-thing", "", "Report", "a", "bundle", "report", "indicator", "sighting",
             "x-bersama-phone-number", "url", "marking-definition", "relationship", 7),
    "object_refs": ([], ["nope"], [1, None], "report--x", ["report--0c6a4c8e-1d4e-4b8e-9a55-"
                    "1b2e7d7a0010"], ["x-bersama-phone-number--00000000-0000-0000-0000-"
                    "000000000000"], ["identity--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a0001"] * 3),
    "pattern": ("[", "[url:value = 'x'] AND", "[url:value = 'http://a.b/']",
                "[" * 300 + "url:value = 'x'" + "]" * 300, "[domain-name:value = '']",
                "[x-bersama-phone-number:value = '+999']", "[file:hashes.MD5 = 'zz']",
                "[ipv4-addr:value = '999.1.1.1']", "[email-addr:value = 'a@']",
                "([url:value = 'a'] OR [url:value = 'b']) FOLLOWEDBY [url:value = 'c']",
                "[url:value MATCHES '(']", "[url:value = '" + "a" * 3000 + "']"),
    "pattern_type": ("stix", "sigma", None, 5),
    "id": ("report--not-a-uuid", "", "bundle--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a00ff",
           "indicator--0c6a4c8e-1d4e-4b8e-9a55-1b2e7d7a0010", None),
    "object_marking_refs": (["marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"],
                            ["marking-definition--nope"], "tlp", [None]),
    "lang": ("", "en", "x" * 40, 7),
    "revoked": (True, "true", 1),
}
"""Values for properties the STIX adapter reads closely (besides `odd_value`)."""

MISP_VALUES: dict[str, tuple[Any, ...]] = {
    "type": ("x-unknown", "bank-account-nr", "phone-number", "iban", "btc", "domain|ip",
             "filename|md5", "ip-src|port", "comment", "", 5),
    "value": ("", "|", "a|", "|b", "999.1.1.1|x", "+60123456789", "GB82WEST12345698765432",
              "GB", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "x" * 3000),
    "timestamp": ("", "0", "-1", "99999999999999999999", "1e10", 10**20, -(10**20), 1.5),
    "date": ("", "2026-02-30", "0000-00-00", "99999", "2026-03-01T08:00:00+99:00"),
    "uuid": ("", "not-a-uuid", "{5f1c2a3b-7d8e-4f90-a1b2-c3d4e5f60718}", 5, None),
    "to_ids": (True, "1", 1, None), "deleted": (True, "1", "0"),
    "disable_correlation": (True, "1"),
    "distribution": ("0", "1", "2", "3", "4", "5", "99", -1, None, ""),
    "name": (*(s for s in ODD_STRINGS if ":" in s), "tlp:amber", "bank-account", "e-wallet",
             "gcash-account", "telegram-account", "tlp:red"),
    "object_relation": ("account", "swift", "institution-name", "non-banking-institution",
                        "username", "provider", "phone-number"),
    "comment": ("GCash account", "GCash and Maya wallet", "", None),
    "category": ("Financial fraud", "Network activity"),
}
"""Values for properties the MISP adapter reads closely (besides `odd_value`)."""

TIMESTAMP_KEYS = frozenset({"created", "modified", "published", "valid_from", "first_seen",
                            "last_seen", "first_observed", "last_observed", "occurred_at"})


# -- JSON trees -------------------------------------------------------------------------------


def _containers(doc: Any) -> list[tuple[Any, Any]]:
    """(container, key or index) of every value in `doc`, breadth first, bounded."""
    out: list[tuple[Any, Any]] = []
    todo = [doc]
    while todo and len(out) < 5000:
        node = todo.pop()
        if isinstance(node, Pairs):  # already mutated: left as it is
            continue
        if isinstance(node, dict):
            for k, v in node.items():
                out.append((node, k))
                todo.append(v)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                out.append((node, i))
                todo.append(v)
    return out


def mutate_tree(doc: Any, rng: random.Random, values: dict[str, tuple[Any, ...]]) -> Any:
    """One structural change somewhere in `doc` (changed in place, and returned)."""
    places = _containers(doc)
    if not places:
        return odd_value(rng)
    parent, key = rng.choice(places)
    op = rng.randrange(8)
    if op == 0 and isinstance(parent, dict):
        del parent[key]
    elif op == 1 and isinstance(key, str) and key in values:
        parent[key] = rng.choice(values[key])
    elif op == 2 and isinstance(key, str) and key in TIMESTAMP_KEYS:
        parent[key] = rng.choice(ODD_TIMESTAMPS)
    elif op == 3 and isinstance(parent, list):
        parent.insert(rng.randrange(len(parent) + 1), rng.choice(parent))  # shared, not copied
    elif op == 4 and isinstance(parent, dict):
        # a repeated key: the adapter sees one of the two values, never both, never a crash
        pairs = Pairs(parent.items())
        pairs.insert(rng.randrange(len(pairs) + 1), (key, odd_value(rng)))
        _replace(doc, parent, pairs)
    else:
        parent[key] = odd_value(rng)
    return doc


def _replace(doc: Any, old: Any, new: Any) -> None:
    for parent, key in _containers(doc):
        if parent[key] is old:
            parent[key] = new
            return


def mutate_json(data: bytes, rng: random.Random, values: dict[str, tuple[Any, ...]],
                rounds: int) -> bytes:
    doc = json.loads(data)
    for _ in range(rounds):
        doc = mutate_tree(doc, rng, values)
    return dump(doc).encode("utf-8", "surrogatepass")


# -- CSV and text -----------------------------------------------------------------------------

CSV_CELLS = (*ODD_STRINGS, *ODD_NUMBERS, *ODD_TIMESTAMPS, "RM 1,234.50", "2026-03-01",
             "investment;job", "tng", "Maybank", "MY", "EN", "amber", "red", "green")


def mutate_csv(data: bytes, rng: random.Random, rounds: int) -> bytes:
    text = data.decode("utf-8", "replace")
    rows = list(csv.reader(io.StringIO(text)))
    for _ in range(rounds):
        if not rows:
            rows = [["x"]]
        r = rng.randrange(len(rows))
        row = rows[r]
        op = rng.randrange(7)
        if op == 0 and row:
            del row[rng.randrange(len(row))]
        elif op == 1:
            row.insert(rng.randrange(len(row) + 1), rng.choice(CSV_CELLS))
        elif op == 2 and len(rows) > 1:
            del rows[r]
        elif op == 3:
            rows.insert(rng.randrange(len(rows) + 1), list(row))
        elif op == 4 and rows[0]:  # rename a header column
            rows[0][rng.randrange(len(rows[0]))] = rng.choice(("", "Date", "phone", "x", "id"))
        elif row:
            row[rng.randrange(len(row))] = (rng.choice(CSV_CELLS) if rng.random() < 0.8
                                            else dump(odd_value(rng)))
    out = io.StringIO()
    delimiter = rng.choice((",", ",", ",", ";", "\t", "|"))
    csv.writer(out, delimiter=delimiter, lineterminator=rng.choice(("\n", "\r\n", "\n", "\r"))
               ).writerows(rows)
    encoding = rng.choice(("utf-8", "utf-8", "latin-1", "cp1252"))
    return out.getvalue().encode(encoding, "surrogatepass" if encoding == "utf-8" else "replace")


def mutate_text(data: bytes, rng: random.Random, rounds: int) -> bytes:
    text = data.decode("utf-8")
    for _ in range(rounds):
        at = rng.randrange(len(text) + 1)
        piece = rng.choice((*CSV_CELLS, "\n---\n", "\n===\n", "***", "2026-02-30", "1999-12-31",
                            "RM 99999999999999999999999", "USD 1e400", "+6012345678901234567",
                            "http://" + "a." * 200 + "com", "0x" + "f" * 40, "@" * 3))
        text = text[:at] + str(piece) + text[at:]
    return text.encode("utf-8", "surrogatepass")


# -- bytes ------------------------------------------------------------------------------------

NOT_UTF8 = (b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf8\x88\x80\x80\x80", b"\x00",
            b"\xef\xbb\xbf", b"\xfe\xff", b"\x80\x81\x82")


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:  # noqa: PLR0911 - one per kind
    """One byte-level change: truncation, bytes that are not UTF-8, a BOM, a very long line."""
    op = rng.randrange(8)
    at = rng.randrange(len(data) + 1)
    if op == 0:
        return data[:at]
    if op == 1:
        return data[:at] + rng.choice(NOT_UTF8) + data[at:]
    if op == 2:
        return rng.choice((b"\xef\xbb\xbf", b"\xef\xbb\xbf\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff",
                           b"\x00\x00\xfe\xff")) + data
    if op == 3:
        return data.decode("utf-8", "replace").encode(rng.choice(("utf-16", "utf-32")))
    if op == 4:
        noise = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
        return data[:at] + noise + data[at:]
    if op == 5:
        return data[:at] + b"x" * rng.choice((70_000, 1024 * 1024 + 10)) + data[at:]
    if op == 6:
        return data[:at] + data[at:] * rng.randrange(2, 4)
    return bytes(rng.randrange(256) for _ in range(rng.randrange(0, 512)))


Mutator = Callable[[random.Random], bytes]


@cache
def synth_seeds() -> dict[str, list[bytes]]:
    """A small `bersama synth` scenario's files by format: inputs as partners fill them."""
    with tempfile.TemporaryDirectory() as tmp:
        write(generate(7, 40, ["MY", "TH"], as_of=date(2026, 11, 1)), tmp)
        return {fmt: [p.read_bytes() for p in sorted(Path(tmp, fmt).glob("*/*"))]
                for fmt in ("stix", "misp", "csv", "text")}


def mutator(fmt: str, *, max_rounds: int = 4, byte_level: float = 0.3) -> Mutator:
    """A function drawing one mutated input of `fmt` from a fixture or a synth file."""
    names = {"stix": STIX_SEEDS, "misp": MISP_SEEDS, "csv": CSV_SEEDS, "text": TEXT_SEEDS}[fmt]
    seeds = [seed(n) for n in names] + synth_seeds()[fmt]

    def draw(rng: random.Random) -> bytes:
        data = rng.choice(seeds)
        rounds = rng.randrange(1, max_rounds + 1)
        if fmt in ("stix", "misp"):
            data = mutate_json(data, rng, STIX_VALUES if fmt == "stix" else MISP_VALUES, rounds)
        elif fmt == "csv":
            data = mutate_csv(data, rng, rounds)
        else:
            data = mutate_text(data, rng, rounds)
        if rng.random() < byte_level:
            data = mutate_bytes(data, rng)
        return data

    return draw
