"""The batch marking (`--tlp --group --recipients`): refused before any input is read."""

from __future__ import annotations

import pytest

from bersama.errors import InvalidInput
from bersama.ingest.options import batch_marking
from bersama.ingest.pipeline import GROUP_CHARS, NAME_CHARS
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
