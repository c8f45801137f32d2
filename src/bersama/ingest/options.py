"""An ingest's options as the command line or query string gives them: the batch marking
(`--tlp --group --recipients`) and the adapter's (`--mapping`, `--encoding`), checked
against the input's format once, for the CLI and the API alike.

Recipients name agencies for AMBER+STRICT and users (e-mail addresses) for
RED; for other levels they are refused rather than silently ignored.  A group
or recipient the store cannot hold (too long, or with a NUL) is refused here,
once, before any input is read: it would otherwise reject every record.
"""

from __future__ import annotations

import codecs
from typing import Any

import orjson

from bersama.errors import InvalidInput
from bersama.ingest.csv import CsvMapping
from bersama.ingest.storable import unstorable_marking
from bersama.markings import TLP, Marking


def batch_marking(tlp: str | None, group: str | None, recipients: str | None) -> Marking | None:
    marking = _marking(tlp, group, recipients)
    problem = unstorable_marking(marking) if marking else None
    if problem is not None:
        option, reason = problem
        raise InvalidInput(reason, field=option)
    return marking


def _marking(tlp: str | None, group: str | None, recipients: str | None) -> Marking | None:
    if tlp is None:
        if group or recipients:
            raise InvalidInput("--group and --recipients need --tlp", field="tlp")
        return None
    level = TLP.parse(tlp)
    names = frozenset(r.strip() for r in (recipients or "").split(",") if r.strip())
    if group and level is not TLP.AMBER:
        raise InvalidInput("a sharing group applies to TLP:AMBER only", field="group",
                           value=group)
    if names and level not in (TLP.AMBER_STRICT, TLP.RED):
        raise InvalidInput(
            "recipients apply to TLP:AMBER+STRICT (agencies) and TLP:RED (users) only",
            field="recipients", value=recipients,
        )
    if level is TLP.AMBER_STRICT:
        return Marking(level, recipient_agencies=names)
    if level is TLP.RED:
        return Marking(level, recipient_users=frozenset(n.lower() for n in names))
    return Marking(level, group=group or None)


ENCODED_FORMATS = ("csv", "text")
"""Formats read in a legacy encoding on request; JSON (STIX, MISP) is UTF-8 by definition."""


def adapter_options(fmt: str, *, mapping: CsvMapping | None, encoding: str | None
                    ) -> dict[str, Any]:
    """The adapter's keyword options for input of format `fmt`, refused when they do not
    apply to it (rather than ignored, or failing once the input is being read)."""
    options: dict[str, Any] = {}
    if mapping is not None:
        if fmt != "csv":
            raise InvalidInput("a column mapping applies to CSV input only", field="mapping")
        options["mapping"] = mapping
    if encoding is not None:
        if fmt not in ENCODED_FORMATS:
            raise InvalidInput(f"an encoding applies to CSV and text input only ({fmt} is "
                               "JSON, which is UTF-8)", field="encoding", value=encoding)
        try:
            codecs.lookup(encoding)
            ascii_compatible = "a,\n".encode(encoding) == b"a,\n"
        except (LookupError, UnicodeError):
            raise InvalidInput(f"unknown encoding {encoding!r}", field="encoding",
                               value=encoding) from None
        if not ascii_compatible:
            raise InvalidInput(f"encoding {encoding!r} is not ASCII-compatible (UTF-16, say): "
                               "re-export the file as UTF-8", field="encoding", value=encoding)
        options["encoding"] = encoding
    return options


def mapping_from_json(text: str) -> CsvMapping:
    """A CSV column mapping given inline (the API's `mapping=`), as a mapping file holds it."""
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"the CSV mapping is not JSON: {exc}", field="mapping") from None
    return CsvMapping.from_dict(data)
