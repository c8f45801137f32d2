"""SCO ids: the hand-built uuid5 is the standard library's, byte for byte."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from bersama.stix.ids import SCO_NAMESPACE, uuid5


@given(st.text(max_size=300))
def test_uuid5_is_the_standard_librarys(name: str) -> None:
    assert uuid5(name.encode("utf-8")) == str(uuid.uuid5(SCO_NAMESPACE, name))


def test_uuid5_of_a_phone_sco() -> None:
    data = b'{"country":"MY","number":"+60121000000"}'
    assert uuid5(data) == str(uuid.uuid5(SCO_NAMESPACE, data.decode()))
    assert uuid.UUID(uuid5(data)).version == 5
