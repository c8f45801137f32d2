"""Small pure helpers of the PSI service: peer URLs and the warm-up default."""

from __future__ import annotations

import pytest

from bersama.config import Settings
from bersama.psi.service import node_base


@pytest.mark.parametrize(("stored", "base"), [
    ("http://127.0.0.1:8001/taxii2/", "http://127.0.0.1:8001"),
    ("https://node.example.my/bersama/taxii2/api/", "https://node.example.my/bersama"),
    ("https://node.example.th", "https://node.example.th"),
])
def test_node_base_from_stored_peer_url(stored: str, base: str) -> None:
    assert node_base(stored) == base


def test_background_warm_up_is_off_in_tests_unless_asked() -> None:
    assert Settings(environment="test").psi_warm_interval == 0
    assert Settings(environment="development").psi_warm_interval == 60
    assert Settings(environment="test", psi_warm_interval_seconds=2).psi_warm_interval == 2
    assert Settings(psi_build_workers=3).psi_workers == 3
