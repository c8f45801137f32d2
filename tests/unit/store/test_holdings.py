"""holdings.canonical: the merged audience makes the same read decision for every reader.

The counters add up reports and observables per canonical audience, so a reader's
figures are exact only if `may_read` gives the same answer on a token set and on its
canonical form.  That rests on `reader_tokens` (every reader but the system holds
`public`; every reader holding any other token holds `community`): checked here over
every subset of a universe of tokens and every kind of reader, so a change to who
holds what fails here first.
"""

from __future__ import annotations

from itertools import combinations

import pytest

from bersama.markings import Reader, Role
from bersama.markings.model import COMMUNITY, PUBLIC, may_read
from bersama.store.holdings import canonical

UNIVERSE = (
    PUBLIC,
    COMMUNITY,
    "agency:MY-PDRM",
    "agency:TH-TCSD",
    "group:MY-TH",
    "user:a@x",
    "user:b@x",
)
READERS = [
    Reader.public(),
    Reader.system(),
    Reader(agency="MY-PDRM", user="a@x", role=Role.ANALYST),
    Reader(agency="TH-TCSD", user="b@x", role=Role.READER, groups=frozenset({"MY-TH"})),
    Reader(agency="JP-NPA", user="c@x", role=Role.ADMIN),
    Reader(agency="TH-TCSD", is_peer=True, groups=frozenset({"MY-TH"})),
    Reader(agency="MY-PDRM", user="a@x", is_peer=True),
]


def test_canonical_forms() -> None:
    assert canonical([COMMUNITY, PUBLIC]) == (PUBLIC,)
    assert canonical([COMMUNITY, "agency:MY-PDRM", "group:MY-TH"]) == (COMMUNITY,)
    assert canonical(["group:MY-TH", "agency:MY-PDRM"]) == ("agency:MY-PDRM", "group:MY-TH")
    assert canonical([]) == ()


@pytest.mark.parametrize("reader", READERS, ids=lambda r: f"{r.agency}/{r.user}/{r.is_peer}")
def test_every_reader_reads_a_canonical_audience_as_the_tokens(reader: Reader) -> None:
    for size in range(len(UNIVERSE) + 1):
        for tokens in combinations(UNIVERSE, size):
            held = frozenset(tokens)
            assert may_read(reader, frozenset(canonical(held))) == may_read(reader, held), held
