"""Full STIX 2.1 validation of every object, at a few microseconds each.

The issue's reference, `stix2.parse`, validates about 1,300 indicators a second
(~770 µs each); `stix2-validator` takes ~3.6 ms.  Both check the same thing the
OASIS TC publishes as JSON Schemas (cti-stix2-json-schemas, shipped inside the
`stix2-validator` package): required properties, property types, identifier and
timestamp forms, vocabularies closed by the spec, the rules on custom properties.
`jsonschema-rs` (a compiled validator) checks an object against those schemas in
2-5 µs, so every object of every bundle is validated on the common path.

What is checked per type:
- the 19 SDOs, 2 SROs, 18 SCOs, `marking-definition`, `extension-definition` and
  `language-content`: their OASIS schema;
- our custom SCOs (`x-bersama-*`): the SCO core schema and the schema in the
  extension definition we publish for the type (stix/definitions/);
- other custom types: the SDO core schema when they carry `created` (a custom
  object), the SCO core schema otherwise.

Then what the schemas cannot say and the spec requires (the "MUST" rules
`stix2-validator` adds in code): timestamps are real instants (no 30 February),
`modified` is not before `created`, the ordered pairs of each type (an indicator's
`valid_until` after its `valid_from`, `last_seen` not before `first_seen`...), and an
indicator's STIX pattern parses (stix/patterns.py: the common forms are recognised
by one regular expression, anything else goes to the full grammar of
`stix2-patterns`).

The schemas are resolved from the package's files only: a `$ref` to anything
else is a programming error, never a download (no network at run time).
"""

from __future__ import annotations

import json
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import jsonschema_rs

from bersama.errors import field_path
from bersama.ingest.fields import stix_timestamp
from bersama.stix.extensions import EXTENSION_IDS
from bersama.stix.patterns import pattern_problem
from bersama.stix.published import property_schema

_BASE = "http://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.1/schemas/"
_FOLDERS = ("common", "sdos", "sros", "observables")
_COMMON_TYPES = frozenset({"marking-definition", "extension-definition", "language-content"})
SDO_CORE = "common/core.json"
SCO_CORE = "common/cyber-observable-core.json"
_MESSAGE_LIMIT = 300
_LATER = " must not be before "
_STRICTLY_LATER = " must be after "
_ORDER: dict[str, tuple[tuple[str, str, str], ...]] = dict.fromkeys(
    ("campaign", "infrastructure", "intrusion-set", "malware", "sighting", "threat-actor"),
    (("last_seen", _LATER, "first_seen"),),
)
_ORDER |= {
    "indicator": (("valid_until", _STRICTLY_LATER, "valid_from"),),
    "observed-data": (("last_observed", _LATER, "first_observed"),),
    "relationship": (("stop_time", _STRICTLY_LATER, "start_time"),),
    "network-traffic": (("end", _LATER, "start"),),
}
"""Per type, (later, rule, earlier) timestamp pairs the spec orders (besides
`modified`/`created`, which every object with both has)."""
_MODIFIED = (("modified", _LATER, "created"),)


@cache
def _documents() -> dict[str, dict[str, Any]]:
    """Every OASIS STIX 2.1 schema, by its path under `schemas/` (e.g. `sdos/report.json`)."""
    spec = find_spec("stix2validator")  # found, not imported: its import costs ~1.7 s
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the stix2-validator package (the OASIS STIX schemas) is missing")
    root = Path(spec.submodule_search_locations[0], "schemas-2.1", "schemas")
    docs: dict[str, dict[str, Any]] = {}
    for folder in _FOLDERS:
        for entry in sorted(root.joinpath(folder).glob("*.json")):
            docs[f"{folder}/{entry.name}"] = json.loads(entry.read_text(encoding="utf-8"))
    _accept_whole_seconds(docs[SDO_CORE])
    return docs


def _accept_whole_seconds(core: dict[str, Any]) -> None:
    """Drop the schema's millisecond-precision rule on `created`/`modified`.

    The spec asks for timestamps "precise to the nearest millisecond"; a producer that
    writes `...T10:00:00Z` is exact to the millisecond, and `stix2` accepts it (it pads
    to `.000`).  Refusing whole reports over the missing `.000` would drop partners'
    data for nothing: the RFC 3339 form is still checked (`timestamp.json`)."""
    for name in ("created", "modified"):
        prop = core["properties"][name]
        prop["allOf"] = [s for s in prop["allOf"] if s.get("title") != "timestamp_millis"]


def _retrieve(uri: str) -> dict[str, Any]:
    """The bundled document a `$ref` names (the schemas' own `$id`s are GitHub URLs)."""
    path = uri.removeprefix(_BASE).removeprefix(_BASE.replace("http:", "https:", 1))
    doc = _documents().get(path)
    if doc is None:
        raise ValueError(f"STIX schema {uri} is not bundled (no downloads at run time)")
    return doc


def _schema_path(otype: str) -> str | None:
    """The OASIS schema of a type the spec defines, else None."""
    folder = "common" if otype in _COMMON_TYPES else None
    for candidate in ((folder,) if folder else ("sdos", "sros", "observables")):
        path = f"{candidate}/{otype}.json"
        if path in _documents():
            return path
    return None


def _compiled(schema: dict[str, Any]) -> Any:
    return jsonschema_rs.validator_for(schema, retriever=_retrieve)


def _validator(otype: str, custom_object: bool) -> Any:
    """The compiled validator for objects of `otype`.  Every type without a schema of its
    own shares the core's: a partner sending a thousand custom types compiles two
    validators, not a thousand."""
    if otype in EXTENSION_IDS or _schema_path(otype) is not None:
        return _compiled_for(otype)
    return _compiled_for(SDO_CORE if custom_object else SCO_CORE)


@cache
def _compiled_for(key: str) -> Any:
    """A type's validator, or a core schema's (by its path), compiled once (a few ms)."""
    path = _schema_path(key)
    if path is not None:
        return _compiled(_documents()[path])
    if key in EXTENSION_IDS:
        return _compiled({"allOf": [{"$ref": _BASE + SCO_CORE},
                                    property_schema(EXTENSION_IDS[key])]})
    return _compiled(_documents()[key])


def problem(obj: dict[str, Any]) -> tuple[str, str] | None:
    """(property, reason) of the first way `obj` breaks STIX 2.1, or None when it is valid.

    `obj["type"]` must be a string (callers check it first).  The property is the
    dotted path of the offending value (`object_refs.3`), or the missing property's name.
    """
    otype = obj["type"]
    validator = _validator(otype, "created" in obj)
    try:
        if not validator.is_valid(obj):
            return _first_error(validator, obj)
    except ValueError as exc:  # nested deeper than the validator goes ("Recursion limit")
        return "(object)", f"not valid STIX 2.1: {exc}"
    found = _order_problem(obj, _ORDER.get(otype, ()))
    if found is None and otype == "indicator" and obj.get("pattern_type") == "stix":
        reason = pattern_problem(obj["pattern"])
        if reason is not None:
            found = "pattern", f"not a valid STIX pattern: {reason}"
    return found


def _order_problem(
    obj: dict[str, Any], pairs: tuple[tuple[str, str, str], ...]
) -> tuple[str, str] | None:
    """Timestamps that are no real instant, or out of the order the spec requires (the
    schema has checked their form)."""
    parsed = {}
    for later, rule, earlier in (*_MODIFIED, *pairs):
        for name in (later, earlier):
            if name in obj and name not in parsed:
                try:
                    parsed[name] = stix_timestamp(obj[name])
                except ValueError:
                    return name, f"not a valid STIX 2.1 timestamp: {obj[name]!r} is no real instant"
        if later in parsed and earlier in parsed:
            late, early = parsed[later], parsed[earlier]
            if late < early or (rule is _STRICTLY_LATER and late == early):
                return later, f"{later} ({obj[later]}){rule}{earlier} ({obj[earlier]})"
    return None


def _first_error(validator: Any, obj: dict[str, Any]) -> tuple[str, str]:
    error = next(iter(validator.iter_errors(obj)))
    path = field_path(*error.instance_path)
    missing = getattr(error.kind, "property", None)
    if isinstance(missing, str) and not path:
        path = missing
    message = error.message
    if len(message) > _MESSAGE_LIMIT:  # messages quote the offending value, which may be huge
        message = message[: _MESSAGE_LIMIT - 1] + "…"
    return path or "(object)", f"not valid STIX 2.1: {message}"
