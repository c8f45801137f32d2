from __future__ import annotations

import pytest

from bersama.errors import InvalidInput
from bersama.markings import TLP, Marking
from bersama.markings.policy import default_marking, hint_for, may_forward, validate_marking
from bersama.markings.tlp_ids import marking_id, tlp_from_marking_id, tlp_from_marking_refs


@pytest.mark.parametrize("setting", ["none", "count", "agency"])
@pytest.mark.parametrize("tlp", list(TLP))
def test_hints_only_for_amber(tlp: TLP, setting: str) -> None:
    expected = setting if tlp is TLP.AMBER else "none"
    assert hint_for(tlp, setting) == expected


def test_hint_setting_validated() -> None:
    with pytest.raises(InvalidInput) as err:
        hint_for(TLP.AMBER, "everything")
    assert err.value.field == "hint"


def test_default_marking_is_never_clear_by_accident() -> None:
    assert default_marking({"default_tlp": None, "default_group": None}) == Marking(TLP.AMBER)
    assert default_marking({}) == Marking(TLP.AMBER)
    assert default_marking({"default_tlp": "amber", "default_group": "G"}) == Marking(
        TLP.AMBER, group="G"
    )
    assert default_marking({"default_tlp": "green", "default_group": "G"}) == Marking(TLP.GREEN)


def test_validate_marking_rejects_contradictions() -> None:
    with pytest.raises(InvalidInput):
        validate_marking(Marking(TLP.GREEN, group="G"))
    with pytest.raises(InvalidInput):
        validate_marking(Marking(TLP.AMBER, recipient_agencies=frozenset({"X"})))
    with pytest.raises(InvalidInput):
        validate_marking(Marking(TLP.AMBER_STRICT, recipient_users=frozenset({"u@x.y"})))
    ok = Marking(TLP.RED, recipient_users=frozenset({"u@x.y"}))
    assert validate_marking(ok) is ok


@pytest.mark.parametrize("origin_is_peer", [False, True])
def test_forwarding(origin_is_peer: bool) -> None:
    def fwd(marking: Marking, to: str, groups: set[str]) -> bool:
        return may_forward(marking, origin_is_peer, to, groups, owner_agency="MY")

    assert fwd(Marking(TLP.CLEAR), "JP", set())
    assert fwd(Marking(TLP.GREEN), "JP", set())
    assert fwd(Marking(TLP.AMBER), "JP", set())
    assert fwd(Marking(TLP.AMBER, group="G"), "TH", {"G"})
    assert not fwd(Marking(TLP.AMBER, group="G"), "JP", {"H"})
    strict = Marking(TLP.AMBER_STRICT, recipient_agencies=frozenset({"SG"}))
    assert fwd(strict, "SG", set()) is (not origin_is_peer)
    assert not fwd(strict, "JP", set())
    red = Marking(TLP.RED, recipient_users=frozenset({"a@b.c"}))
    assert not fwd(red, "SG", {"G"})


def test_stix_ids_round_trip() -> None:
    for tlp in TLP:
        assert tlp_from_marking_id(marking_id(tlp)) is tlp
    assert marking_id(TLP.CLEAR) == "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
    # TLP 1.0 white (stix2.TLP_WHITE) reads as CLEAR
    assert tlp_from_marking_id(
        "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9") is TLP.CLEAR
    assert tlp_from_marking_id("marking-definition--00000000-0000-4000-8000-000000000000") is None


def test_two_tlp_levels_refused() -> None:
    with pytest.raises(InvalidInput):
        tlp_from_marking_refs([marking_id(TLP.RED), marking_id(TLP.GREEN)], field="marking")
    assert tlp_from_marking_refs([marking_id(TLP.RED)], field="m") is TLP.RED
