"""TLP ids (2.0 and 1.0), group markings, patterns and the published extension definitions."""

from __future__ import annotations

import orjson
import pytest
import stix2

from bersama.markings import TLP, Marking
from bersama.stix import tlp
from bersama.stix.extensions import EXTENSION_IDS, MARKING_EXTENSION, REPORT_CONTEXT_EXTENSION
from bersama.stix.patterns import equality_comparisons
from bersama.stix.published import extension_definitions, property_schema, publisher_identity


def test_tlp2_ids_are_the_oasis_ones() -> None:
    assert tlp.tlp_id(TLP.CLEAR) == "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
    assert tlp.tlp_id(TLP.RED) == "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
    assert len(set(tlp.TLP2_IDS.values())) == 5


def test_tlp1_ids_map_to_tlp2_levels_and_match_stix2() -> None:
    assert tlp.tlp_from_id(stix2.TLP_WHITE.id) is TLP.CLEAR
    assert tlp.tlp_from_id(stix2.TLP_GREEN.id) is TLP.GREEN
    assert tlp.tlp_from_id(stix2.TLP_AMBER.id) is TLP.AMBER
    assert tlp.tlp_from_id(stix2.TLP_RED.id) is TLP.RED
    assert tlp.tlp_from_id("marking-definition--00000000-0000-4000-8000-000000000000") is None


@pytest.mark.parametrize("level", list(TLP))
def test_tlp_marking_objects_round_trip(level: TLP) -> None:
    obj = tlp.tlp_marking_definition(level)
    assert tlp.tlp_from_marking_object(obj) is level
    stix2.parse(orjson.dumps(obj).decode(), allow_custom=True)


def test_group_marking_is_deterministic_and_readable() -> None:
    m = Marking(TLP.AMBER_STRICT, recipient_agencies=frozenset({"SG-SPF", "MY-NSRC"}))
    obj = tlp.group_marking_definition(m, "2026-01-01T00:00:00.000Z")
    assert obj["id"] == tlp.group_marking_id(m)
    assert tlp.group_from_marking_object(obj) == (None, frozenset({"SG-SPF", "MY-NSRC"}),
                                                  frozenset())
    assert tlp.marking_refs(m) == [tlp.TLP2_IDS[TLP.AMBER_STRICT], obj["id"]]
    assert tlp.marking_refs(Marking(TLP.GREEN)) == [tlp.TLP2_IDS[TLP.GREEN]]
    assert tlp.most_restrictive([TLP.GREEN, TLP.RED, TLP.AMBER]) is TLP.RED


def test_published_definitions_are_valid_stix_with_fixed_ids() -> None:
    defs = extension_definitions()
    ids = {d["id"] for d in defs}
    assert ids == {*EXTENSION_IDS.values(), REPORT_CONTEXT_EXTENSION, MARKING_EXTENSION}
    for d in (*defs, publisher_identity()):
        stix2.parse(orjson.dumps(d).decode(), allow_custom=True)
    for sco_type, ext_id in EXTENSION_IDS.items():
        schema = property_schema(ext_id)
        assert schema["properties"]["type"] == {"const": sco_type}
    ctx = property_schema(REPORT_CONTEXT_EXTENSION)
    assert "investment" in ctx["properties"]["scam_types"]["items"]["enum"]


def test_pattern_comparisons() -> None:
    pattern = ("[url:value = 'http://a.com/x?q=\\'1' OR domain-name:value = 'b.com'] AND "
               "[file:hashes.'SHA-256' = 'abc'] AND [ipv4-addr:value != '1.2.3.4'] AND "
               "[x-bersama-phone-number:number = '+60123456789'] AND "
               "[file:name MATCHES 'x'] AND [NOT email-addr:value = 'n@x.com']")
    assert equality_comparisons(pattern) == [
        ("url", "value", "http://a.com/x?q='1"), ("domain-name", "value", "b.com"),
        ("file", "hashes.SHA-256", "abc"), ("x-bersama-phone-number", "number", "+60123456789"),
    ]
    with pytest.raises(ValueError, match="starts with"):
        equality_comparisons("url:value = 'x'")
