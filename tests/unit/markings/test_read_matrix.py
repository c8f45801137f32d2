"""The read policy, exactly: every TLP against every kind of reader."""

from __future__ import annotations

import pytest

from bersama.markings import TLP, Marking, Reader, Role, audience, may_read

OWNER = "MY-PDRM"
GROUP = "MY-TH bilateral"
CREATOR = "aisyah@pdrm.my"

owner_analyst = Reader(agency=OWNER, user=CREATOR, role=Role.ANALYST, groups=frozenset({GROUP}))
owner_reader = Reader(agency=OWNER, user="reader@pdrm.my", role=Role.READER)
group_member = Reader(agency="TH-CCIB", user="somchai@ccib.th", role=Role.ANALYST,
                      groups=frozenset({GROUP}))
recipient_agency = Reader(agency="SG-SPF", user="tan@spf.sg", role=Role.ANALYST)
recipient_user = Reader(agency="ID-POLRI", user="budi@polri.id", role=Role.ANALYST)
other = Reader(agency="JP-NPA", user="sato@npa.jp", role=Role.ANALYST)
peer_group = Reader(agency="TH-CCIB", groups=frozenset({GROUP}), is_peer=True)
peer_other = Reader(agency="JP-NPA", is_peer=True)
public = Reader.public()
system = Reader.system()

READERS = {
    "owner_analyst": owner_analyst,
    "owner_reader": owner_reader,
    "group_member": group_member,
    "recipient_agency": recipient_agency,
    "recipient_user": recipient_user,
    "other": other,
    "peer_group": peer_group,
    "peer_other": peer_other,
    "public": public,
    "system": system,
}

MARKINGS = {
    "clear": Marking(TLP.CLEAR),
    "green": Marking(TLP.GREEN),
    "amber": Marking(TLP.AMBER),
    "amber_group": Marking(TLP.AMBER, group=GROUP),
    "amber_strict": Marking(TLP.AMBER_STRICT, recipient_agencies=frozenset({"SG-SPF"})),
    "red": Marking(TLP.RED, recipient_users=frozenset({"budi@polri.id"})),
}

# marking -> the readers who may read it; everyone else may not.
EXPECTED = {
    "clear": set(READERS),
    "green": set(READERS) - {"public"},
    "amber": set(READERS) - {"public"},
    "amber_group": {"owner_analyst", "owner_reader", "group_member", "peer_group", "system"},
    "amber_strict": {"owner_analyst", "owner_reader", "recipient_agency", "system"},
    "red": {"owner_analyst", "recipient_user", "system"},
}


@pytest.mark.parametrize("marking_name", sorted(MARKINGS))
@pytest.mark.parametrize("reader_name", sorted(READERS))
def test_matrix(marking_name: str, reader_name: str) -> None:
    tokens = audience(MARKINGS[marking_name], OWNER, CREATOR)
    allowed = reader_name in EXPECTED[marking_name]
    assert may_read(READERS[reader_name], tokens) is allowed


def test_red_without_creator_is_only_for_named_users() -> None:
    tokens = audience(Marking(TLP.RED, recipient_users=frozenset({"budi@polri.id"})), OWNER, None)
    assert not may_read(owner_analyst, tokens)
    assert may_read(recipient_user, tokens)


def test_peer_token_never_holds_user_tokens() -> None:
    peer_named_as_user = Reader(agency="ID-POLRI", user="budi@polri.id", is_peer=True)
    assert not may_read(peer_named_as_user, audience(MARKINGS["red"], OWNER, CREATOR))


@pytest.mark.parametrize("text", ["TLP:AMBER+STRICT", "amber_strict", "Amber + Strict"])
def test_tlp_parse_spellings(text: str) -> None:
    assert TLP.parse(text) is TLP.AMBER_STRICT


def test_tlp_white_is_clear() -> None:
    assert TLP.parse("TLP:WHITE") is TLP.CLEAR
