"""An ingest's options (`--tlp --group --recipients`, `--mapping`, `--encoding`): refused
before any input is read when they cannot apply."""

from __future__ import annotations

import pytest

from bersama.errors import InvalidInput
from bersama.ingest.csv import CsvMapping
from bersama.ingest.options import adapter_options, batch_marking, mapping_from_json
from bersama.ingest.storable import GROUP_CHARS, NAME_CHARS
from bersama.markings import TLP, Marking


def test_a_group_or_recipient_the_store_can_hold_is_the_batch_marking() -> None:
    group = "g" * GROUP_CHARS
    assert batch_marking("amber", group, None) == Marking(TLP.AMBER, group=group)
    name = "a" * NAME_CHARS
    assert batch_marking("amber+strict", None, f"{name}, SG-SPF") == Marking(
        TLP.AMBER_STRICT, recipient_agencies=frozenset({name, "SG-SPF"}))


@pytest.mark.parametrize(("tlp", "group", "recipients", "field"), [
    ("amber", "g" * (GROUP_CHARS + 1), None, "group"),
    ("amber", "MY\x00TH", None, "group"),
    ("amber+strict", None, "SG-SPF," + "a" * (NAME_CHARS + 1), "recipients"),
    ("red", None, "ana@my,b\x00b@th", "recipients"),
])
def test_a_group_or_recipient_the_store_cannot_hold_is_refused_naming_the_option(
        tlp: str, group: str | None, recipients: str | None, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        batch_marking(tlp, group, recipients)
    assert refused.value.field == field


def test_a_mapping_and_an_encoding_are_the_options_of_the_formats_they_apply_to() -> None:
    mapping = mapping_from_json('{"columns": {"phone": "No. Telefon"}, "encoding": "cp1252"}')
    assert mapping == CsvMapping(columns={"phone": "No. Telefon"}, encoding="cp1252")
    assert adapter_options("csv", mapping=mapping, encoding="tis-620") == {
        "mapping": mapping, "encoding": "tis-620"}
    assert adapter_options("text", mapping=None, encoding="cp874") == {"encoding": "cp874"}
    assert adapter_options("stix", mapping=None, encoding=None) == {}


@pytest.mark.parametrize(("fmt", "mapping", "encoding", "field", "says"), [
    ("stix", CsvMapping(), None, "mapping", "CSV input only"),
    ("text", CsvMapping(), None, "mapping", "CSV input only"),
    ("misp", None, "cp1252", "encoding", "JSON, which is UTF-8"),
    ("csv", None, "klingon", "encoding", "unknown encoding"),
    ("text", None, "utf-16", "encoding", "not ASCII-compatible"),
])
def test_an_option_that_cannot_apply_is_refused_naming_it(
        fmt: str, mapping: CsvMapping | None, encoding: str | None, field: str, says: str,
) -> None:
    with pytest.raises(InvalidInput, match=says) as refused:
        adapter_options(fmt, mapping=mapping, encoding=encoding)
    assert refused.value.field == field


@pytest.mark.parametrize(("text", "says"), [
    ("{columns", "not JSON"), ("[]", "must be an object"), ('{"columns": {"x": "y"}}', "unknown"),
])
def test_an_inline_mapping_that_is_no_mapping_is_refused(text: str, says: str) -> None:
    with pytest.raises(InvalidInput, match=says) as refused:
        mapping_from_json(text)
    assert refused.value.field.startswith("mapping")
