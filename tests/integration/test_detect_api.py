"""Detect endpoints and the review queue through the API, on a migrated SQLite node."""

from __future__ import annotations

import json

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from tests.integration.conftest import Node

from bersama.api.routers import detect, review
from bersama.store.tables.core import reports
from bersama.store.tables.trust import audit_log

SCAM = ("URGENT: your Maybank account is suspended. Verify at http://maybank2u-secure.xyz/login "
        "or call +60 12-345 6789 and pay RM 3,000")


@pytest.fixture
def api(node: Node) -> Node:
    app: FastAPI = node.client.app  # type: ignore[assignment]
    paths = {getattr(r, "path", "") for r in app.routes}
    if "/api/v1/detect/message" not in paths:  # until the lead mounts the routers
        app.include_router(detect.router)
        app.include_router(review.router)
    return node


def test_message_batch(api: Node) -> None:
    r = api.client.post("/api/v1/detect/message", headers=api.auth("ana@my"),
                        json={"items": [SCAM, "see you at lunch"]})
    assert r.status_code == 200, r.text
    res = r.json()["results"]
    assert [x["label"] for x in res] == ["scam", "not-scam"]
    assert res[0]["entities"]


def test_limits_name_the_field(api: Node) -> None:
    r = api.client.post("/api/v1/detect/message", headers=api.auth("ana@my"),
                        json={"items": ["x"] * 1001})
    assert r.status_code == 422
    assert "items" in r.text
    r = api.client.post("/api/v1/detect/message", headers=api.auth("ana@my"),
                        json={"items": ["ok", ""]})
    assert r.status_code == 422
    assert "items[1]" in r.text
    r = api.client.post("/api/v1/detect/url", headers=api.auth("ana@my"),
                        json={"items": ["http://a.com/" + "a" * 10_000]})
    assert r.status_code == 413
    assert "items[0]" in r.text


def test_needs_token(api: Node) -> None:
    assert api.client.post("/api/v1/detect/url", json={"items": ["a.com"]}).status_code == 401


def test_queue_confirm_reject_export(api: Node) -> None:
    r = api.client.post("/api/v1/detect/message", headers=api.auth("ana@my"),
                        json={"items": [SCAM, SCAM + " now", "see you at lunch"],
                              "queue": True})
    assert r.status_code == 200, r.text
    ids = [x.get("review_id") for x in r.json()["results"]]
    assert ids[0]
    assert ids[1]
    assert ids[2] is None
    listed = api.client.get("/api/v1/review", headers=api.auth("ana@my")).json()["items"]
    assert [i["id"] for i in listed] == ids[:2]
    # another agency sees none of it
    assert api.client.get("/api/v1/review", headers=api.auth("ana@th")).json()["items"] == []
    assert api.client.get("/api/v1/review", headers=api.auth("rea@my")).status_code == 403

    c = api.client.post(f"/api/v1/review/{ids[0]}/confirm", headers=api.auth("ana@my"),
                        json={"tlp": "amber"})
    assert c.status_code == 200, c.text
    assert c.json()["status"] == "confirmed"
    assert c.json()["decided_by"] == "ana@my"
    with api.engine.connect() as conn:
        rep = conn.execute(select(reports).where(reports.c.id == c.json()["report_id"])).one()
    assert rep is not None
    again = api.client.post(f"/api/v1/review/{ids[0]}/reject", headers=api.auth("ana@my"))
    assert again.status_code == 409

    assert api.client.post(f"/api/v1/review/{ids[1]}/reject",
                           headers=api.auth("ana@my")).status_code == 200
    lines = api.client.get("/api/v1/review/export", headers=api.auth("ana@my")).text
    rows = [json.loads(x) for x in lines.splitlines()]
    assert [(x["id"], x["label"]) for x in rows] == [(ids[0], 1), (ids[1], 0)]
    with api.engine.connect() as conn:
        logged = conn.execute(select(audit_log.c.action, audit_log.c.target,
                                     audit_log.c.actor_user)
                              .where(audit_log.c.action.like("review.%"))
                              .order_by(audit_log.c.seq)).all()
    assert [tuple(x) for x in logged] == [("review.confirm", f"review:{ids[0]}", "ana@my"),
                                          ("review.reject", f"review:{ids[1]}", "ana@my")]


def test_lone_surrogate_is_422_not_500(api: Node) -> None:
    for ep in ("message", "url"):
        r = api.client.post(f"/api/v1/detect/{ep}",
                            headers={**api.auth("ana@my"), "content-type": "application/json"},
                            content=b'{"items": ["ok", "http://\\ud800.com/x"]}')
        assert r.status_code == 422, r.text
        assert r.json()["field"] == "items[1]"


def test_phone_numbers_take_the_callers_country(api: Node) -> None:
    text = "Your Maybank account is blocked, call 012-345 6789 now"
    r = api.client.post("/api/v1/detect/message", headers=api.auth("ana@my"),
                        json={"items": [text]})
    assert {"kind": "phone", "key": "+60123456789"}.items() <= next(
        e for e in r.json()["results"][0]["entities"] if e["kind"] == "phone").items()
    r = api.client.post("/api/v1/detect/message", headers=api.auth("ana@my"),
                        json={"items": ["call 09171234567 now"], "country": "PH"})
    assert [e["key"] for e in r.json()["results"][0]["entities"]] == ["+639171234567"]
    r = api.client.post("/api/v1/detect/message", headers=api.auth("ana@my"),
                        json={"items": ["call 09171234567 now"], "country": "ZZ"})
    assert r.status_code == 422
    assert r.json()["field"] == "country"


def test_confirmed_reports_carry_observables_marking_and_correlate(api: Node) -> None:
    texts = ["URGENT: your Maybank account is suspended, verify at http://mbb-login.xyz/a "
             "or call 012-345 6789",
             "Tahniah! Anda menang hadiah RM5,000. Tuntut sekarang, hubungi 012-345 6789 "
             "atau http://hadiah-menang.top/claim"]
    r = api.client.post("/api/v1/detect/message", headers=api.auth("ana@my"),
                        json={"items": texts, "queue": True})
    ids = [x["review_id"] for x in r.json()["results"]]
    assert all(ids), r.json()
    done = [api.client.post(f"/api/v1/review/{i}/confirm", headers=api.auth("ana@my"),
                            json={"tlp": "amber", "group": "MY-TH"}).json() for i in ids]
    rep = [api.client.get(f"/api/v1/reports/{d['report']}", headers=api.auth("ana@my")).json()
           for d in done]
    for d, x in zip(done, rep, strict=True):
        assert d["decided_by"] == "ana@my"
        assert (x["tlp"], x["sharing_group"]) == ("amber", "MY-TH")
        assert "+60123456789" in {o["key"] for o in x["observables"]}
    assert rep[0]["cluster"] == rep[1]["cluster"]  # the shared phone correlates them
    # the group's other member sees the report; an agency outside it does not
    assert api.client.get(f"/api/v1/reports/{done[0]['report']}",
                          headers=api.auth("ana@th")).status_code == 200
    assert api.client.get(f"/api/v1/reports/{done[0]['report']}",
                          headers=api.auth("ana@jp")).status_code == 404


def test_a_confirmation_marked_for_a_group_this_node_does_not_know_is_refused(
        api: Node) -> None:
    # The report was stored for the mistyped group, readable by its agency alone.
    r = api.client.post("/api/v1/detect/message", headers=api.auth("ana@my"),
                        json={"items": [SCAM], "queue": True})
    item = r.json()["results"][0]["review_id"]
    assert item, r.json()
    r = api.client.post(f"/api/v1/review/{item}/confirm", headers=api.auth("ana@my"),
                        json={"tlp": "amber", "group": "MY-TH-bilateral"})
    assert r.status_code == 404, r.text
    assert (r.json()["field"], r.json()["value"]) == ("group", "MY-TH-bilateral")
    queued = api.client.get("/api/v1/review", headers=api.auth("ana@my")).json()["items"]
    assert [(i["id"], i["status"]) for i in queued] == [(item, "queued")]


def test_queueing_needs_an_analyst(api: Node) -> None:
    r = api.client.post("/api/v1/detect/message", headers=api.auth("rea@my"),
                        json={"items": [SCAM], "queue": True})
    assert r.status_code == 403
    assert r.json()["field"] == "queue"
    assert api.client.post("/api/v1/detect/message", headers=api.auth("rea@my"),
                           json={"items": [SCAM]}).status_code == 200
