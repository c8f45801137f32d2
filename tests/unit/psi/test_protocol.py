"""The PSI wrapper finds exactly the plain set intersection (up to the stated fpr)."""

from __future__ import annotations

import random

import pytest

from bersama.errors import InvalidInput
from bersama.psi import protocol


def _phones(rng: random.Random, n: int) -> list[str]:
    return [f"phone:+6011{rng.randrange(10**8):08d}" for _ in range(n)]


def test_intersection_equals_plain_set_intersection() -> None:
    rng = random.Random(5)  # noqa: S311 - seeded test data, not secrets
    held = set(_phones(rng, 3000))
    asked = rng.sample(sorted(held), 150) + _phones(rng, 350)
    rng.shuffle(asked)
    server = protocol.PsiServer()
    setup = server.setup(sorted(held))
    batch = protocol.client_batch(asked)
    found = batch.intersect([setup], server.process(batch.request))
    assert {asked[i] for i in found} == held & set(asked)


def test_segments_are_unioned_and_key_reloads() -> None:
    server = protocol.PsiServer()
    again = protocol.PsiServer(server.key)
    base = server.setup(["email:a@x.test", "email:b@x.test"])
    delta = again.setup(["email:c@x.test"])
    batch = protocol.client_batch(["email:c@x.test", "email:z@x.test", "email:a@x.test"])
    assert batch.intersect([base, delta], again.process(batch.request)) == [0, 2]


def test_false_positives_within_stated_rate() -> None:
    # With fpr 1e-3 for 2,000 client items the whole batch has at most a 0.1 % chance of a
    # false positive; none of the disjoint items may match in practice.
    server = protocol.PsiServer()
    setup = server.setup([f"url:https://held.test/{i}" for i in range(5000)], fpr=1e-3,
                         max_client_items=2000)
    asked = [f"url:https://other.test/{i}" for i in range(2000)]
    batch = protocol.client_batch(asked)
    assert len(batch.intersect([setup], server.process(batch.request))) <= 1


def test_a_different_key_finds_nothing() -> None:
    setup = protocol.PsiServer().setup(["phone:+60123456789"])
    other = protocol.PsiServer()
    batch = protocol.client_batch(["phone:+60123456789"])
    assert batch.intersect([setup], other.process(batch.request)) == []


def test_request_size_and_limits() -> None:
    batch = protocol.client_batch(["a", "b", "c"])
    assert protocol.request_size(batch.request) == 3
    with pytest.raises(InvalidInput, match="at most 2"):
        protocol.PsiServer().process(batch.request, max_items=2)


@pytest.mark.parametrize("junk", [b"\xff\xff\xff", b"\x12\x03abc"])
def test_malformed_messages_are_refused(junk: bytes) -> None:
    with pytest.raises(InvalidInput):
        protocol.PsiServer().process(junk)


def test_response_of_wrong_length_is_refused() -> None:
    server = protocol.PsiServer()
    one = protocol.client_batch(["a"])
    two = protocol.client_batch(["a", "b"])
    with pytest.raises(InvalidInput, match="expected 2"):
        two.intersect([server.setup(["a"])], server.process(one.request))


def test_batches_split_in_order() -> None:
    assert protocol.batches(["a", "b", "c"], size=2) == [["a", "b"], ["c"]]


def test_parallel_setup_segments_answer_like_one() -> None:
    rng = random.Random(9)  # noqa: S311 - seeded test data, not secrets
    held = sorted(set(_phones(rng, 400)))
    key = protocol.PsiServer().key
    segments = protocol.setup_segments(key, held, workers=2, min_parallel=10)
    assert len(segments) == 2
    asked = held[::7] + _phones(rng, 50)
    batch = protocol.client_batch(asked)
    found = batch.intersect(segments, protocol.PsiServer(key).process(batch.request))
    assert {asked[i] for i in found} == set(held) & set(asked)
    assert len(protocol.setup_segments(key, held, workers=2)) == 1  # small: in-process
