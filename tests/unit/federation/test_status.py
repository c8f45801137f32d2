"""Status resources of pushed objects: held objects are pending until settled."""

from __future__ import annotations

from typing import Any

from bersama.federation.status import HELD_MESSAGE, _settle_body, held_by_peer, status_body

R = "report--00000000-0000-0000-0000-000000000001"
S = "x-bersama-phone-number--00000000-0000-0000-0000-000000000002"
T = "x-bersama-phone-number--00000000-0000-0000-0000-000000000003"
OBJS: list[dict[str, Any]] = [
    {"type": "report", "id": R, "modified": "2026-03-01T00:00:00.000Z"},
    {"type": "x-bersama-phone-number", "id": S},
    {"type": "x-bersama-phone-number", "id": T},
]


def test_held_objects_are_pending_not_successes() -> None:
    body = status_body(OBJS, failures={T: "bad number"}, pending={R})
    assert body["status"] == "pending"
    assert (body["success_count"], body["failure_count"], body["pending_count"]) == (1, 1, 1)
    assert body["pendings"] == [{"id": R, "version": "2026-03-01T00:00:00.000Z",
                                 "message": HELD_MESSAGE}]
    assert body["successes"] == [{"id": S, "version": ""}]
    assert body["failures"][0]["message"] == "bad number"
    assert held_by_peer(body)
    assert status_body(OBJS, failures={}, pending=set())["status"] == "complete"


def test_settling_moves_pendings_and_completes() -> None:
    body = status_body(OBJS, failures={}, pending={R, S})
    assert _settle_body(body, {R: None})
    assert (body["status"], body["success_count"], body["pending_count"]) == ("pending", 2, 1)
    assert not _settle_body(body, {"report--other": None})  # nothing of this status
    assert _settle_body(body, {S: "dropped"})
    assert body["status"] == "complete"
    assert (body["success_count"], body["failure_count"], body["pending_count"]) == (2, 1, 0)
    assert body["failures"] == [{"id": S, "version": "", "message": "dropped"}]
    assert not _settle_body(body, {S: None})  # a complete status never changes again


def test_held_by_peer_only_for_reassembly_holds_that_account_for_everything() -> None:
    assert not held_by_peer({"status": "pending"})  # a generic server still working
    generic = status_body(OBJS, failures={}, pending={R})
    generic["pendings"][0]["message"] = "queued"
    assert not held_by_peer(generic)
    short = status_body(OBJS, failures={}, pending={R})
    short["total_count"] = 5  # objects the status does not account for
    assert not held_by_peer(short)
    assert not held_by_peer(status_body(OBJS, failures={}, pending=set()))
